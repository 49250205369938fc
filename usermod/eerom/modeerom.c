// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// eerom: mount an app image from a hexpansion's I2C EEPROM as a read-only VFS.
//
//   info = eerom.mount(i2c, "/hexpansion_1")   # then: import hexpansion_1.app
//   eerom.umount("/hexpansion_1")
//
// The image (docs/SPEC.md) is read over I2C in as few sequential reads as the part
// allows, checked (header checksum, superblock CRC, payload CRC), inflated into one
// buffer, checked again as a ROMFS, and served by vfs.VfsRom from that buffer so that
// .mpy bytecode is imported in place.  Nothing is mounted unless every check passes.
//
// Lifetime: imported bytecode points into the image and the GC does not follow
// interior pointers, so every image mounted in this VM session is kept alive, through
// the module's own root pointer, until the next soft reset, even after umount().
// Images are shared: mounting an image whose bytes equal one already in RAM uses
// that one, so plugging a hexpansion in and out does not pile up copies.
//
// Preset dictionary (MICROPY_PY_EEROM_DICT, eerom_dict.h): an image may be deflated
// with the firmware's dictionary as history.  Its bytes are copied just before the
// output for the inflate, and the image is then moved to the front of the buffer and
// the rest given back: a mount costs the dictionary's size more at its peak and
// nothing more afterwards.

#include <string.h>

#include "py/runtime.h"
#include "py/gc.h"
#include "py/mperrno.h"
#include "py/objarray.h"
#include "py/objstr.h"
#include "extmod/vfs.h"
#include "extmod/vfs_rom.h"

#include "eerom_bus.h"
#include "eerom_device.h"
#include "eerom_dict.h"
#include "eerom_image.h"
#include "eerom_inflate.h"
#include "eerom_romfs.h"

#ifndef MICROPY_PY_EEROM
#define MICROPY_PY_EEROM (1)
#endif

#if MICROPY_PY_EEROM

#if !MICROPY_VFS_ROM
#error "eerom needs MICROPY_VFS_ROM (1); on esp32 set it in the board's mpconfigboard.h"
#endif

#if !MICROPY_PY_DEFLATE
// moddeflate.c compiles uzlib when deflate is enabled; otherwise compile it here
// (tinflate.c refers to uzlib's checksums).
#include "lib/uzlib/tinflate.c"
#include "lib/uzlib/adler32.c"
#include "lib/uzlib/crc32.c"
#endif

// Largest inflated image mount() accepts unless told otherwise (max_size=).
#ifndef MICROPY_PY_EEROM_MAX_IMAGE_SIZE
#define MICROPY_PY_EEROM_MAX_IMAGE_SIZE (256 * 1024)
#endif

#if EEROM_DICT
#if !MICROPY_MODULE_GETATTR
#error "eerom: MICROPY_PY_EEROM_DICT needs MICROPY_MODULE_GETATTR (eerom.DICT_ID); or set MICROPY_PY_EEROM_DICT to 0"
#endif
// The preset dictionary this firmware holds, for eerom_superblock_parse().
#define EEROM_HELD_DICT_ID (&eerom_dict_id)
#define EEROM_HELD_DICT_LEN (eerom_dict_len)
#else
#define EEROM_HELD_DICT_ID (NULL)
#define EEROM_HELD_DICT_LEN ((size_t)0)
#endif

/******************************************************************************/
// State of one VM session: the images mounted since the last (soft) reset.

typedef struct _eerom_state_t {
    mp_obj_base_t base;
    struct _eerom_state_t *self; // this object: with the type, tells a live state from a stale pointer
    // Read-only memoryviews of every image mounted this session (each checked, each
    // distinct), kept so that code imported from them stays valid after umount().
    mp_obj_t images;
    // The VfsRom objects eerom.mount() mounted: what eerom.umount() may unmount.
    mp_obj_t mounts;
} eerom_state_t;

static MP_DEFINE_CONST_OBJ_TYPE(eerom_state_type, MP_QSTR_eerom_state, MP_TYPE_FLAG_NONE);

MP_REGISTER_ROOT_POINTER(struct _eerom_state_t *eerom_state);

