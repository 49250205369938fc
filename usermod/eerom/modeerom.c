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
// Lifetime: imported bytecode points into the buffer and the GC does not follow
// interior pointers, so each buffer is kept alive until soft reset by listing it in
// MP_STATE_VM(persistent_code_root_pointers), the list the runtime itself uses for
// loaded native code and resets in mp_init().  Buffers are shared: mounting an image
// that is already in RAM reuses it after checking the EEPROM still holds it.
#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "py/objarray.h"
#include "py/objstr.h"
#include "extmod/vfs.h"
#include "extmod/vfs_rom.h"

#include "eerom_bus.h"
#include "eerom_device.h"
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

#if !(MICROPY_EMIT_MACHINE_CODE && MICROPY_PERSISTENT_CODE_LOAD \
    && (MICROPY_PERSISTENT_CODE_TRACK_FUN_DATA || MICROPY_PERSISTENT_CODE_TRACK_BSS_RODATA))
#error "eerom keeps image buffers alive through MP_STATE_VM(persistent_code_root_pointers), which this port does not build"
#endif

#if !MICROPY_PY_DEFLATE
// moddeflate.c compiles uzlib when deflate is enabled; otherwise compile it here
// (tinflate.c refers to uzlib's checksums).
#include "lib/uzlib/tinflate.c"
#include "lib/uzlib/adler32.c"
#include "lib/uzlib/crc32.c"
#endif

// Largest inflated image mount() accepts unless told otherwise (max_size=).
#ifndef MICROPY_EEROM_MAX_IMAGE_SIZE
#define MICROPY_EEROM_MAX_IMAGE_SIZE (256 * 1024)
#endif

/******************************************************************************/
// Image buffers kept alive until soft reset, shared between mounts of one image.

typedef struct _eerom_cached_t {
    const uint8_t *data;
    uint32_t image_size;
    uint32_t stored_size;
    uint32_t payload_crc;
    uint8_t method;
} eerom_cached_t;

typedef struct _eerom_cache_t {
    mp_obj_base_t base;
    size_t len;
    size_t alloc;
    eerom_cached_t *items;
} eerom_cache_t;

static const mp_obj_type_t eerom_cache_type; // a tag: instances are never exposed

MP_REGISTER_ROOT_POINTER(struct _eerom_cache_t *eerom_cache);

// The cache, or NULL.  MP_STATE_VM(eerom_cache) survives a soft reset while the heap
// does not, so it is trusted only while it is still listed in the (reset) list of
// persistent-code roots and is of our type.
static eerom_cache_t *cache_get(void) {
    eerom_cache_t *cache = MP_STATE_VM(eerom_cache);
    mp_obj_t roots = MP_STATE_VM(persistent_code_root_pointers);
    if (cache == NULL || roots == MP_OBJ_NULL) {
        return NULL;
    }
    size_t n;
    mp_obj_t *items;
    mp_obj_list_get(roots, &n, &items);
    for (size_t i = 0; i < n; ++i) {
        if (items[i] == MP_OBJ_FROM_PTR(cache) && cache->base.type == &eerom_cache_type) {
            return cache;
        }
    }
    return NULL;
}

static eerom_cache_t *cache_get_or_create(void) {
    eerom_cache_t *cache = cache_get();
    if (cache == NULL) {
        cache = mp_obj_malloc(eerom_cache_t, &eerom_cache_type);
        cache->len = 0;
        cache->alloc = 0;
        cache->items = NULL;
        if (MP_STATE_VM(persistent_code_root_pointers) == MP_OBJ_NULL) {
            MP_STATE_VM(persistent_code_root_pointers) = mp_obj_new_list(0, NULL);
        }
        mp_obj_list_append(MP_STATE_VM(persistent_code_root_pointers), MP_OBJ_FROM_PTR(cache));
        MP_STATE_VM(eerom_cache) = cache;
    }
    return cache;
}

