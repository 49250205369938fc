// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// eerom.program(): write an image to the EEPROM from the board itself.
//
//   pages, changed, written, rewritten = eerom.program(i2c, image, *, addr=None,
//       addrsize=None, page=None, keep_fill=True, force=False, progress=None)
//
// The device-side twin of tools/eerom/flash.py's program() and planner.plan(), with
// the same guarantees in the same order, so that a host can send an image in one
// exec instead of driving every page over the REPL:
//
// 1. the image is checked as mount() checks an EEPROM (the same OSError and check
//    name), and refused before anything is read from the bus if it is bad;
// 2. it is refused before any write if it is longer than the bus addresses, or than
//    the EEPROM's current header says the part holds (unless force);
// 3. pages go in min(image's, current header's) page size unless page= is given; the
//    bytes between the header and fs_offset are kept when the current header has the
//    same fs_offset (keep_fill);
// 4. every page is read and compared; only differing pages are written, in the
//    order of docs/SPEC.md section 9 (invalidate, header, payload, superblock, commit
//    with the magic's page last), the magic's page being added whenever more than one
//    page changes or a changed page ends past 1 KiB;
// 5. the invalidate step checks the part is as big as the image (a smaller part
//    wraps: the value written at fs_offset shows at S + fs_offset); if not it puts
//    back the 4 bytes and raises OSError(EFBIG);
// 6. written pages are read back; bad ones are written once more (planned again:
//    invalidate and commit again), every written page checked again, and EIO names
//    the pages that still differ.
//
// progress(phase, done, total) is called at the start of each phase (done 0) and
// after each page; phase is "compare", "write", "verify" or "rewrite", as the host's
// progress bars name them.  An exception it raises stops the programming there: the
// EEPROM then holds the old image, or one that readers refuse (its magic
// invalidated), or the new one (stopped while verifying); a rerun completes it.
//
// Where it differs from the host, it knows better: the bus's capacity is what
// eerom_bus_capacity() says (the host assumes 2 KiB or 64 KiB); the invalidate value
// is chosen to differ from what the probed addresses hold, not drawn at random.
//
// The image is copied first and the copy is what is written: the progress callback
// and a duck-typed bus run Python, which may change or free the caller's buffer.
// RAM: that copy, a 512-byte read buffer, one byte per page, and, during the check
// only, the inflated image (as mount() needs).
#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "py/mphal.h"

#include "eerom_device.h"
#include "eerom_dict.h"
#include "eerom_inflate.h"

#if MICROPY_PY_EEROM_PROGRAM

// Largest inflated image the check accepts (as mount()'s default max_size).
#ifndef MICROPY_PY_EEROM_MAX_IMAGE_SIZE
#define MICROPY_PY_EEROM_MAX_IMAGE_SIZE (256 * 1024)
#endif

// Bytes read per transaction when comparing: whole pages (page <= 512 divides it).
#define EEROM_PROG_CHUNK (512)
// The part sizes the wrap probe looks for, and the rule that adds the magic's page
// when a write reaches past the smallest of them (planner.WRAP_CHECK_FROM).
#define EEROM_PROG_WRAP_FROM (1024)
#define EEROM_PROG_WRAP_TO (32768)
#define EEROM_PROG_MAGIC_LEN (4)
#define EEROM_PROG_FILL (0xff)

// Per-page flags.
#define PG_CHANGED (0x01) // differed from the image when compared
#define PG_PLAN (0x02)    // in the plan being written
#define PG_WRITTEN (0x04) // written by this call
#define PG_BAD (0x08)     // differed when verified

// Where a page goes in the order (planner.PHASES after invalidate).
enum { PH_HEADER, PH_PAYLOAD, PH_SUPERBLOCK, PH_COMMIT };