// The session's state, created on first use.  A root pointer outlives a soft reset
// while the heap it points into does not, and nothing clears it: so it is trusted only
// while it points at the head of a live heap block that is an eerom state pointing at
// itself.  After a soft reset the old block is free, or reused by an object that is
// not one (eerom creates no other), and a new state starts.  No sys.modules or
// __init__ is involved, so nothing Python does to them can drop the images.
static eerom_state_t *eerom_state(void) {
    eerom_state_t *st = MP_STATE_VM(eerom_state);
    if (st == NULL || gc_nbytes(st) < sizeof(eerom_state_t) || st->base.type != &eerom_state_type || st->self != st) {
        st = mp_obj_malloc(eerom_state_t, &eerom_state_type);
        st->self = st;
        st->images = mp_obj_new_list(0, NULL);
        st->mounts = mp_obj_new_list(0, NULL);
        MP_STATE_VM(eerom_state) = st;
    }
    return st;
}

// Remove `item` (by identity) from a list; false if it is not there.
static bool eerom_list_remove(mp_obj_t list_in, mp_obj_t item) {
    mp_obj_list_t *list = MP_OBJ_TO_PTR(list_in);
    for (size_t i = 0; i < list->len; ++i) {
        if (list->items[i] == item) {
            memmove(&list->items[i], &list->items[i + 1], (list->len - i - 1) * sizeof(mp_obj_t));
            list->items[--list->len] = MP_OBJ_NULL;
            return true;
        }
    }
    return false;
}

// The kept image whose bytes equal data[0..len), or MP_OBJ_NULL.  Byte for byte, not
// by CRC or sizes: a forged CRC must not make another image's code run.  Calls no
// Python, so the list cannot change under it.
static mp_obj_t eerom_find_image(const uint8_t *data, size_t len) {
    size_t n;
    mp_obj_t *items;
    mp_obj_list_get(eerom_state()->images, &n, &items);
    for (size_t i = 0; i < n; ++i) {
        mp_obj_array_t *view = MP_OBJ_TO_PTR(items[i]);
        if (view->len == len && memcmp(view->items, data, len) == 0) {
            return items[i];
        }
    }
    return MP_OBJ_NULL;
}

/******************************************************************************/
// Locating, reading and checking an image

static void eerom_read_superblock(eerom_bus_t *bus, const eerom_header_t *header, uint8_t *raw, eerom_superblock_t *sb) {
    uint8_t buf[EEROM_SB_SIZE_MAX];
    const uint8_t *p = raw + EEROM_HEADER_SIZE;
    if (header->fs_offset != EEROM_HEADER_SIZE) {
        eerom_check_read(bus, eerom_bus_read(bus, header->fs_offset, buf, EEROM_SB_SIZE_V1), header->fs_offset, EEROM_SB_SIZE_V1);
        p = buf;
    }
    eerom_err_t err = eerom_superblock_parse(p, EEROM_SB_SIZE_V1, EEROM_HELD_DICT_ID, sb);
    if (err == EEROM_ERR_TRUNCATED && eerom_superblock_size(p) > EEROM_SB_SIZE_V1) {
        // A longer superblock (a dictionary's identifier, or a later minor version's
        // extension): read all of it.
        size_t n = eerom_superblock_size(p);
        memmove(buf, p, EEROM_SB_SIZE_V1);
        eerom_check_read(bus, eerom_bus_read(bus, header->fs_offset + EEROM_SB_SIZE_V1, buf + EEROM_SB_SIZE_V1,
            n - EEROM_SB_SIZE_V1), header->fs_offset + EEROM_SB_SIZE_V1, n - EEROM_SB_SIZE_V1);
        err = eerom_superblock_parse(buf, n, EEROM_HELD_DICT_ID, sb);
    }
    #if MICROPY_ERROR_REPORTING > MICROPY_ERROR_REPORTING_TERSE
    if (err == EEROM_ERR_SB_DICT) {
        // Say which dictionary, and what the maker can do about it.
        eerom_raise(MP_ENOEXEC, MP_ERROR_TEXT("eerom: sb-dict: needs dictionary %08x: rebuild with --dict none"),
            (unsigned)sb->dict_id);
    }
    #endif
    eerom_check_image(err);
}

// Allocations of a load in progress, so that a failure at any point can free them.
// Lives on the C stack, where the GC sees it, and is only changed through a pointer,
// so its contents survive an nlr jump.
typedef struct _eerom_load_t {
    uint8_t *buf;
    size_t buf_len;
    void *state;
    size_t state_len;
} eerom_load_t;

