// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// Command-line twin of tools/eerom's Image.from_bytes(): checks image files with the
// C core exactly as the device does and prints one line per file, "<error name>
// <file>" ("ok" when the image is good).  tests/host/test_c_core.py runs it on the
// same images as the Python checker and requires the same verdict.
//
//   eerom_check [--max BYTES] [--dict FILE | --no-dict] FILE...
//
// The reader holds the firmware's preset dictionary (eerom_dict.c) unless told
// otherwise: --dict FILE holds that one instead, --no-dict none (as a firmware built
// with MICROPY_PY_EEROM_DICT=0).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eerom_dict.h"
#include "eerom_image.h"
#include "eerom_inflate.h"

static uint8_t dict_buf[EEROM_DICT_MAX_SIZE + 1];

int main(int argc, char **argv) {
    uint32_t max_image = 256 * 1024;
    const uint8_t *dict = eerom_dict_data;
    size_t dict_len = eerom_dict_len;
    int first = 1;
    for (;;) {
        if (argc > first + 1 && strcmp(argv[first], "--max") == 0) {
            max_image = (uint32_t)strtoul(argv[first + 1], NULL, 0);
            first += 2;
        } else if (argc > first + 1 && strcmp(argv[first], "--dict") == 0) {
            FILE *f = fopen(argv[first + 1], "rb");
            if (f == NULL) {
                perror(argv[first + 1]);
                return 2;
            }
            dict_len = fread(dict_buf, 1, sizeof(dict_buf), f);
            fclose(f);
            if (dict_len == 0 || dict_len > EEROM_DICT_MAX_SIZE) {
                fprintf(stderr, "%s: a dictionary is 1..%d bytes\n", argv[first + 1], EEROM_DICT_MAX_SIZE);
                return 2;
            }
            dict = dict_buf;
            first += 2;
        } else if (argc > first && strcmp(argv[first], "--no-dict") == 0) {
            dict = NULL;
            dict_len = 0;
            first += 1;
        } else {
            break;
        }
    }
    void *state = malloc(eerom_inflate_state_size());
    size_t out_cap = (size_t)max_image + EEROM_DICT_MAX_SIZE + 1;
    uint8_t *out = malloc(out_cap);
    for (int i = first; i < argc; ++i) {
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL) {
            perror(argv[i]);
            return 2;
        }
        static uint8_t data[1 << 20];
        size_t len = fread(data, 1, sizeof(data), f);
        fclose(f);
        eerom_header_t h;
        eerom_superblock_t sb;
        eerom_err_t err = eerom_image_check_buffer(data, len, max_image, dict, dict_len, state, out, out_cap, &h, &sb);
        printf("%s %s\n", eerom_err_name(err), argv[i]);
    }
    free(out);
    free(state);
    return 0;
}
