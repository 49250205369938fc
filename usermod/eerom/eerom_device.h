// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// Shared MicroPython glue of the eerom module: errors as OSError, size arguments,
// finding the EEPROM and reading its header.  Used by modeerom.c (mount),
// eerom_access.c (raw access) and eerom_blockdev.c.
#ifndef EEROM_DEVICE_H
#define EEROM_DEVICE_H

#include "py/obj.h"
#include "py/runtime.h"

#include "eerom_bus.h"
#include "eerom_image.h"

// eerom.program() (eerom_program.c), the device-side EEPROM writer `eerom flash` uses.
#ifndef MICROPY_PY_EEROM_PROGRAM
#define MICROPY_PY_EEROM_PROGRAM (1)
#endif

#ifndef MP_NORETURN
#define MP_NORETURN NORETURN
#endif

// Raise OSError(err, "<formatted message>").  fmt is an MP_ERROR_TEXT(): builds with
// terse error reporting raise OSError(err) alone and keep none of the texts.
#if MICROPY_ERROR_REPORTING <= MICROPY_ERROR_REPORTING_TERSE
#define eerom_raise(err, ...) mp_raise_OSError(err)
#else
MP_NORETURN void eerom_raise(int err, mp_rom_error_text_t fmt, ...);
#endif

// Raise the OSError for an image check that failed (no-op for EEROM_OK).  The
// message starts "eerom: <check name>:"; terse builds keep the check name alone.
void eerom_check_image(eerom_err_t err);

// Raise for a failed bus read (no-op for ret == 0): ENODEV if nothing was read yet,
// EIO after that.
void eerom_check_read(eerom_bus_t *bus, int ret, uint32_t memaddr, size_t len);

// An integer argument in [0, max], else ValueError naming it.  Arbitrary-precision
// ints are handled: nothing is truncated to a machine word first.
uint32_t eerom_get_uint(mp_obj_t arg, uint32_t max, qstr name);

// A write page size: a power of two, 8..512 (as the header allows), else ValueError.
// Page writes never cross the part's pages: a smaller power of two never does.
uint32_t eerom_get_page(mp_obj_t arg);

// Is the int `arg` greater than max?  (Any int, without truncating it first.)
bool eerom_int_exceeds(mp_obj_t arg, uint32_t max);

// Start using `i2c` for the EEPROM at addr_in (or found the badge's way when it is
// None), with addrsize_in memory address bits (8 or 16; None: 16, or detected).
void eerom_open(eerom_bus_t *bus, mp_obj_t i2c, mp_obj_t addr_in, mp_obj_t addrsize_in);

// Read and check the header; raw receives EEROM_HEADER_SIZE + EEROM_SB_SIZE_V1 bytes
// from offset 0 (the superblock too, when fs_offset is 32).  A header claiming more
// memory than the bus can address (eerom_bus_capacity()) is refused too.
void eerom_read_header(eerom_bus_t *bus, uint8_t *raw, eerom_header_t *header);

#endif // EEROM_DEVICE_H