static const eerom_cached_t *cache_find(const eerom_superblock_t *sb) {
    eerom_cache_t *cache = cache_get();
    for (size_t i = 0; cache != NULL && i < cache->len; ++i) {
        const eerom_cached_t *c = &cache->items[i];
        if (c->payload_crc == sb->payload_crc && c->image_size == sb->image_size
            && c->stored_size == sb->stored_size && c->method == sb->method) {
            return c;
        }
    }
    return NULL;
}

static void cache_add(const eerom_superblock_t *sb, const uint8_t *data) {
    eerom_cache_t *cache = cache_get_or_create();
    if (cache->len == cache->alloc) {
        size_t alloc = cache->alloc + 4;
        cache->items = m_renew(eerom_cached_t, cache->items, cache->alloc, alloc);
        cache->alloc = alloc;
    }
    cache->items[cache->len++] = (eerom_cached_t) {
        .data = data,
        .image_size = sb->image_size,
        .stored_size = sb->stored_size,
        .payload_crc = sb->payload_crc,
        .method = sb->method,
    };
}

static void cache_drop_last(void) {
    eerom_cache_t *cache = cache_get();
    cache->items[--cache->len].data = NULL;
}

static MP_DEFINE_CONST_OBJ_TYPE(eerom_cache_type, MP_QSTR_eerom_cache, MP_TYPE_FLAG_NONE);

/******************************************************************************/
// Locating and reading an image

static void read_superblock(eerom_bus_t *bus, const eerom_header_t *header, uint8_t *raw, eerom_superblock_t *sb) {
    uint8_t buf[EEROM_SB_SIZE_MAX];
    const uint8_t *p = raw + EEROM_HEADER_SIZE;
    if (header->fs_offset != EEROM_HEADER_SIZE) {
        eerom_check_read(bus, eerom_bus_read(bus, header->fs_offset, buf, EEROM_SB_SIZE_V1), header->fs_offset, EEROM_SB_SIZE_V1);
        p = buf;
    }
    eerom_err_t err = eerom_superblock_parse(p, EEROM_SB_SIZE_V1, sb);
    if (err == EEROM_ERR_TRUNCATED && eerom_superblock_size(p) > EEROM_SB_SIZE_V1) {
        // A later format minor version with a longer superblock: read all of it.
        size_t n = eerom_superblock_size(p);
        memmove(buf, p, EEROM_SB_SIZE_V1);
        eerom_check_read(bus, eerom_bus_read(bus, header->fs_offset + EEROM_SB_SIZE_V1, buf + EEROM_SB_SIZE_V1,
            n - EEROM_SB_SIZE_V1), header->fs_offset + EEROM_SB_SIZE_V1, n - EEROM_SB_SIZE_V1);
        err = eerom_superblock_parse(buf, n, sb);
    }
    eerom_check_image(err);
}

// Allocations of a load in progress, so a failure at any point can free them.  Only
// ever changed through a pointer, so its contents survive an nlr jump.
typedef struct _eerom_load_t {
    uint8_t *buf;
    size_t buf_len;
    void *state;
    size_t state_len;
} eerom_load_t;

static void *alloc_or_raise(size_t len, const char *what) {
    void *p = m_malloc_maybe(len);
    if (p == NULL) {
        eerom_raise(MP_ENOMEM, "eerom: no memory for %u bytes of %s", (unsigned)len, what);
    }
    return p;
}

static void load_free(eerom_load_t *ld) {
    if (ld->state != NULL) {
        m_del(uint8_t, ld->state, ld->state_len);
        ld->state = NULL;
    }
    if (ld->buf != NULL) {
        m_del(uint8_t, ld->buf, ld->buf_len);
        ld->buf = NULL;
    }
}

static void read_payload(eerom_bus_t *bus, const eerom_header_t *header, const eerom_superblock_t *sb, uint8_t *dest) {
    uint32_t at = eerom_payload_offset(header, sb);
    eerom_check_read(bus, eerom_bus_read(bus, at, dest, sb->stored_size), at, sb->stored_size);
    eerom_check_image(eerom_crc32(0, dest, sb->stored_size) == sb->payload_crc ? EEROM_OK : EEROM_ERR_PAYLOAD_CRC);
}