static void eerom_load_free(eerom_load_t *ld) {
    if (ld->state != NULL) {
        m_del(uint8_t, ld->state, ld->state_len);
        ld->state = NULL;
    }
    if (ld->buf != NULL) {
        m_del(uint8_t, ld->buf, ld->buf_len);
        ld->buf = NULL;
    }
}

// Read the payload and check its CRC, then inflate it: ld->buf holds the image in
// its first image_size bytes.  The bus may call into Python during the read (a
// duck-typed I2C object); nothing here holds a pointer into shared state across it.
static void eerom_load(eerom_bus_t *bus, const eerom_header_t *header, const eerom_superblock_t *sb, eerom_load_t *ld) {
    // stored_size <= the part's size <= what the bus addresses (512 KiB; checked by
    // eerom_read_header() and eerom_image_check_bounds()), image_size <= 1032 x
    // stored_size (eerom_superblock_parse()) and the dictionary <= 32 KiB: the sum
    // below stays under 2^30 and cannot wrap a 32-bit size_t, whatever max_size allows.
    size_t image = sb->image_size;
    size_t stored = sb->stored_size;
    uint32_t at = eerom_payload_offset(header, sb);
    // Only an image that names the held dictionary gets here with the flag set
    // (eerom_superblock_parse() refused any other).
    size_t prefix = (sb->flags & EEROM_SB_FLAG_DICT) ? EEROM_HELD_DICT_LEN : 0;
    // Deflate: [0, prefix) the dictionary, [prefix, prefix + image) output, a guard
    // byte, then the compressed payload, in one allocation: no window, and the input
    // never overlaps the output.
    size_t in_at = sb->method == EEROM_METHOD_STORED ? 0 : prefix + image + 1;
    ld->buf_len = in_at + stored;
    ld->buf = m_new(uint8_t, ld->buf_len);
    eerom_check_read(bus, eerom_bus_read(bus, at, ld->buf + in_at, stored), at, stored);
    eerom_check_image(eerom_crc32(0, ld->buf + in_at, stored) == sb->payload_crc ? EEROM_OK : EEROM_ERR_PAYLOAD_CRC);
    if (sb->method != EEROM_METHOD_STORED) {
        #if EEROM_DICT
        if (prefix != 0) {
            memcpy(ld->buf, eerom_dict_data, prefix);
        }
        #endif
        ld->state_len = eerom_inflate_state_size();
        ld->state = m_new(uint8_t, ld->state_len);
        eerom_check_image(eerom_inflate(ld->state, ld->buf, prefix, image, ld->buf + in_at, stored));
        m_del(uint8_t, ld->state, ld->state_len);
        ld->state = NULL;
        if (prefix != 0) {
            // The image to the front: eerom_keep() gives back everything after it.
            memmove(ld->buf, ld->buf + prefix, image);
        }
    }
}

// Keep a freshly loaded image: check its structure, give back the payload's bytes
// and add a read-only view of it to this session's images.
static mp_obj_t eerom_keep(eerom_load_t *ld, size_t image) {
    eerom_check_image(eerom_romfs_check(ld->buf, image));
    if (ld->buf_len > image) {
        // Shrinking a GC block never moves it.
        uint8_t *shrunk = m_renew_maybe(uint8_t, ld->buf, ld->buf_len, image, false);
        if (shrunk != NULL) {
            ld->buf = shrunk;
            ld->buf_len = image;
        }
    }
    mp_obj_t view = mp_obj_new_memoryview('B', image, ld->buf); // read-only
    mp_obj_list_append(eerom_state()->images, view);
    return view;
}

/******************************************************************************/
// Python API

static const qstr eerom_mount_info_fields[] = {
    MP_QSTR_name, MP_QSTR_vid, MP_QSTR_pid, MP_QSTR_unique_id, MP_QSTR_addr, MP_QSTR_addrsize,
    MP_QSTR_image_size, MP_QSTR_stored_size, MP_QSTR_transactions, MP_QSTR_bytes_read, MP_QSTR_reused,
};

static const qstr eerom_header_fields[] = {
    MP_QSTR_name, MP_QSTR_vid, MP_QSTR_pid, MP_QSTR_unique_id, MP_QSTR_manifest_version,
    MP_QSTR_fs_offset, MP_QSTR_page_size, MP_QSTR_total_size, MP_QSTR_addr, MP_QSTR_addrsize,
};