typedef struct _eerom_prog_t {
    eerom_bus_t bus;
    uint8_t *img; // our copy of the image, len bytes
    size_t len;
    uint8_t *chunk; // EEROM_PROG_CHUNK bytes
    uint8_t *flags; // one per page
    size_t pages;
    uint32_t page;
    uint32_t fs_offset;
    uint32_t sb_end; // fs_offset + the superblock's size
    size_t magic; // the page holding the superblock magic
    mp_obj_t progress;
    size_t written; // page writes
} eerom_prog_t;

static inline uint32_t eerom_prog_start(const eerom_prog_t *p, size_t i) {
    return (uint32_t)i * p->page;
}

// The end of page i: the image's end for the last one.
static inline uint32_t eerom_prog_end(const eerom_prog_t *p, size_t i) {
    uint32_t end = eerom_prog_start(p, i) + p->page;
    return end < p->len ? end : (uint32_t)p->len;
}

static void eerom_prog_progress(eerom_prog_t *p, qstr phase, size_t done, size_t total) {
    if (p->progress != mp_const_none) {
        mp_obj_t args[3] = {MP_OBJ_NEW_QSTR(phase), MP_OBJ_NEW_SMALL_INT(done), MP_OBJ_NEW_SMALL_INT(total)};
        mp_call_function_n_kw(p->progress, 3, 0, args);
    }
}

static void eerom_prog_read(eerom_prog_t *p, uint32_t at, uint8_t *buf, size_t n) {
    eerom_check_read(&p->bus, eerom_bus_read(&p->bus, at, buf, n), at, n);
}

static void eerom_prog_write(eerom_prog_t *p, uint32_t at, const uint8_t *buf, size_t n) {
    int ret = eerom_bus_write(&p->bus, at, buf, n, p->page);
    if (ret == -MP_ETIMEDOUT) {
        eerom_raise(MP_ETIMEDOUT, MP_ERROR_TEXT("eerom: the EEPROM stayed busy after a page write"));
    } else if (ret != 0) {
        eerom_raise(MP_EIO, MP_ERROR_TEXT("eerom: page write at 0x%04x failed (errno %d)"), (unsigned)at, -ret);
    }
}

// The image's header and superblock, checked as mount() checks them (the same
// errors): its length is then fs_offset + sb_size + stored_size.  Allocates nothing
// and calls no Python, so `data` (the caller's buffer) stays valid throughout.
static size_t eerom_prog_parse(const uint8_t *data, size_t len, eerom_header_t *h, eerom_superblock_t *sb) {
    #if EEROM_DICT
    const uint32_t *held = &eerom_dict_id;
    #else
    const uint32_t *held = NULL;
    #endif
    eerom_err_t err = len < EEROM_HEADER_SIZE ? EEROM_ERR_TRUNCATED : eerom_header_parse(data, h);
    if (err == EEROM_OK) {
        size_t avail = len > h->fs_offset ? len - h->fs_offset : 0;
        err = eerom_superblock_parse(data + (len - avail), avail, held, sb);
    }
    #if MICROPY_ERROR_REPORTING > MICROPY_ERROR_REPORTING_TERSE
    if (err == EEROM_ERR_SB_DICT) {
        eerom_raise(MP_ENOEXEC, MP_ERROR_TEXT("eerom: sb-dict: needs dictionary %08x: rebuild with --dict none"),
            (unsigned)sb->dict_id);
    }
    #endif
    if (err == EEROM_OK) {
        err = eerom_image_check_bounds(h, sb, MICROPY_PY_EEROM_MAX_IMAGE_SIZE);
    }
    eerom_check_image(err);
    // <= total_size (checked by bounds): no wrap.
    size_t need = eerom_payload_offset(h, sb) + sb->stored_size;
    // Refused before the copy is allocated: a short buffer claiming a large image
    // gets "truncated", not a MemoryError.
    eerom_check_image(len < need ? EEROM_ERR_TRUNCATED : EEROM_OK);
    return need;
}

