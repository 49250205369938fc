// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// Inflate an eerom payload with uzlib (plain C; uzlib is not MicroPython-specific).
//
// In a firmware with MICROPY_PY_DEFLATE, extmod/moddeflate.c already compiles uzlib's
// sources and this file only uses its header; modeerom.c compiles them otherwise.
#include "lib/uzlib/uzlib.h"

#include "eerom_inflate.h"

size_t eerom_inflate_state_size(void) {
    return sizeof(uzlib_uncomp_t);
}

eerom_err_t eerom_inflate(void *state, uint8_t *buf, size_t prefix_len, size_t out_len,
    const uint8_t *in, size_t in_len) {
    uzlib_uncomp_t *d = state;
    uint8_t *out = buf + prefix_len;
    uzlib_uncompress_init(d, NULL, 0);
    d->source = in;
    d->source_limit = in + in_len;
    d->source_read_cb = NULL;
    // uzlib refuses a distance greater than dest - dest_start (tinf_inflate_block_data:
    // "offs > d->dest - d->dest_start"): with dest_start at the buffer's start, a
    // reference may reach into the dictionary before the output but never before it.
    d->dest_start = buf;
    d->dest = out;
    // One byte of headroom: uzlib_uncompress() always makes progress before it looks
    // at dest_limit, so it must never be entered with the output already full.  With
    // the guard byte a stream that is too long stops at out_len + 1 and is refused.
    d->dest_limit = out + out_len + 1;

    int res = uzlib_uncompress(d);
    // UZLIB_DONE is returned only at the end of the final block; UZLIB_OK means the
    // output reached dest_limit, i.e. the stream is longer than declared.
    if (res != UZLIB_DONE
        || d->dest != out + out_len
        || d->eof // the decoder ran out of input and read zeros
        || d->source != in + in_len) { // bytes after the end of the stream
        return EEROM_ERR_INFLATE;
    }
    return EEROM_OK;
}