// The header's friendly name as a str; bytes that are not UTF-8 become '?' (a str
// built from them would raise, and the badge decodes it leniently too).
static mp_obj_t eerom_new_name(const char *s) {
    size_t n = strlen(s);
    if (eerom_is_utf8((const uint8_t *)s, n)) {
        return mp_obj_new_str(s, n);
    }
    char clean[EEROM_HEADER_NAME_SIZE + 1];
    for (size_t i = 0; i <= n; ++i) {
        clean[i] = (s[i] & 0x80) ? '?' : s[i];
    }
    return mp_obj_new_str(clean, n);
}

// max_size=: a positive int; above 2**32 - 1 it limits nothing (no image is larger).
static uint32_t eerom_get_max_size(mp_obj_t arg) {
    if (mp_obj_is_int(arg) && eerom_int_exceeds(arg, UINT32_MAX)) {
        return UINT32_MAX;
    }
    uint32_t max = eerom_get_uint(arg, UINT32_MAX, MP_QSTR_max_size);
    if (max == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("eerom: max_size must be positive"));
    }
    return max;
}

// The path of a mount point: a str, or bytes of UTF-8 (as vfs.mount() takes), that
// starts with '/'.  (MicroPython's VFS mis-reads an empty mount point later.)
static const char *eerom_mount_path(mp_obj_t path_in, size_t *len) {
    if (!mp_obj_is_str_or_bytes(path_in)) {
        mp_raise_TypeError(MP_ERROR_TEXT("eerom: the mount point must be a str"));
    }
    const char *path = mp_obj_str_get_data(path_in, len);
    if (*len == 0 || path[0] != '/' || !eerom_is_utf8((const uint8_t *)path, *len)) {
        mp_raise_ValueError(MP_ERROR_TEXT("eerom: the mount point must be a path like /hexpansion_1"));
    }
    return path;
}

static mp_obj_t eerom_mount(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_addr, ARG_addrsize, ARG_max_size };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_addr, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_addrsize, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_max_size, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_INT(MICROPY_PY_EEROM_MAX_IMAGE_SIZE)} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 2, pos_args + 2, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    mp_obj_t mount_point = pos_args[1];
    size_t path_len;
    eerom_mount_path(mount_point, &path_len); // refused now rather than after the bus work
    uint32_t max_size = eerom_get_max_size(args[ARG_max_size].u_obj);

    eerom_bus_t bus;
    eerom_open(&bus, pos_args[0], args[ARG_addr].u_obj, args[ARG_addrsize].u_obj);
    uint8_t raw[EEROM_HEADER_SIZE + EEROM_SB_SIZE_V1];
    eerom_header_t header;
    eerom_read_header(&bus, raw, &header);
    eerom_superblock_t sb;
    eerom_read_superblock(&bus, &header, raw, &sb);
    eerom_check_image(eerom_image_check_bounds(&header, &sb, max_size));

    eerom_load_t ld = {NULL, 0, NULL, 0};
    // Read after an nlr jump, so volatile: a register copy would be rolled back.
    mp_obj_t volatile view = MP_OBJ_NULL; // the image served, once chosen
    mp_obj_t volatile vfs = MP_OBJ_NULL;
    volatile bool reused = false;
    mp_obj_t info = mp_const_none;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        eerom_load(&bus, &header, &sb, &ld);
        // From here to the mount nothing calls into Python.
        mp_obj_t image = eerom_find_image(ld.buf, sb.image_size);
        reused = image != MP_OBJ_NULL;
        if (reused) {
            eerom_load_free(&ld);
        } else {
            image = eerom_keep(&ld, sb.image_size);
        }
        view = image;
        mp_obj_t items[MP_ARRAY_SIZE(eerom_mount_info_fields)] = {
            eerom_new_name(header.name),
            MP_OBJ_NEW_SMALL_INT(header.vid),
            MP_OBJ_NEW_SMALL_INT(header.pid),
            MP_OBJ_NEW_SMALL_INT(header.unique_id),
            MP_OBJ_NEW_SMALL_INT(bus.addr),
            MP_OBJ_NEW_SMALL_INT(bus.addrsize),
            mp_obj_new_int_from_uint(sb.image_size),
            mp_obj_new_int_from_uint(sb.stored_size),
            mp_obj_new_int_from_uint(bus.transactions),
            mp_obj_new_int_from_uint(bus.bytes_read),
            mp_obj_new_bool(reused),
        };
        info = mp_obj_new_attrtuple(eerom_mount_info_fields, MP_ARRAY_SIZE(items), items);
        mp_obj_t fs = MP_OBJ_TYPE_GET_SLOT(&mp_type_vfs_rom, make_new)(&mp_type_vfs_rom, 1, 0, &image);
        mp_obj_list_append(eerom_state()->mounts, fs);
        vfs = fs;
        mp_obj_t mount_args[2] = {fs, mount_point};
        // Everything that can fail happens before this, or in it, and nothing after
        // it allocates: a raised mount() never leaves anything mounted.
        mp_vfs_mount(2, mount_args, (mp_map_t *)&mp_const_empty_map);
        nlr_pop();
    } else {
        if (vfs != MP_OBJ_NULL) {
            eerom_list_remove(eerom_state()->mounts, vfs);
        }
        if (!reused && view != MP_OBJ_NULL) {
            eerom_list_remove(eerom_state()->images, view); // kept, then not mounted
        }
        eerom_load_free(&ld);
        nlr_jump(nlr.ret_val);
    }
    return info;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(eerom_mount_obj, 2, eerom_mount);