// Our copy of the image in `obj`, `len` bytes of it: the buffer is looked up again
// after the allocation, which may collect garbage and so run finalisers.
static uint8_t *eerom_prog_copy(mp_obj_t obj, size_t len) {
    uint8_t *img = m_new(uint8_t, len);
    mp_buffer_info_t data;
    mp_get_buffer_raise(obj, &data, MP_BUFFER_READ);
    eerom_check_image(data.len < len ? EEROM_ERR_TRUNCATED : EEROM_OK);
    memcpy(img, data.buf, len);
    return img;
}

// Every check of mount() on our copy, parsed again (the caller's code may have run
// since the first parse), then payload CRC, inflate, ROMFS.  Needs the inflated
// image's RAM for a moment, as mount() does.
static void eerom_prog_check(const uint8_t *img, size_t len, eerom_header_t *h, eerom_superblock_t *sb) {
    const uint8_t *dict = NULL;
    size_t dict_len = 0;
    #if EEROM_DICT
    dict = eerom_dict_data;
    dict_len = eerom_dict_len;
    #endif
    eerom_check_image(eerom_prog_parse(img, len, h, sb) == len ? EEROM_OK : EEROM_ERR_TRUNCATED);
    // image_size <= the limit (256 KiB) and the dictionary <= 32 KiB: no wrap.
    size_t prefix = (sb->flags & EEROM_SB_FLAG_DICT) ? dict_len : 0;
    size_t out_len = prefix + sb->image_size + 1;
    size_t state_len = eerom_inflate_state_size();
    uint8_t *out = m_new(uint8_t, out_len);
    void *state = m_new(uint8_t, state_len);
    eerom_err_t err = eerom_image_check_buffer(img, len, MICROPY_PY_EEROM_MAX_IMAGE_SIZE, dict, dict_len,
        state, out, out_len, h, sb);
    m_del(uint8_t, state, state_len);
    m_del(uint8_t, out, out_len);
    eerom_check_image(err);
}

// Compare the pages that have flag `among` (every page when 0) with the image,
// setting `set` on those that differ; consecutive ones are read together, up to a
// chunk.  Returns how many differ.  `total` is for the progress callback.
static size_t eerom_prog_compare(eerom_prog_t *p, uint8_t among, uint8_t set, qstr phase, size_t total) {
    size_t bad = 0;
    size_t done = 0;
    eerom_prog_progress(p, phase, 0, total);
    for (size_t i = 0; i < p->pages;) {
        if (among != 0 && !(p->flags[i] & among)) {
            ++i;
            continue;
        }
        // A run of consecutive pages to compare, up to one chunk.
        size_t j = i + 1;
        while (j < p->pages && (among == 0 || (p->flags[j] & among))
               && eerom_prog_end(p, j) - eerom_prog_start(p, i) <= EEROM_PROG_CHUNK) {
            ++j;
        }
        uint32_t start = eerom_prog_start(p, i);
        eerom_prog_read(p, start, p->chunk, eerom_prog_end(p, j - 1) - start);
        for (; i < j; ++i) {
            uint32_t at = eerom_prog_start(p, i);
            if (memcmp(p->chunk + (at - start), p->img + at, eerom_prog_end(p, i) - at) != 0) {
                p->flags[i] |= set;
                ++bad;
            }
            eerom_prog_progress(p, phase, ++done, total);
        }
    }
    return bad;
}

static int eerom_prog_phase(const eerom_prog_t *p, size_t i) {
    if (i == p->magic) {
        return PH_COMMIT;
    }
    if (eerom_prog_end(p, i) <= p->fs_offset) {
        return PH_HEADER;
    }
    return eerom_prog_start(p, i) < p->sb_end ? PH_SUPERBLOCK : PH_PAYLOAD;
}

// planner.plan(): mark PG_PLAN on the pages with flag `want`, and on the magic's page
// when more than one page is written or one ends past EEROM_PROG_WRAP_FROM (a write
// of several pages is not atomic; the wrap probe rides on the invalidate step).
// Returns how many pages the plan writes.
static size_t eerom_prog_plan(eerom_prog_t *p, uint8_t want) {
    size_t n = 0;
    bool far = false;
    for (size_t i = 0; i < p->pages; ++i) {
        p->flags[i] &= ~PG_PLAN;
        if (p->flags[i] & want) {
            p->flags[i] |= PG_PLAN;
            far |= eerom_prog_end(p, i) > EEROM_PROG_WRAP_FROM;
            ++n;
        }
    }
    if (!(p->flags[p->magic] & PG_PLAN) && (n > 1 || far)) {
        p->flags[p->magic] |= PG_PLAN;
        ++n;
    }
    return n;
}

