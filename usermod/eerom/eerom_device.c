// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// Shared MicroPython glue of the eerom module (see eerom_device.h).
#include <stdarg.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "py/mphal.h"
#include "py/objint.h"

#include "eerom_device.h"

// The badge retries a header read once after 100 ms for slow emulated EEPROMs.
#ifndef MICROPY_PY_EEROM_HEADER_RETRY_MS
#define MICROPY_PY_EEROM_HEADER_RETRY_MS (100)
#endif

#if MICROPY_ERROR_REPORTING > MICROPY_ERROR_REPORTING_TERSE
MP_NORETURN void eerom_raise(int err, mp_rom_error_text_t fmt, ...) {
    // Format as the core does for its own messages (this decompresses ROM text),
    // then raise OSError(errno, message) so that e.errno is set.
    va_list ap;
    va_start(ap, fmt);
    mp_obj_t formatted = mp_obj_new_exception_msg_vlist(&mp_type_OSError, fmt, ap);
    va_end(ap);
    mp_obj_t args[2] = {MP_OBJ_NEW_SMALL_INT(err), mp_obj_exception_get_value(formatted)};
    nlr_raise(mp_obj_new_exception_args(&mp_type_OSError, 2, args));
}
#endif

// errno for each class of image error (see eerom_image.h).
static int eerom_image_errno(eerom_err_t err) {
    switch (eerom_err_class(err)) {
        case EEROM_CLASS_HEADER:
            return MP_EINVAL;
        case EEROM_CLASS_NO_IMAGE:
            return MP_ENOENT;
        case EEROM_CLASS_TOO_LARGE:
            return MP_EFBIG;
        default:
            return MP_ENOEXEC;
    }
}

void eerom_check_image(eerom_err_t err) {
    if (err == EEROM_OK) {
        return;
    }
    #if MICROPY_ERROR_REPORTING == MICROPY_ERROR_REPORTING_TERSE
    // The stable check name is the whole message: the core's table has it anyway.
    mp_obj_t args[2] = {MP_OBJ_NEW_SMALL_INT(eerom_image_errno(err)), mp_obj_new_str_from_cstr(eerom_err_name(err))};
    nlr_raise(mp_obj_new_exception_args(&mp_type_OSError, 2, args));
    #else
    eerom_raise(eerom_image_errno(err), MP_ERROR_TEXT("eerom: %s: %s"), eerom_err_name(err), eerom_err_message(err));
    #endif
}

// A read failed with negative errno `ret`.  Before anything was read, "no device"
// means the EEPROM is not there; afterwards any failure is a bus error.
void eerom_check_read(eerom_bus_t *bus, int ret, uint32_t memaddr, size_t len) {
    if (ret == 0) {
        return;
    }
    if (ret == -MP_ENODEV && bus->bytes_read == 0) {
        eerom_raise(MP_ENODEV, MP_ERROR_TEXT("eerom: no EEPROM answers at I2C address 0x%02x"), bus->addr);
    }
    if (!eerom_bus_in_range(bus, memaddr, len)) { // refused before any transfer
        eerom_raise(MP_EINVAL, MP_ERROR_TEXT("eerom: 0x%x..0x%x is past the %u B the bus addresses"),
            (unsigned)memaddr, (unsigned)(memaddr + len), (unsigned)eerom_bus_capacity(bus));
    }
    eerom_raise(MP_EIO, MP_ERROR_TEXT("eerom: I2C read of %u B at 0x%04x (device 0x%02x): errno %d"),
        (unsigned)len, (unsigned)memaddr, bus->addr, -ret);
}

// Is the int `arg` greater than `max`?  Compared as Python ints, so that a value
// too large for a machine word is never truncated first.
bool eerom_int_exceeds(mp_obj_t arg, uint32_t max) {
    if (mp_obj_is_small_int(arg)) {
        mp_int_t v = MP_OBJ_SMALL_INT_VALUE(arg);
        return v > 0 && (mp_uint_t)v > max;
    }
    return mp_obj_is_true(mp_binary_op(MP_BINARY_OP_MORE, arg, mp_obj_new_int_from_uint(max)));
}

uint32_t eerom_get_uint(mp_obj_t arg, uint32_t max, qstr name) {
    if (!mp_obj_is_int(arg)) {
        mp_raise_TypeError(MP_ERROR_TEXT("eerom: expected an int"));
    }
    if (mp_obj_int_sign(arg) < 0 || eerom_int_exceeds(arg, max)) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("eerom: %q must be 0..%u"), name, (unsigned)max);
    }
    return (uint32_t)mp_obj_get_int_truncated(arg);
}

uint32_t eerom_get_page(mp_obj_t arg) {
    uint32_t page = eerom_get_uint(arg, 512, MP_QSTR_page);
    if (page < 8 || (page & (page - 1)) != 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("eerom: page must be a power of two, 8..512"));
    }
    return page;
}

void eerom_open(eerom_bus_t *bus, mp_obj_t i2c, mp_obj_t addr_in, mp_obj_t addrsize_in) {
    eerom_bus_init(bus, i2c);
    if (addr_in == mp_const_none) {
        if (eerom_bus_detect(bus) != 0) {
            eerom_raise(MP_ENODEV, MP_ERROR_TEXT("eerom: no EEPROM answers at I2C address 0x50 or 0x57"));
        }
    } else {
        bus->addr = eerom_get_uint(addr_in, 0x7f, MP_QSTR_addr);
        bus->addrsize = 16;
    }
    if (addrsize_in != mp_const_none) {
        uint32_t addrsize = eerom_get_uint(addrsize_in, 16, MP_QSTR_addrsize);
        if (addrsize != 8 && addrsize != 16) {
            mp_raise_ValueError(MP_ERROR_TEXT("eerom: addrsize must be 8 or 16"));
        }
        bus->addrsize = addrsize;
    }
}

// Read the header and, when it follows at once (fs_offset 32), the superblock in the
// same transaction.  `raw` holds EEROM_HEADER_SIZE + EEROM_SB_SIZE_V1 bytes.
void eerom_read_header(eerom_bus_t *bus, uint8_t *raw, eerom_header_t *header) {
    size_t len = EEROM_HEADER_SIZE + EEROM_SB_SIZE_V1;
    int ret = eerom_bus_read(bus, 0, raw, len);
    if (ret != 0 || eerom_header_parse(raw, header) != EEROM_OK) {
        // Slow emulated EEPROMs answer late: retry once, as the badge does.
        #if MICROPY_PY_TIME // ports without the time module may have no delay either
        mp_hal_delay_ms(MICROPY_PY_EEROM_HEADER_RETRY_MS);
        #endif
        ret = eerom_bus_read(bus, 0, raw, len);
        eerom_check_read(bus, ret, 0, len);
        eerom_check_image(eerom_header_parse(raw, header));
    }
    // Nothing past what the addressing reaches: an M24C16 header claiming 4 KiB
    // would otherwise send reads to whatever answers at 0x58..0x5f.
    uint32_t cap = eerom_bus_capacity(bus);
    if (header->total_size > cap) {
        eerom_raise(MP_EINVAL, MP_ERROR_TEXT("eerom: header-geometry: header says %u B, EEPROM holds %u B"),
            (unsigned)header->total_size, (unsigned)cap);
    }
}
