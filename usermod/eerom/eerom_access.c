// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// Raw EEPROM access for programmers (`eerom flash` uses these when a board's firmware
// has the module; stock MicroPython gets the same from a small Python helper):
//
//   eerom.read(i2c, at, n, *, addr=None, addrsize=None) -> bytes
//   eerom.write(i2c, at, data, page, *, addr=None, addrsize=None)
//   eerom.page_digests(i2c, at, n, page, *, addr=None, addrsize=None) -> bytes
//
// write() goes page by page with bounded ACK polling and raises OSError(ETIMEDOUT)
// if the part stays busy or OSError(EIO) if it refuses data.  page_digests() returns
// one little-endian FNV-1a (32-bit) digest per page-aligned piece of [at, at+n),
// reading in long transactions rather than one per page.  Not a CRC: a CRC-32 is
// linear, so a page holding a CRC-protected structure (the superblock: 20 bytes and
// their CRC-32) has the same CRC-32 whatever the structure says.
//
// `at` and `n` are checked against what the bus can address before anything is
// allocated or sent (eerom_bus_capacity(): at most 512 KiB), so no size computed
// from them can wrap, even on 32-bit ports.  `page` is as eerom_get_page() allows.
#include "py/runtime.h"
#include "py/mperrno.h"

#include "eerom_device.h"

// Bytes read per transaction by page_digests(): several pages, within a small buffer.
#define EEROM_DIGEST_CHUNK (512)
#define EEROM_FNV_OFFSET (0x811c9dc5u)
#define EEROM_FNV_PRIME (0x01000193u)

typedef struct _eerom_access_t {
    eerom_bus_t bus;
    uint32_t at;
    uint32_t page;
    mp_obj_t n_or_data;
} eerom_access_t;

static void eerom_access_parse(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args, bool with_page,
    eerom_access_t *acc) {
    enum { ARG_i2c, ARG_at, ARG_n, ARG_page, ARG_addr, ARG_addrsize };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_i2c, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_at, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_n, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_page, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_addr, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_addrsize, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    acc->page = 0;
    if (with_page) {
        if (args[ARG_page].u_obj == mp_const_none) {
            mp_raise_TypeError(MP_ERROR_TEXT("eerom: page size required"));
        }
        acc->page = eerom_get_page(args[ARG_page].u_obj);
    }
    eerom_open(&acc->bus, args[ARG_i2c].u_obj, args[ARG_addr].u_obj, args[ARG_addrsize].u_obj);
    acc->at = eerom_get_uint(args[ARG_at].u_obj, eerom_bus_capacity(&acc->bus), MP_QSTR_at);
    acc->n_or_data = args[ARG_n].u_obj;
}

// A length argument: [at, at + n) must lie within the bus's capacity.
static size_t eerom_access_len(eerom_access_t *acc, size_t n) {
    uint32_t room = eerom_bus_capacity(&acc->bus) - acc->at; // at <= capacity, checked
    if (n > room) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("eerom: the bus addresses only %u B from 0x%x"),
            (unsigned)room, (unsigned)acc->at);
    }
    return n;
}

static mp_obj_t eerom_read(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    eerom_access_t acc;
    eerom_access_parse(n_args, pos_args, kw_args, false, &acc);
    size_t n = eerom_access_len(&acc, eerom_get_uint(acc.n_or_data, UINT32_MAX, MP_QSTR_n));
    vstr_t vstr;
    vstr_init_len(&vstr, n);
    eerom_check_read(&acc.bus, eerom_bus_read(&acc.bus, acc.at, (uint8_t *)vstr.buf, n), acc.at, n);
    return mp_obj_new_bytes_from_vstr(&vstr);
}
MP_DEFINE_CONST_FUN_OBJ_KW(eerom_read_obj, 3, eerom_read);

static mp_obj_t eerom_write(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    eerom_access_t acc;
    eerom_access_parse(n_args, pos_args, kw_args, true, &acc);
    mp_buffer_info_t data;
    mp_get_buffer_raise(acc.n_or_data, &data, MP_BUFFER_READ);
    size_t len = eerom_access_len(&acc, data.len);
    int ret = eerom_bus_write(&acc.bus, acc.at, data.buf, len, acc.page);
    if (ret == -MP_ETIMEDOUT) {
        eerom_raise(MP_ETIMEDOUT, MP_ERROR_TEXT("eerom: the EEPROM stayed busy after a page write"));
    } else if (ret != 0) {
        eerom_raise(MP_EIO, MP_ERROR_TEXT("eerom: page write at 0x%04x failed (errno %d)"), (unsigned)acc.at, -ret);
    }
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_KW(eerom_write_obj, 4, eerom_write);

static mp_obj_t eerom_page_digests(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    eerom_access_t acc;
    eerom_access_parse(n_args, pos_args, kw_args, true, &acc);
    uint32_t at = acc.at;
    uint32_t page = acc.page;
    size_t n = eerom_access_len(&acc, eerom_get_uint(acc.n_or_data, UINT32_MAX, MP_QSTR_n));
    uint32_t end = at + n; // <= capacity (512 KiB): no wrap
    size_t pieces = n == 0 ? 0 : (end - 1) / page - at / page + 1;
    vstr_t out;
    vstr_init_len(&out, pieces * 4);
    uint8_t *chunk = m_new(uint8_t, EEROM_DIGEST_CHUNK); // the GC takes it back if a read raises
    size_t done = 0; // digests written to out
    uint32_t h = EEROM_FNV_OFFSET;
    while (at < end) {
        // Read up to a chunk, never past the end; digest it piece by piece.
        size_t len = end - at < EEROM_DIGEST_CHUNK ? end - at : EEROM_DIGEST_CHUNK;
        eerom_check_read(&acc.bus, eerom_bus_read(&acc.bus, at, chunk, len), at, len);
        for (size_t i = 0; i < len; ++i) {
            h = (h ^ chunk[i]) * EEROM_FNV_PRIME;
            uint32_t next = at + i + 1;
            if (next % page == 0 || next == end) { // a page-aligned piece is complete
                uint8_t *d = (uint8_t *)out.buf + 4 * done++;
                d[0] = h;
                d[1] = h >> 8;
                d[2] = h >> 16;
                d[3] = h >> 24;
                h = EEROM_FNV_OFFSET;
            }
        }
        at += len;
    }
    m_del(uint8_t, chunk, EEROM_DIGEST_CHUNK);
    return mp_obj_new_bytes_from_vstr(&out);
}
MP_DEFINE_CONST_FUN_OBJ_KW(eerom_page_digests_obj, 4, eerom_page_digests);