// 4 bytes for the invalidate step: not the magic, not what a blank or zeroed part
// holds, and none of `seen` (what the probed addresses hold now), so that the probe
// finds the value only where it was written.  Seeded from the clock, as the host
// draws it at random.
static void eerom_prog_nonce(uint8_t *nonce, const uint8_t *seen, size_t n_seen) {
    uint32_t v = 0x9e3779b9u;
    #if MICROPY_PY_TIME
    v ^= (uint32_t)mp_hal_ticks_us();
    #endif
    for (;;) {
        v = v * 1664525u + 1013904223u;
        nonce[0] = v >> 24;
        nonce[1] = v >> 16;
        nonce[2] = v >> 8;
        nonce[3] = v;
        bool ok = memcmp(nonce, "EERM", 4) != 0 && memcmp(nonce, "\0\0\0\0", 4) != 0
            && memcmp(nonce, "\xff\xff\xff\xff", 4) != 0;
        for (size_t k = 0; ok && k < n_seen; ++k) {
            ok = memcmp(nonce, seen + 4 * k, 4) != 0;
        }
        if (ok) {
            return;
        }
    }
}

// The invalidate step (SPEC section 9, step 1), with the wrap probe: a part of S
// bytes ignores the address bits from S up, so the nonce written at fs_offset reads
// back at S + fs_offset.  If it does for some S below the image's length, the 4 bytes
// it replaced go back (the EEPROM is as it was) and OSError(EFBIG) says the size.
static void eerom_prog_invalidate(eerom_prog_t *p) {
    // [old bytes | what each probe address holds | what each holds after the write]
    uint8_t buf[EEROM_PROG_MAGIC_LEN * 14];
    uint8_t nonce[EEROM_PROG_MAGIC_LEN];
    uint32_t sizes[6];
    size_t n = 0;
    for (uint32_t s = EEROM_PROG_WRAP_FROM; s <= EEROM_PROG_WRAP_TO && s < p->len; s <<= 1) {
        // A probe the bus cannot address cannot see a wrap either.
        if (eerom_bus_in_range(&p->bus, s + p->fs_offset, EEROM_PROG_MAGIC_LEN)) {
            sizes[n++] = s;
        }
    }
    uint8_t *old = buf;
    uint8_t *before = buf + EEROM_PROG_MAGIC_LEN;
    uint8_t *after = before + EEROM_PROG_MAGIC_LEN * 6;
    eerom_prog_read(p, p->fs_offset, old, EEROM_PROG_MAGIC_LEN);
    for (size_t k = 0; k < n; ++k) {
        eerom_prog_read(p, sizes[k] + p->fs_offset, before + EEROM_PROG_MAGIC_LEN * k, EEROM_PROG_MAGIC_LEN);
    }
    eerom_prog_nonce(nonce, old, 1 + n);
    eerom_prog_write(p, p->fs_offset, nonce, EEROM_PROG_MAGIC_LEN);
    for (size_t k = 0; k < n; ++k) {
        eerom_prog_read(p, sizes[k] + p->fs_offset, after + EEROM_PROG_MAGIC_LEN * k, EEROM_PROG_MAGIC_LEN);
    }
    for (size_t k = 0; k < n; ++k) {
        if (memcmp(after + EEROM_PROG_MAGIC_LEN * k, nonce, EEROM_PROG_MAGIC_LEN) == 0) {
            eerom_prog_write(p, p->fs_offset, old, EEROM_PROG_MAGIC_LEN);
            eerom_raise(MP_EFBIG, MP_ERROR_TEXT("eerom: this part holds %u B, the image needs %u B"),
                (unsigned)sizes[k], (unsigned)p->len);
        }
    }
}

