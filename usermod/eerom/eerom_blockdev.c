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
        { MP_QSTR_block_size, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_block_count, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_page, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 0} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all_kw_array(n_args, n_kw, all_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);

    eerom_blockdev_obj_t *self = mp_obj_malloc(eerom_blockdev_obj_t, type);
    eerom_open(&self->bus, args[ARG_i2c].u_obj, args[ARG_addr].u_obj, args[ARG_addrsize].u_obj);
    if (args[ARG_offset].u_obj == mp_const_none) {
        // Geometry from the hexpansion header, with the badge's block size rule.
        uint8_t raw[EEROM_HEADER_SIZE + EEROM_SB_SIZE_V1];
        eerom_header_t header;
        eerom_read_header(&self->bus, raw, &header);
        self->offset = header.fs_offset;
        self->page = header.page_size;
        self->block_size = header.total_size >= 8192 ? 512 : 64;
        self->block_count = (header.total_size - header.fs_offset) / self->block_size;
    } else {
        self->offset = mp_obj_get_int(args[ARG_offset].u_obj);
        self->page = args[ARG_page].u_int;
        self->block_size = self->block_count = 0;
    }
    // Explicit geometry overrides the header's.
    if (args[ARG_block_size].u_int > 0) {
        self->block_size = args[ARG_block_size].u_int;
    }
    if (args[ARG_block_count].u_int > 0) {
        self->block_count = args[ARG_block_count].u_int;
    }
    if (args[ARG_page].u_int > 0) {
        self->page = args[ARG_page].u_int;
    }
    if (self->block_size == 0 || self->block_count == 0 || self->page == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("eerom: with offset= give block_size, block_count and page"));
    }
    return MP_OBJ_FROM_PTR(self);
}

// The EEPROM address of (block, offset) for len bytes, or -1 when out of range.
static int64_t locate_span(eerom_blockdev_obj_t *self, mp_obj_t block_in, size_t offset, size_t len) {
    mp_int_t block = mp_obj_get_int(block_in);
    uint64_t start = (uint64_t)block * self->block_size + offset;
    if (block < 0 || start + len > (uint64_t)self->block_count * self->block_size) {
        return -1;
    }
    return self->offset + start;
}

static mp_obj_t eerom_blockdev_readblocks(size_t n_args, const mp_obj_t *args) {
    eerom_blockdev_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_buffer_info_t buf;
    mp_get_buffer_raise(args[2], &buf, MP_BUFFER_WRITE);
    size_t offset = n_args == 4 ? mp_obj_get_int(args[3]) : 0;
    int64_t at = locate_span(self, args[1], offset, buf.len);
    if (at < 0) {
        return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
    }
    return MP_OBJ_NEW_SMALL_INT(eerom_bus_read(&self->bus, at, buf.buf, buf.len));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(eerom_blockdev_readblocks_obj, 3, 4, eerom_blockdev_readblocks);

static mp_obj_t eerom_blockdev_writeblocks(size_t n_args, const mp_obj_t *args) {
    eerom_blockdev_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_buffer_info_t buf;
    mp_get_buffer_raise(args[2], &buf, MP_BUFFER_READ);
    size_t offset = n_args == 4 && args[3] != mp_const_none ? mp_obj_get_int(args[3]) : 0;
    int64_t at = locate_span(self, args[1], offset, buf.len);
    if (at < 0) {
        return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
    }
    return MP_OBJ_NEW_SMALL_INT(eerom_bus_write(&self->bus, at, buf.buf, buf.len, self->page));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(eerom_blockdev_writeblocks_obj, 3, 4, eerom_blockdev_writeblocks);

static mp_obj_t eerom_blockdev_ioctl(mp_obj_t self_in, mp_obj_t op_in, mp_obj_t arg_in) {
    eerom_blockdev_obj_t *self = MP_OBJ_TO_PTR(self_in);
    (void)arg_in;
    switch (mp_obj_get_int(op_in)) {
        case MP_BLOCKDEV_IOCTL_BLOCK_COUNT:
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