// Read, check and inflate a new image into ld->buf (exactly image_size bytes on return).
static void load_image(eerom_bus_t *bus, const eerom_header_t *header, const eerom_superblock_t *sb, eerom_load_t *ld) {
    size_t image = sb->image_size;
    size_t stored = sb->stored_size;
    if (sb->method == EEROM_METHOD_STORED) {
        ld->buf_len = image;
        ld->buf = alloc_or_raise(image, "image");
        read_payload(bus, header, sb, ld->buf);
    } else {
        // [0, image) output, [image] guard byte, then the compressed payload: one
        // allocation, no window, and the input never overlaps the output.
        ld->buf_len = image + 1 + stored;
        ld->buf = alloc_or_raise(ld->buf_len, "image");
        read_payload(bus, header, sb, ld->buf + image + 1);
        ld->state_len = eerom_inflate_state_size();
        ld->state = alloc_or_raise(ld->state_len, "inflate state");
        eerom_check_image(eerom_inflate(ld->state, ld->buf, image, ld->buf + image + 1, stored));
        m_del(uint8_t, ld->state, ld->state_len);
        ld->state = NULL;
    }
    eerom_check_image(eerom_romfs_check(ld->buf, image));
    if (ld->buf_len > image) {
        // Give the payload's bytes back; shrinking a GC block never moves it.
        uint8_t *shrunk = m_renew_maybe(uint8_t, ld->buf, ld->buf_len, image, false);
        if (shrunk != NULL) {
            ld->buf = shrunk;
            ld->buf_len = image;
        }
    }
}

// An image already in RAM: check the EEPROM still holds it (payload CRC) and reuse it.
static void verify_cached(eerom_bus_t *bus, const eerom_header_t *header, const eerom_superblock_t *sb, eerom_load_t *ld) {
    ld->buf_len = sb->stored_size;
    ld->buf = alloc_or_raise(ld->buf_len, "payload");
    read_payload(bus, header, sb, ld->buf);
    load_free(ld);
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

static mp_obj_t new_str(const char *s) {
    return mp_obj_new_str(s, strlen(s));
}

// The header's friendly name as a str; bytes that are not UTF-8 become '?' (a str
// built from them would raise, and the badge decodes it leniently too).
static mp_obj_t new_name(const char *s) {
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

enum { ARG_addr, ARG_addrsize, ARG_max_size };

static mp_obj_t eerom_mount(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_addr, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_addrsize, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_max_size, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = MICROPY_EEROM_MAX_IMAGE_SIZE} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 2, pos_args + 2, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    mp_obj_t mount_point = pos_args[1];
    mp_obj_str_get_str(mount_point); // TypeError now rather than after the bus work
    if (args[ARG_max_size].u_int <= 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("eerom: max_size must be positive"));
    }

    eerom_bus_t bus;
    eerom_open(&bus, pos_args[0], args[ARG_addr].u_obj, args[ARG_addrsize].u_obj);
    uint8_t raw[EEROM_HEADER_SIZE + EEROM_SB_SIZE_V1];
    eerom_header_t header;
    eerom_read_header(&bus, raw, &header);
    eerom_superblock_t sb;
    read_superblock(&bus, &header, raw, &sb);
    eerom_check_image(eerom_image_check_bounds(&header, &sb, args[ARG_max_size].u_int));

    eerom_load_t ld = {NULL, 0, NULL, 0};
    const eerom_cached_t *cached = cache_find(&sb);
    mp_obj_t info;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        const uint8_t *data;
        if (cached != NULL) {
            verify_cached(&bus, &header, &sb, &ld);
            data = cached->data;
        } else {
            load_image(&bus, &header, &sb, &ld);
            data = ld.buf;
            cache_add(&sb, data);
        }
        // Everything that can fail happens before the mount, so a raised mount()
        // never leaves anything mounted.
        mp_obj_t items[MP_ARRAY_SIZE(eerom_mount_info_fields)] = {
            new_name(header.name),
            MP_OBJ_NEW_SMALL_INT(header.vid),
            MP_OBJ_NEW_SMALL_INT(header.pid),
            MP_OBJ_NEW_SMALL_INT(header.unique_id),
            MP_OBJ_NEW_SMALL_INT(bus.addr),
            MP_OBJ_NEW_SMALL_INT(bus.addrsize),
            mp_obj_new_int_from_uint(sb.image_size),
            mp_obj_new_int_from_uint(sb.stored_size),
            mp_obj_new_int_from_uint(bus.transactions),
            mp_obj_new_int_from_uint(bus.bytes_read),
            mp_obj_new_bool(cached != NULL),
        };
        info = mp_obj_new_attrtuple(eerom_mount_info_fields, MP_ARRAY_SIZE(items), items);
        mp_obj_t mv = mp_obj_new_memoryview('B', sb.image_size, (void *)data); // read-only view
        mp_obj_t mount_args[2] = {
            MP_OBJ_TYPE_GET_SLOT(&mp_type_vfs_rom, make_new)(&mp_type_vfs_rom, 1, 0, &mv),
            mount_point,
        };
        mp_vfs_mount(2, mount_args, (mp_map_t *)&mp_const_empty_map);
        nlr_pop();
    } else {
        if (cached == NULL && ld.buf != NULL && cache_find(&sb) != NULL) {
            cache_drop_last(); // added, then the mount itself failed
        }
        load_free(&ld);
        nlr_jump(nlr.ret_val);
    }
    return info;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(eerom_mount_obj, 2, eerom_mount);