static void eerom_prog_write_page(eerom_prog_t *p, size_t i, qstr phase, size_t *done, size_t total) {
    uint32_t at = eerom_prog_start(p, i);
    eerom_prog_write(p, at, p->img + at, eerom_prog_end(p, i) - at);
    p->flags[i] |= PG_WRITTEN;
    p->written += 1;
    eerom_prog_progress(p, phase, ++*done, total);
}

// Write the planned pages in the order of SPEC section 9.
static void eerom_prog_write_plan(eerom_prog_t *p, qstr phase, size_t total) {
    size_t done = 0;
    eerom_prog_progress(p, phase, 0, total);
    bool commit = p->flags[p->magic] & PG_PLAN;
    if (commit) {
        eerom_prog_invalidate(p);
    }
    for (int ph = PH_HEADER; ph <= PH_SUPERBLOCK; ++ph) {
        for (size_t i = 0; i < p->pages; ++i) {
            if ((p->flags[i] & PG_PLAN) && eerom_prog_phase(p, i) == ph) {
                eerom_prog_write_page(p, i, phase, &done, total);
            }
        }
    }
    if (commit) {
        eerom_prog_write_page(p, p->magic, phase, &done, total);
    }
}

// Verify every written page: how many differ (flagged PG_BAD).
static size_t eerom_prog_verify(eerom_prog_t *p) {
    size_t total = 0;
    for (size_t i = 0; i < p->pages; ++i) {
        p->flags[i] &= ~PG_BAD;
        total += (p->flags[i] & PG_WRITTEN) != 0;
    }
    return eerom_prog_compare(p, PG_WRITTEN, PG_BAD, MP_QSTR_verify, total);
}

// The EEPROM's current header, if it holds one the badge reads, as the host takes
// it: the badge does not check its geometry (fs_offset 32 on 64-byte pages is in the
// registry), so neither is it required here; its page size is used only when it is
// one a part can have.
static bool eerom_prog_current(eerom_prog_t *p, eerom_header_t *cur) {
    uint8_t raw[EEROM_HEADER_SIZE];
    eerom_prog_read(p, 0, raw, EEROM_HEADER_SIZE);
    eerom_err_t err = eerom_header_parse(raw, cur);
    return err == EEROM_OK || err == EEROM_ERR_HEADER_GEOMETRY; // the fields are filled in
}

static bool eerom_prog_page_ok(uint32_t page) {
    return page >= 8 && page <= 512 && (page & (page - 1)) == 0;
}