// Is `obj` mounted anywhere?
static bool eerom_is_mounted(mp_obj_t obj) {
    for (mp_vfs_mount_t *m = MP_STATE_VM(vfs_mount_table); m != NULL; m = m->next) {
        if (m->obj == obj) {
            return true;
        }
    }
    return false;
}

// Unmount what eerom.mount() mounted at `mount_point` (a str or bytes, as mount()
// takes); anything else there is left alone.  The image stays in RAM: bytecode
// imported from it may still run.
static mp_obj_t eerom_umount(mp_obj_t mount_point) {
    size_t len;
    const char *path = eerom_mount_path(mount_point, &len);
    eerom_state_t *st = eerom_state();
    for (mp_vfs_mount_t *m = MP_STATE_VM(vfs_mount_table); m != NULL; m = m->next) {
        if (m->len == len && memcmp(m->str, path, len) == 0) {
            mp_obj_t vfs = m->obj;
            size_t n;
            mp_obj_t *mounts;
            mp_obj_list_get(st->mounts, &n, &mounts);
            bool ours = false;
            for (size_t i = 0; i < n && !ours; ++i) {
                ours = mounts[i] == vfs;
            }
            if (!ours) {
                eerom_raise(MP_EINVAL, MP_ERROR_TEXT("eerom: %s was not mounted by eerom: use vfs.umount()"), path);
            }
            // By path, so that exactly this entry goes (the same filesystem object
            // may be mounted at another path too).
            mp_vfs_umount(mp_obj_new_str(path, len));
            if (!eerom_is_mounted(vfs)) {
                eerom_list_remove(st->mounts, vfs);
            }
            return mp_const_none;
        }
    }
    eerom_raise(MP_EINVAL, MP_ERROR_TEXT("eerom: nothing is mounted at %s"), path);
}
static MP_DEFINE_CONST_FUN_OBJ_1(eerom_umount_obj, eerom_umount);

static mp_obj_t eerom_detect(mp_obj_t i2c) {
    eerom_bus_t bus;
    eerom_open(&bus, i2c, mp_const_none, mp_const_none);
    mp_obj_t items[2] = {MP_OBJ_NEW_SMALL_INT(bus.addr), MP_OBJ_NEW_SMALL_INT(bus.addrsize)};
    return mp_obj_new_tuple(2, items);
}
static MP_DEFINE_CONST_FUN_OBJ_1(eerom_detect_obj, eerom_detect);

