/*
 * Command-line helpers shared by meshrtc-signal and meshrtc-call.
 */
#ifndef APPS_COMMON_CLI_H
#define APPS_COMMON_CLI_H

#include <stddef.h>

/* Splits one argument of the form "--option=value" into the option name (copied into `opt`,
 * NUL-terminated) and a pointer to the value inside `arg` (*val). Any other argument,
 * including an "--option=value" whose name does not fit in `optcap`, is copied whole
 * (truncated to fit) and *val is NULL, so the caller takes the value from the next
 * argument. */
void cli_split_option(const char *arg, char *opt, size_t optcap, const char **val);

#endif
