/*
 * libFuzzer target for the Engine.IO / Socket.IO packet parser (apps/common/sio_msg.c),
 * which reads what a Socket.IO server sends meshrtc-call (--signal socketio+http://). The
 * input is one WebSocket text message.
 *
 * A message must parse to 0, MRTC_EPROTO or MRTC_ENOTSUP (with a reason), never crash. A
 * parsed message must be self-consistent: an event has a name and an array of arguments,
 * a ping's payload lies inside the input, sids and namespaces are terminated; an event,
 * re-encoded with sio_msg_event() on the default namespace, must parse back to the same
 * name and arguments. Any breach aborts.
 */
#include "apps/common/mem.h"
#include "apps/common/sio_msg.h"

#include <meshrtc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_sio_msg: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    sio_msg m;
    char why[160];
    int r = sio_msg_parse(text, size, &m, why, sizeof(why));
    if (r != 0) {
        require(r == MRTC_EPROTO || r == MRTC_ENOTSUP || r == MRTC_ENOMEM, "undocumented return");
        require(why[0] != '\0', "failure without a reason");
        require(!m.args && !m.packet, "failure left JSON behind");
        return 0;
    }
    require(memchr(m.sid, '\0', sizeof(m.sid)) != NULL, "sid unterminated");
    require(memchr(m.nsp, '\0', sizeof(m.nsp)) != NULL, "namespace unterminated");
    switch (m.kind) {
    case SIO_EIO_PING:
    case SIO_EIO_PONG:
        require(m.payload == text + 1 && m.payload_len == size - 1, "payload not the tail");
        break;
    case SIO_EIO_OPEN:
        require(m.sid[0] != '\0', "open without a sid");
        break;
    case SIO_EVENT: {
        require(m.event && json_is_array(m.args), "event without name or arguments");
        size_t len = 0;
        char *again = sio_msg_event(m.event, m.args, &len);
        if (again) {
            sio_msg m2;
            require(sio_msg_parse(again, len, &m2, NULL, 0) == 0, "re-encoded event refused");
            require(strcmp(m2.event, m.event) == 0, "re-encoded event renamed");
            require(json_equal(m2.args, m.args), "re-encoded event changed its arguments");
            sio_msg_free(&m2);
            mem_free(again);
        }
        break;
    }
    case SIO_ACK:
        require(m.ack_id >= 0 && json_is_array(m.args), "ack without id or array");
        break;
    case SIO_CONNECT_ERROR:
        require(m.args != NULL, "connect_error without data");
        break;
    default:
        break;
    }
    sio_msg_free(&m);
    return 0;
}
