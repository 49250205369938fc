// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// eerom.BlockDev: a hexpansion EEPROM's filesystem area as a MicroPython block device,
// in C, so that vfs.VfsLfs2 mounts the LittleFS hexpansions in the field without the
// badge's pure-Python driver.
//
//   bdev = eerom.BlockDev(machine.I2C(1))     # geometry from the hexpansion header
//   vfs.mount(vfs.VfsLfs2(bdev), "/hexpansion_1")
//
// Blocks start at the header's fs_offset and are 64 bytes below 8 KiB and 512 bytes
// from 8 KiB up, as the badge lays LittleFS out.  Reads are as long as the part allows
// (not one transaction per page); writes go page by page with bounded ACK polling.
// Errors are returned to the filesystem as negative errnos, not raised through it.
#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "extmod/vfs.h"

#include "eerom_device.h"

typedef struct _eerom_blockdev_obj_t {
    mp_obj_base_t base;
    eerom_bus_t bus;
    uint32_t offset; // EEPROM address of block 0
    uint32_t block_size;
    uint32_t block_count;
    uint16_t page;
} eerom_blockdev_obj_t;

static mp_obj_t eerom_blockdev_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *all_args) {
    enum { ARG_i2c, ARG_addr, ARG_addrsize, ARG_offset, ARG_block_size, ARG_block_count, ARG_page };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_i2c, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_addr, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_addrsize, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_offset, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_block_size, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_block_count, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_page, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all_kw_array(n_args, n_kw, all_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);

    eerom_blockdev_obj_t *self = mp_obj_malloc(eerom_blockdev_obj_t, type);
    eerom_open(&self->bus, args[ARG_i2c].u_obj, args[ARG_addr].u_obj, args[ARG_addrsize].u_obj);
    uint32_t cap = eerom_bus_capacity(&self->bus);
    uint32_t end; // where the filesystem area ends
    if (args[ARG_offset].u_obj == mp_const_none) {
        // Geometry from the hexpansion header, with the badge's block size rule.
        uint8_t raw[EEROM_HEADER_SIZE + EEROM_SB_SIZE_V1];
        eerom_header_t header;
        eerom_read_header(&self->bus, raw, &header); // total_size <= cap, checked
        self->offset = header.fs_offset;
        self->page = header.page_size;
        self->block_size = header.total_size >= 8192 ? 512 : 64;
        end = header.total_size;
    } else {
        if (args[ARG_block_size].u_obj == mp_const_none || args[ARG_block_count].u_obj == mp_const_none
            || args[ARG_page].u_obj == mp_const_none) {
            mp_raise_TypeError(MP_ERROR_TEXT("eerom: with offset= give block_size, block_count and page"));
        }
        self->offset = eerom_get_uint(args[ARG_offset].u_obj, cap, MP_QSTR_offset);
        end = cap;
    }
    // Explicit geometry overrides the header's.
    if (args[ARG_block_size].u_obj != mp_const_none) {
        self->block_size = eerom_get_uint(args[ARG_block_size].u_obj, cap, MP_QSTR_block_size);
    }
    if (args[ARG_page].u_obj != mp_const_none) {
        self->page = eerom_get_page(args[ARG_page].u_obj); // the header's is checked already
    }
    if (self->block_size == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("eerom: block_size must be positive"));
    }
    // Blocks that fit between offset and the end (offset <= end here: the header's
    // fs_offset is below its total_size, an explicit one at most the capacity).
    uint32_t room = (end - self->offset) / self->block_size;
    if (args[ARG_block_count].u_obj != mp_const_none) {
        self->block_count = eerom_get_uint(args[ARG_block_count].u_obj, room, MP_QSTR_block_count);
    } else {
        self->block_count = room;
    }
    if (self->block_count == 0) {
        eerom_raise(MP_EINVAL, MP_ERROR_TEXT("eerom: no %u-byte block fits between offset 0x%x and 0x%x"),
            (unsigned)self->block_size, (unsigned)self->offset, (unsigned)end);
    }
    return MP_OBJ_FROM_PTR(self);
}

// The EEPROM address of `len` bytes at (block, offset), or -1 when any of it lies
// outside the filesystem area.  All arithmetic in 64 bits from checked, non-negative
// values: nothing wraps.
// A block number or offset: any int (a big one is always out of range, even on
// ports whose small ints are 31 bits), else TypeError.
static bool eerom_blockdev_index(mp_obj_t arg, mp_int_t *out) {
    if (mp_obj_is_small_int(arg)) {
        *out = MP_OBJ_SMALL_INT_VALUE(arg);
        return *out >= 0;
    }
    if (!mp_obj_is_int(arg)) {
        mp_obj_get_int(arg); // raises TypeError
    }
    return false;
}

