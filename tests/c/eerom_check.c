// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// Command-line twin of tools/eerom's Image.from_bytes(): checks image files with the
// C core exactly as the device does and prints one line per file, "<error name>
// <file>" ("ok" when the image is good).  tests/host/test_c_core.py runs it on the
// same images as the Python checker and requires the same verdict.
//
//   eerom_check [--max BYTES] FILE...
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eerom_image.h"
#include "eerom_inflate.h"

int main(int argc, char **argv) {
    uint32_t max_image = 256 * 1024;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--max") == 0) {
        max_image = (uint32_t)strtoul(argv[2], NULL, 0);
        first = 3;
    }
    void *state = malloc(eerom_inflate_state_size());
    uint8_t *out = malloc((size_t)max_image + 1);
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
        eerom_err_t err = eerom_image_check_buffer(data, len, max_image, state, out, (size_t)max_image + 1, &h, &sb);
        printf("%s %s\n", eerom_err_name(err), argv[i]);
    }
    free(out);
    free(state);
    return 0;
}
