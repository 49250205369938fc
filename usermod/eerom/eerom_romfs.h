// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// Structural check of a MicroPython ROMFS image before vfs.VfsRom serves it (plain C).
//
// extmod/vfs_rom.c trusts the image: a record length or a data pointer that runs
// past the buffer makes it read outside it.  eerom_romfs_check() walks every record
// once, without recursion and with a fixed-size stack, and accepts only images in
// which VfsRom cannot leave the buffer:
// - the image is exactly one filesystem record starting d2 cd 31;
// - every record (kind, length) lies inside its parent; no record of kind 0;
// - varuints fit in 32 bits;
// - directory and file names are 1..255 bytes of UTF-8 without '/' or NUL and are
//   not "." or "..";
// - every file has a data record (verbatim, or a pointer inside the filesystem);
// - directories nest at most MICROPY_PY_EEROM_ROMFS_MAX_DEPTH deep.
#ifndef EEROM_ROMFS_H
#define EEROM_ROMFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eerom_image.h"

#ifndef MICROPY_PY_EEROM_ROMFS_MAX_DEPTH
#define MICROPY_PY_EEROM_ROMFS_MAX_DEPTH (16)
#endif
#define EEROM_ROMFS_MAX_NAME (255)

eerom_err_t eerom_romfs_check(const uint8_t *image, size_t len);

// Strict UTF-8 (as Python's decoder: no overlong forms, no surrogates, <= U+10FFFF).
bool eerom_is_utf8(const uint8_t *s, size_t n);

#endif // EEROM_ROMFS_H
