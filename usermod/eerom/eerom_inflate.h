// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// Inflate an eerom payload into its final buffer with MicroPython's uzlib (plain C).
//
// Back-references are served from the output buffer itself (uzlib with no
// dictionary ring), so no window RAM is needed whatever window the encoder used.  A
// preset dictionary is copied into the same buffer just before the output: uzlib
// accepts any reference that stays inside the buffer, so references into the
// dictionary work as if it had been output first, and none can reach before it.
#ifndef EEROM_INFLATE_H
#define EEROM_INFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "eerom_image.h"

// Bytes of scratch state the inflater needs (uzlib's decoder state, ~1.3 KiB):
// callers allocate it so that it need not live on a small MCU stack.
size_t eerom_inflate_state_size(void);

// Inflate the raw deflate stream in[0..in_len) to exactly out_len bytes at
// buf + prefix_len.  buf[0..prefix_len) holds the history the stream starts with (a
// preset dictionary; prefix_len 0 for none), and is left as it was.  `buf` must have
// room for prefix_len + out_len + 1 bytes: the extra byte lets the decoder show that
// a stream is longer than declared without ever writing past the buffer.  `in` must
// not overlap buf[0..prefix_len + out_len].  Returns EEROM_OK, or EEROM_ERR_INFLATE
// if the stream is malformed, refers back before buf, is shorter or longer than
// out_len, or is followed by more input.
eerom_err_t eerom_inflate(void *state, uint8_t *buf, size_t prefix_len, size_t out_len,
    const uint8_t *in, size_t in_len);

#endif // EEROM_INFLATE_H