static mp_obj_t eerom_header(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_addr, ARG_addrsize };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_addr, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_addrsize, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    eerom_bus_t bus;
    eerom_open(&bus, pos_args[0], args[ARG_addr].u_obj, args[ARG_addrsize].u_obj);
    uint8_t raw[EEROM_HEADER_SIZE + EEROM_SB_SIZE_V1];
    eerom_header_t h;
    eerom_read_header(&bus, raw, &h);
    mp_obj_t items[MP_ARRAY_SIZE(eerom_header_fields)] = {
        eerom_new_name(h.name),
        MP_OBJ_NEW_SMALL_INT(h.vid),
        MP_OBJ_NEW_SMALL_INT(h.pid),
        MP_OBJ_NEW_SMALL_INT(h.unique_id),
        mp_obj_new_str_from_cstr(h.manifest_version),
        MP_OBJ_NEW_SMALL_INT(h.fs_offset),
        MP_OBJ_NEW_SMALL_INT(h.page_size),
        mp_obj_new_int_from_uint(h.total_size),
        MP_OBJ_NEW_SMALL_INT(bus.addr),
        MP_OBJ_NEW_SMALL_INT(bus.addrsize),
    };
    return mp_obj_new_attrtuple(eerom_header_fields, MP_ARRAY_SIZE(items), items);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(eerom_header_obj, 1, eerom_header);

#if EEROM_DICT
// eerom.DICT_ID: the identifier (CRC-32) of the preset dictionary this firmware holds,
// for `eerom flash` to know which images the board reads.  A CRC-32 need not fit a
// small int (and a ROM table holds no other), so it is made when asked for.
static mp_obj_t eerom_getattr(mp_obj_t attr) {
    if (MP_OBJ_QSTR_VALUE(attr) == MP_QSTR_DICT_ID) {
        return mp_obj_new_int_from_uint(eerom_dict_id);
    }
    return MP_OBJ_NULL; // AttributeError
}
static MP_DEFINE_CONST_FUN_OBJ_1(eerom_getattr_obj, eerom_getattr);
#endif

extern const mp_obj_type_t eerom_blockdev_type; // eerom_blockdev.c
MP_DECLARE_CONST_FUN_OBJ_KW(eerom_read_obj); // eerom_access.c
MP_DECLARE_CONST_FUN_OBJ_KW(eerom_write_obj);
MP_DECLARE_CONST_FUN_OBJ_KW(eerom_page_digests_obj);
#if MICROPY_PY_EEROM_PROGRAM
MP_DECLARE_CONST_FUN_OBJ_KW(eerom_program_obj); // eerom_program.c
#endif

static const mp_rom_map_elem_t eerom_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_eerom) },
    { MP_ROM_QSTR(MP_QSTR_mount), MP_ROM_PTR(&eerom_mount_obj) },
    { MP_ROM_QSTR(MP_QSTR_umount), MP_ROM_PTR(&eerom_umount_obj) },
    { MP_ROM_QSTR(MP_QSTR_detect), MP_ROM_PTR(&eerom_detect_obj) },
    { MP_ROM_QSTR(MP_QSTR_header), MP_ROM_PTR(&eerom_header_obj) },
    { MP_ROM_QSTR(MP_QSTR_BlockDev), MP_ROM_PTR(&eerom_blockdev_type) },
    { MP_ROM_QSTR(MP_QSTR_read), MP_ROM_PTR(&eerom_read_obj) },
    { MP_ROM_QSTR(MP_QSTR_write), MP_ROM_PTR(&eerom_write_obj) },
    { MP_ROM_QSTR(MP_QSTR_page_digests), MP_ROM_PTR(&eerom_page_digests_obj) },
    #if MICROPY_PY_EEROM_PROGRAM
    { MP_ROM_QSTR(MP_QSTR_program), MP_ROM_PTR(&eerom_program_obj) },
    #endif
    { MP_ROM_QSTR(MP_QSTR_FORMAT_VERSION), MP_ROM_INT(EEROM_SB_VERSION) },
    { MP_ROM_QSTR(MP_QSTR_MAX_IMAGE_SIZE), MP_ROM_INT(MICROPY_PY_EEROM_MAX_IMAGE_SIZE) },
    // errno of a damaged or malformed image (MicroPython's errno module lacks it)
    { MP_ROM_QSTR(MP_QSTR_ENOEXEC), MP_ROM_INT(MP_ENOEXEC) },
    #if EEROM_DICT
    { MP_ROM_QSTR(MP_QSTR___getattr__), MP_ROM_PTR(&eerom_getattr_obj) }, // DICT_ID
    #else
    { MP_ROM_QSTR(MP_QSTR_DICT_ID), MP_ROM_NONE }, // no preset dictionary in this firmware
    #endif
};
static MP_DEFINE_CONST_DICT(eerom_module_globals, eerom_module_globals_table);

const mp_obj_module_t eerom_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&eerom_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_eerom, eerom_user_cmodule);

#endif // MICROPY_PY_EEROM