static mp_obj_t eerom_umount(mp_obj_t mount_point) {
    // The image stays in RAM: bytecode imported from it may still run.
    return mp_vfs_umount(mount_point);
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
        new_name(h.name),
        MP_OBJ_NEW_SMALL_INT(h.vid),
        MP_OBJ_NEW_SMALL_INT(h.pid),
        MP_OBJ_NEW_SMALL_INT(h.unique_id),
        new_str(h.manifest_version),
        MP_OBJ_NEW_SMALL_INT(h.fs_offset),
        MP_OBJ_NEW_SMALL_INT(h.page_size),
        mp_obj_new_int_from_uint(h.total_size),
        MP_OBJ_NEW_SMALL_INT(bus.addr),
        MP_OBJ_NEW_SMALL_INT(bus.addrsize),
    };
    return mp_obj_new_attrtuple(eerom_header_fields, MP_ARRAY_SIZE(items), items);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(eerom_header_obj, 1, eerom_header);

extern const mp_obj_type_t eerom_blockdev_type; // eerom_blockdev.c
MP_DECLARE_CONST_FUN_OBJ_KW(eerom_read_obj); // eerom_access.c
MP_DECLARE_CONST_FUN_OBJ_KW(eerom_write_obj);
MP_DECLARE_CONST_FUN_OBJ_KW(eerom_page_digests_obj);

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
    { MP_ROM_QSTR(MP_QSTR_FORMAT_VERSION), MP_ROM_INT(EEROM_SB_VERSION) },
    { MP_ROM_QSTR(MP_QSTR_MAX_IMAGE_SIZE), MP_ROM_INT(MICROPY_EEROM_MAX_IMAGE_SIZE) },
    // errno of a damaged or malformed image (MicroPython's errno module lacks it)
    { MP_ROM_QSTR(MP_QSTR_ENOEXEC), MP_ROM_INT(MP_ENOEXEC) },
};
static MP_DEFINE_CONST_DICT(eerom_module_globals, eerom_module_globals_table);

const mp_obj_module_t eerom_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&eerom_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_eerom, eerom_user_cmodule);

#endif // MICROPY_PY_EEROM
