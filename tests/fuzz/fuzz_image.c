// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// libFuzzer harness for eerom's C core (built with ASan and UBSan by CMakeLists.txt).
//
// The first input byte picks what the rest is fed to (bits 0-1), and how (bit 2):
//   0: a whole EEPROM dump, through every check (the CRCs stop most mutations early),
//      by a reader holding the firmware's preset dictionary (eerom_dict.c), or none
//      (bit 2 set);
//   1: the same, after the harness repairs the header checksum and both CRCs, and
//      names the held dictionary in a superblock with FLAG_DICT, so that mutations
//      reach the inflater and the ROMFS checker behind them;
//   2: the inflater alone: 2 bytes of declared size, then a raw deflate stream; with
//      bit 2 set, 2 more bytes give a history length, and the stream inflates after
//      that many bytes of the dictionary's end (references may reach into them, and
//      must not reach before them);
//   3: the ROMFS checker alone.
// Whatever the input, the code must return an error or succeed: never read or write
// outside its buffers, overflow, or loop forever.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eerom_dict.h"
#include "eerom_image.h"
#include "eerom_inflate.h"
#include "eerom_romfs.h"

#define MAX_IMAGE (64 * 1024)

static void put_le32(uint8_t *p, uint32_t v) {
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

// Make header checksum, superblock CRC and payload CRC right, where the input is long
// enough to hold them, so that the fuzzer explores what lies behind them.
static void repair(uint8_t *d, size_t len, int with_dict) {
    if (len < 32) {
        return;
    }
    uint8_t sum = 0x55;
    for (int i = 1; i < 31; ++i) {
        sum ^= d[i];
    }
    d[31] = sum;
    size_t fs = d[8] | (d[9] << 8);
    if (fs + 24 > len) {
        return;
    }
    uint8_t *sb = d + fs;
    size_t sb_size = sb[5] >= 24 ? sb[5] : 24;
    if (fs + sb_size > len) {
        return;
    }
    if (with_dict && (sb[7] & EEROM_SB_FLAG_DICT) && sb_size >= EEROM_SB_SIZE_DICT) {
        put_le32(sb + EEROM_SB_DICT_ID_OFFSET, eerom_dict_id);
    }
    uint32_t stored = sb[8] | (sb[9] << 8) | ((uint32_t)sb[10] << 16) | ((uint32_t)sb[11] << 24);
    if (stored <= len - fs - sb_size) {
        put_le32(sb + 16, eerom_crc32(0, sb + sb_size, stored));
    }
    put_le32(sb + sb_size - 4, eerom_crc32(0, sb, sb_size - 4));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    uint8_t mode = data[0] & 3;
    int bit2 = (data[0] & 4) != 0;
    int with_dict = !bit2; // modes 0 and 1: the reader holds the dictionary
    data += 1;
    size -= 1;
    void *state = malloc(eerom_inflate_state_size());
    if (mode <= 1) {
        uint8_t *copy = malloc(size ? size : 1);
        memcpy(copy, data, size);
        if (mode == 1) {
            repair(copy, size, with_dict);
        }
        size_t out_cap = MAX_IMAGE + EEROM_DICT_MAX_SIZE + 1;
        uint8_t *out = malloc(out_cap);
        eerom_header_t h;
        eerom_superblock_t sb;
        eerom_image_check_buffer(copy, size, MAX_IMAGE, with_dict ? eerom_dict_data : NULL,
            with_dict ? eerom_dict_len : 0, state, out, out_cap, &h, &sb);
        free(out);
        free(copy);
    } else if (mode == 2 && size >= (bit2 ? 4u : 2u)) {
        size_t out_len = data[0] | (data[1] << 8);
        size_t skip = 2, prefix = 0;
        if (bit2) { // a history: the dictionary's last `prefix` bytes
            prefix = (size_t)(data[2] | (data[3] << 8)) % (eerom_dict_len + 1);
            skip = 4;
        }
        // Exactly [history | output | guard]: ASan sees any access outside it.
        uint8_t *buf = malloc(prefix + out_len + 1);
        memcpy(buf, eerom_dict_data + eerom_dict_len - prefix, prefix);
        // The input must not alias the output: copy it out of libFuzzer's buffer.
        uint8_t *in = malloc(size - skip ? size - skip : 1);
        memcpy(in, data + skip, size - skip);
        if (eerom_inflate(state, buf, prefix, out_len, in, size - skip) == EEROM_OK) {
            eerom_romfs_check(buf + prefix, out_len);
        }
        free(in);
        free(buf);
    } else if (mode == 3) {
        uint8_t *copy = malloc(size ? size : 1);
        memcpy(copy, data, size);
        eerom_romfs_check(copy, size);
        free(copy);
    }
    free(state);
    return 0;
}
