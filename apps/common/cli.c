/*
 * Command-line helpers shared by the programs (see cli.h). No option table here: each
 * program keeps its own options and messages.
 */
#include "apps/common/cli.h"

#include <stdio.h>
#include <string.h>

void cli_split_option(const char *arg, char *opt, size_t optcap, const char **val)
{
    const char *eq = strchr(arg, '=');
    *val = NULL;
    if (strncmp(arg, "--", 2) == 0 && eq && (size_t)(eq - arg) < optcap) {
        memcpy(opt, arg, (size_t)(eq - arg));
        opt[eq - arg] = '\0';
        *val = eq + 1;
    } else {
        snprintf(opt, optcap, "%s", arg);
    }
}