static mp_obj_t eerom_program(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_addr, ARG_addrsize, ARG_page, ARG_keep_fill, ARG_force, ARG_progress };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_addr, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_addrsize, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_page, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_keep_fill, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = true} },
        { MP_QSTR_force, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = false} },
        { MP_QSTR_progress, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 2, pos_args + 2, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    uint32_t page = args[ARG_page].u_obj == mp_const_none ? 0 : eerom_get_page(args[ARG_page].u_obj);

    eerom_prog_t p;
    p.progress = args[ARG_progress].u_obj;
    p.written = 0;
    // Parse, copy, check the copy: nothing refers to the caller's buffer after the
    // parse.  The image is what the superblock says it is (a longer buffer, a dump
    // of a whole EEPROM, is cut there), with the fill before fs_offset as the host
    // writes it.  Nothing touches the bus before the image has passed every check.
    mp_buffer_info_t data;
    mp_get_buffer_raise(pos_args[1], &data, MP_BUFFER_READ);
    eerom_header_t h;
    eerom_superblock_t sb;
    p.len = eerom_prog_parse(data.buf, data.len, &h, &sb);
    p.img = eerom_prog_copy(pos_args[1], p.len);
    eerom_prog_check(p.img, p.len, &h, &sb);
    p.fs_offset = h.fs_offset;
    p.sb_end = h.fs_offset + sb.sb_size;
    memset(p.img + EEROM_HEADER_SIZE, EEROM_PROG_FILL, p.fs_offset - EEROM_HEADER_SIZE);

    // Refused before any write (flash.py's flash_image()).
    eerom_open(&p.bus, pos_args[0], args[ARG_addr].u_obj, args[ARG_addrsize].u_obj);
    uint32_t cap = eerom_bus_capacity(&p.bus);
    if (p.len > cap) {
        eerom_raise(MP_EFBIG, MP_ERROR_TEXT("eerom: the bus addresses %u B, the image needs %u B"),
            (unsigned)cap, (unsigned)p.len);
    }
    eerom_header_t cur;
    bool have_cur = eerom_prog_current(&p, &cur);
    if (have_cur && cur.total_size < p.len && !args[ARG_force].u_bool) {
        eerom_raise(MP_EFBIG, MP_ERROR_TEXT("eerom: the header says the part holds %u B, need %u B"),
            (unsigned)cur.total_size, (unsigned)p.len);
    }
    if (page == 0) {
        // Writing in smaller pages is always safe.
        page = have_cur && eerom_prog_page_ok(cur.page_size) && cur.page_size < h.page_size
            ? cur.page_size : h.page_size;
    }
    p.page = page;
    if (args[ARG_keep_fill].u_bool && have_cur && cur.fs_offset == h.fs_offset && h.fs_offset > EEROM_HEADER_SIZE) {
        // Readers ignore these bytes, and some makers keep their own data there.
        eerom_prog_read(&p, EEROM_HEADER_SIZE, p.img + EEROM_HEADER_SIZE, h.fs_offset - EEROM_HEADER_SIZE);
    }
    p.pages = (p.len + page - 1) / page; // len <= 512 KiB: no wrap
    p.magic = p.fs_offset / page;
    p.flags = m_new0(uint8_t, p.pages);
    p.chunk = m_new(uint8_t, EEROM_PROG_CHUNK);

    size_t changed = eerom_prog_compare(&p, 0, PG_CHANGED, MP_QSTR_compare, p.pages);
    eerom_prog_write_plan(&p, MP_QSTR_write, eerom_prog_plan(&p, PG_CHANGED));
    // Verify every page written (the others matched a moment ago).  Pages that did not
    // take are written once more, then every written page is checked again: a rewrite
    // can break a page that had verified.
    size_t rewritten = eerom_prog_verify(&p);
    size_t bad = rewritten;
    if (bad != 0) {
        eerom_prog_write_plan(&p, MP_QSTR_rewrite, eerom_prog_plan(&p, PG_BAD));
        bad = eerom_prog_verify(&p);
    }
    if (bad != 0) {
        // Name them (the first few: the host's verify says where each lies).
        vstr_t where;
        vstr_init(&where, 32);
        size_t named = 0;
        for (size_t i = 0; i < p.pages && named < 8; ++i) {
            if (p.flags[i] & PG_BAD) {
                vstr_printf(&where, named++ ? ", %u" : "%u", (unsigned)i);
            }
        }
        eerom_raise(MP_EIO, MP_ERROR_TEXT("eerom: %u pages differ after 2 writes: %s%s"), (unsigned)bad,
            vstr_null_terminated_str(&where), bad > named ? " ..." : "");
    }
    mp_obj_t items[4] = {
        mp_obj_new_int_from_uint(p.pages), mp_obj_new_int_from_uint(changed),
        mp_obj_new_int_from_uint(p.written), mp_obj_new_int_from_uint(rewritten),
    };
    m_del(uint8_t, p.chunk, EEROM_PROG_CHUNK);
    m_del(uint8_t, p.flags, p.pages);
    m_del(uint8_t, p.img, p.len);
    return mp_obj_new_tuple(4, items);
}
MP_DEFINE_CONST_FUN_OBJ_KW(eerom_program_obj, 2, eerom_program);

#endif // MICROPY_PY_EEROM_PROGRAM
