// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// Structural check of a MicroPython ROMFS image (plain C, no recursion).
#include <stdbool.h>
#include <string.h>

#include "eerom_romfs.h"

#define KIND_UNUSED (0)
#define KIND_DATA_VERBATIM (2)
#define KIND_DATA_POINTER (3)
#define KIND_DIRECTORY (4)
#define KIND_FILE (5)

// Decode a big-endian 7-bit varuint from [*p, end).  Leading 0x80 bytes are padding
// and allowed; a value that would not fit 32 bits is refused.
static bool get_uint(const uint8_t **p, const uint8_t *end, uint32_t *out) {
    uint32_t value = 0;
    const uint8_t *q = *p;
    for (;;) {
        if (q >= end || (value >> 25) != 0) {
            return false;
        }
        uint8_t b = *q++;
        value = (value << 7) | (b & 0x7f);
        if (!(b & 0x80)) {
            break;
        }
    }
    *p = q;
    *out = value;
    return true;
}

// Read a record header at *p inside [.., end): its kind, and [body, next).
static eerom_err_t get_record(const uint8_t **p, const uint8_t *end, uint32_t *kind, const uint8_t **next) {
    uint32_t len;
    if (!get_uint(p, end, kind) || !get_uint(p, end, &len)) {
        return EEROM_ERR_ROMFS_RECORD;
    }
    if (len > (size_t)(end - *p)) {
        return EEROM_ERR_ROMFS_BOUNDS;
    }
    *next = *p + len;
    return EEROM_OK;
}

bool eerom_is_utf8(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t extra;
        uint32_t cp, min;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            extra = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (extra > n - i - 1) {
            return false;
        }
        for (size_t k = 1; k <= extra; ++k) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

// Check the name at the start of a directory/file record body; advance past it.
static eerom_err_t get_name(const uint8_t **p, const uint8_t *end) {
    uint32_t n;
    if (!get_uint(p, end, &n)) {
        return EEROM_ERR_ROMFS_RECORD;
    }
    if (n > (size_t)(end - *p)) {
        return EEROM_ERR_ROMFS_BOUNDS;
    }
    const uint8_t *s = *p;
    if (n == 0 || n > EEROM_ROMFS_MAX_NAME || memchr(s, '/', n) != NULL || memchr(s, '\0', n) != NULL
        || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.') || !eerom_is_utf8(s, n)) {
        return EEROM_ERR_ROMFS_NAME;
    }
    *p = s + n;
    return EEROM_OK;
}

// Check the records of a file body [p, end): it needs a data record first of its kind.
static eerom_err_t check_file(const uint8_t *p, const uint8_t *end, size_t fs_len) {
    bool found = false;
    while (p < end) {
        uint32_t kind;
        const uint8_t *next;
        eerom_err_t err = get_record(&p, end, &kind, &next);
        if (err != EEROM_OK) {
            return err;
        }
        if (kind == KIND_UNUSED) {
            return EEROM_ERR_ROMFS_RECORD;
        }
        if (!found && kind == KIND_DATA_VERBATIM) {
            found = true;
        } else if (!found && kind == KIND_DATA_POINTER) {
            uint32_t size, offset;
            if (!get_uint(&p, next, &size) || !get_uint(&p, next, &offset)) {
                return EEROM_ERR_ROMFS_RECORD;
            }
            if (offset > fs_len || size > fs_len - offset) {
                return EEROM_ERR_ROMFS_POINTER;
            }
            found = true;
        }
        p = next;
    }
    return found ? EEROM_OK : EEROM_ERR_ROMFS_FILE;
}

eerom_err_t eerom_romfs_check(const uint8_t *image, size_t len) {
    if (len < EEROM_ROMFS_MIN_SIZE || image[0] != 0xd2 || image[1] != 0xcd || image[2] != 0x31) {
        return EEROM_ERR_ROMFS_MAGIC;
    }
    const uint8_t *p = image;
    const uint8_t *fs_end;
    uint32_t kind;
    eerom_err_t err = get_record(&p, image + len, &kind, &fs_end);
    if (err != EEROM_OK) {
        return err;
    }
    if (fs_end != image + len) {
        return EEROM_ERR_ROMFS_TRAILING;
    }
    size_t fs_len = fs_end - p;

    // ends[d] is where the directory open at depth d ends; depth 0 is the root.
    const uint8_t *ends[MICROPY_PY_EEROM_ROMFS_MAX_DEPTH + 1];
    size_t depth = 0;
    ends[0] = fs_end;
    for (;;) {
        // A directory's contents end where its record ends: pop every finished one.
        while (p == ends[depth]) {
            if (depth == 0) {
                return EEROM_OK;
            }
            --depth;
        }
        const uint8_t *next;
        err = get_record(&p, ends[depth], &kind, &next);
        if (err != EEROM_OK) {
            return err;
        }
        if (kind == KIND_UNUSED) {
            return EEROM_ERR_ROMFS_RECORD;
        } else if (kind == KIND_DIRECTORY) {
            if (depth >= MICROPY_PY_EEROM_ROMFS_MAX_DEPTH) {
                return EEROM_ERR_ROMFS_DEPTH;
            }
            if ((err = get_name(&p, next)) != EEROM_OK) {
                return err;
            }
            ends[++depth] = next; // continue inside the directory
            continue;
        } else if (kind == KIND_FILE) {
            if ((err = get_name(&p, next)) != EEROM_OK || (err = check_file(p, next, fs_len)) != EEROM_OK) {
                return err;
            }
        }
        p = next; // files, and records of other kinds, which readers skip
    }
}
