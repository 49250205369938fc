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
#include "py/runtime.h"
#include "py/mperrno.h"

#include "eerom_device.h"

// Bytes read per transaction by page_digests(): several pages, within a small buffer.
#define EEROM_DIGEST_CHUNK (512)
#define FNV_OFFSET (0x811c9dc5u)
#define FNV_PRIME (0x01000193u)

enum { ARG_i2c, ARG_at, ARG_n, ARG_page, ARG_addr, ARG_addrsize };

static void parse(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args, bool with_page,
    mp_arg_val_t *args, eerom_bus_t *bus) {
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_i2c, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_at, MP_ARG_REQUIRED | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_n, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_page, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_addr, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_addrsize, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    if (args[ARG_at].u_int < 0 || (with_page && (args[ARG_page].u_int <= 0 || args[ARG_page].u_int > 4096))) {
        mp_raise_ValueError(MP_ERROR_TEXT("eerom: bad address or page size"));
    }
    eerom_open(bus, args[ARG_i2c].u_obj, args[ARG_addr].u_obj, args[ARG_addrsize].u_obj);
}

static mp_obj_t eerom_read(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    mp_arg_val_t args[6];
    eerom_bus_t bus;
    parse(n_args, pos_args, kw_args, false, args, &bus);
    mp_int_t n = mp_obj_get_int(args[ARG_n].u_obj);
    if (n < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("eerom: negative length"));
    }
    vstr_t vstr;
    vstr_init_len(&vstr, n);
    eerom_check_read(&bus, eerom_bus_read(&bus, args[ARG_at].u_int, (uint8_t *)vstr.buf, n), args[ARG_at].u_int, n);
    return mp_obj_new_bytes_from_vstr(&vstr);
}
MP_DEFINE_CONST_FUN_OBJ_KW(eerom_read_obj, 3, eerom_read);

static mp_obj_t eerom_write(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    mp_arg_val_t args[6];
    eerom_bus_t bus;
    parse(n_args, pos_args, kw_args, true, args, &bus);
    mp_buffer_info_t data;
    mp_get_buffer_raise(args[ARG_n].u_obj, &data, MP_BUFFER_READ);
    int ret = eerom_bus_write(&bus, args[ARG_at].u_int, data.buf, data.len, args[ARG_page].u_int);
    if (ret == -MP_ETIMEDOUT) {
        eerom_raise(MP_ETIMEDOUT, "eerom: the EEPROM stayed busy after a page write");
    } else if (ret != 0) {
        eerom_raise(MP_EIO, "eerom: page write at 0x%04x failed (errno %d)", (unsigned)args[ARG_at].u_int, -ret);
    }
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_KW(eerom_write_obj, 4, eerom_write);

static mp_obj_t eerom_page_digests(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    mp_arg_val_t args[6];
    eerom_bus_t bus;
    parse(n_args, pos_args, kw_args, true, args, &bus);
    uint32_t at = args[ARG_at].u_int;
    mp_int_t n = mp_obj_get_int(args[ARG_n].u_obj);
    uint32_t page = args[ARG_page].u_int;
    if (n < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("eerom: negative length"));
    }
    uint32_t end = at + n;
    size_t pieces = n == 0 ? 0 : (end - 1) / page - at / page + 1;
    vstr_t out;
    vstr_init_len(&out, pieces * 4);
    uint8_t *chunk = m_new(uint8_t, EEROM_DIGEST_CHUNK);
    uint8_t *digest_out = (uint8_t *)out.buf;
    uint32_t h = FNV_OFFSET;
    while (at < end) {
        // Read up to a chunk, never past the end; digest it piece by piece.
        size_t len = end - at < EEROM_DIGEST_CHUNK ? end - at : EEROM_DIGEST_CHUNK;
        int ret = eerom_bus_read(&bus, at, chunk, len);
        if (ret != 0) {
            m_del(uint8_t, chunk, EEROM_DIGEST_CHUNK);
            eerom_check_read(&bus, ret, at, len);
        }
        for (size_t i = 0; i < len;) {
            size_t piece = page - (at + i) % page;
            if (piece > len - i) {
                piece = len - i;
            }
            for (size_t j = 0; j < piece; ++j) {
                h = (h ^ chunk[i + j]) * FNV_PRIME;
            }
            i += piece;
            if ((at + i) % page == 0 || at + i == end) { // a page-aligned piece is complete
                digest_out[0] = h;
                digest_out[1] = h >> 8;
                digest_out[2] = h >> 16;
                digest_out[3] = h >> 24;
                digest_out += 4;
                h = FNV_OFFSET;
            }
        }
        at += len;
    }
    m_del(uint8_t, chunk, EEROM_DIGEST_CHUNK);
    return mp_obj_new_bytes_from_vstr(&out);
}
MP_DEFINE_CONST_FUN_OBJ_KW(eerom_page_digests_obj, 4, eerom_page_digests);