static int64_t eerom_blockdev_locate(eerom_blockdev_obj_t *self, mp_obj_t block_in, mp_obj_t offset_in, size_t len) {
    mp_int_t block, offset = 0;
    if (!eerom_blockdev_index(block_in, &block)
        || (offset_in != MP_OBJ_NULL && offset_in != mp_const_none && !eerom_blockdev_index(offset_in, &offset))
        || (uint64_t)block >= self->block_count) {
        return -1;
    }
    uint64_t start = (uint64_t)block * self->block_size + (uint64_t)offset;
    if (start + len > (uint64_t)self->block_count * self->block_size) {
        return -1;
    }
    return self->offset + start;
}

// readblocks(block, buf[, offset]) and writeblocks(block, buf[, offset]) return 0 or
// a negative errno, as the extended block-device protocol of LittleFS asks.
//
// A duck-typed bus runs Python during the transfer, which could resize (so free) the
// caller's buffer: eerom_bus_write() writes from a copy, and a read goes into a copy,
// the caller's buffer looked up again afterwards.  A native bus runs no Python.
static mp_obj_t eerom_blockdev_readblocks(size_t n_args, const mp_obj_t *args) {
    eerom_blockdev_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_buffer_info_t buf;
    mp_get_buffer_raise(args[2], &buf, MP_BUFFER_WRITE);
    size_t len = buf.len;
    int64_t at = eerom_blockdev_locate(self, args[1], n_args == 4 ? args[3] : MP_OBJ_NULL, len);
    if (at < 0) {
        return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
    }
    if (!eerom_bus_calls_python(&self->bus)) {
        return MP_OBJ_NEW_SMALL_INT(eerom_bus_read(&self->bus, at, buf.buf, len));
    }
    uint8_t *copy = m_new(uint8_t, len);
    int ret = eerom_bus_read(&self->bus, at, copy, len);
    if (ret == 0) {
        mp_get_buffer_raise(args[2], &buf, MP_BUFFER_WRITE);
        if (buf.len == len) {
            memcpy(buf.buf, copy, len);
        } else {
            ret = -MP_EIO; // the bus resized the buffer it was reading for
        }
    }
    m_del(uint8_t, copy, len);
    return MP_OBJ_NEW_SMALL_INT(ret);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(eerom_blockdev_readblocks_obj, 3, 4, eerom_blockdev_readblocks);

static mp_obj_t eerom_blockdev_writeblocks(size_t n_args, const mp_obj_t *args) {
    eerom_blockdev_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_buffer_info_t buf;
    mp_get_buffer_raise(args[2], &buf, MP_BUFFER_READ);
    int64_t at = eerom_blockdev_locate(self, args[1], n_args == 4 ? args[3] : MP_OBJ_NULL, buf.len);
    if (at < 0) {
        return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
    }
    return MP_OBJ_NEW_SMALL_INT(eerom_bus_write(&self->bus, at, buf.buf, buf.len, self->page));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(eerom_blockdev_writeblocks_obj, 3, 4, eerom_blockdev_writeblocks);

static mp_obj_t eerom_blockdev_ioctl(mp_obj_t self_in, mp_obj_t op_in, mp_obj_t arg_in) {
    eerom_blockdev_obj_t *self = MP_OBJ_TO_PTR(self_in);
    (void)arg_in;
    if (!mp_obj_is_small_int(op_in)) {
        return mp_const_none; // no such operation
    }
    switch (MP_OBJ_SMALL_INT_VALUE(op_in)) {
        case MP_BLOCKDEV_IOCTL_BLOCK_COUNT: // both <= 512 KiB: small ints on every port
            return MP_OBJ_NEW_SMALL_INT(self->block_count);
        case MP_BLOCKDEV_IOCTL_BLOCK_SIZE:
            return MP_OBJ_NEW_SMALL_INT(self->block_size);
        case MP_BLOCKDEV_IOCTL_INIT:
        case MP_BLOCKDEV_IOCTL_DEINIT:
        case MP_BLOCKDEV_IOCTL_SYNC:
        case MP_BLOCKDEV_IOCTL_BLOCK_ERASE: // EEPROMs need no erase before a write
            return MP_OBJ_NEW_SMALL_INT(0);
        default:
            return mp_const_none;
    }
}
static MP_DEFINE_CONST_FUN_OBJ_3(eerom_blockdev_ioctl_obj, eerom_blockdev_ioctl);

static const mp_rom_map_elem_t eerom_blockdev_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_readblocks), MP_ROM_PTR(&eerom_blockdev_readblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_writeblocks), MP_ROM_PTR(&eerom_blockdev_writeblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_ioctl), MP_ROM_PTR(&eerom_blockdev_ioctl_obj) },
};
static MP_DEFINE_CONST_DICT(eerom_blockdev_locals_dict, eerom_blockdev_locals_dict_table);

MP_DEFINE_CONST_OBJ_TYPE(
    eerom_blockdev_type,
    MP_QSTR_BlockDev,
    MP_TYPE_FLAG_NONE,
    make_new, eerom_blockdev_make_new,
    locals_dict, &eerom_blockdev_locals_dict
    );
