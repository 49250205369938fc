// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// Unit tests of eerom's C core on the host (ctest; built with ASan and UBSan).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eerom_dict.h"
#include "eerom_image.h"
#include "eerom_inflate.h"
#include "eerom_romfs.h"

static int failures;
static int checks;

#define CHECK(cond) do { \
        checks++; \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            failures++; \
        } \
} while (0)
#define CHECK_ERR(expr, want) do { \
        eerom_err_t got_ = (expr); \
        checks++; \
        if (got_ != (want)) { \
            fprintf(stderr, "%s:%d: %s gave %s, expected %s\n", __FILE__, __LINE__, #expr, \
                eerom_err_name(got_), eerom_err_name(want)); \
            failures++; \
        } \
} while (0)

static size_t unhex(const char *hex, uint8_t *out) {
    size_t n = 0;
    while (hex[0] && hex[1]) {
        if (hex[0] == ' ') {
            hex++;
            continue;
        }
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

static void put_le32(uint8_t *p, uint32_t v) {
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

static void fix_header_checksum(uint8_t *h) {
    uint8_t sum = 0x55;
    for (int i = 1; i < 31; ++i) {
        sum ^= h[i];
    }
    h[31] = sum;
}

// A v1 superblock with the given fields and a correct sb_crc.
static void make_sb(uint8_t *sb, uint8_t method, uint32_t stored, uint32_t image, uint32_t payload_crc) {
    memcpy(sb, "EERM\x01\x18", 6);
    sb[6] = method;
    sb[7] = 0;
    put_le32(sb + 8, stored);
    put_le32(sb + 12, image);
    put_le32(sb + 16, payload_crc);
    put_le32(sb + 20, eerom_crc32(0, sb, 20));
}

// A superblock naming preset dictionary `id` (FLAG_DICT, sb_size 28).
static void make_sb_dict(uint8_t *sb, uint8_t method, uint32_t stored, uint32_t image, uint32_t payload_crc,
    uint32_t id) {
    memcpy(sb, "EERM\x01\x1c", 6);
    sb[6] = method;
    sb[7] = EEROM_SB_FLAG_DICT;
    put_le32(sb + 8, stored);
    put_le32(sb + 12, image);
    put_le32(sb + 16, payload_crc);
    put_le32(sb + 20, id);
    put_le32(sb + 24, eerom_crc32(0, sb, 24));
}

static void test_crc32(void) {
    CHECK(eerom_crc32(0, (const uint8_t *)"123456789", 9) == 0xcbf43926);
    // incremental use gives the same result
    uint32_t c = eerom_crc32(0, (const uint8_t *)"1234", 4);
    CHECK(eerom_crc32(c, (const uint8_t *)"56789", 5) == 0xcbf43926);
}

static void test_header_vectors(void) {
    static const struct {
        const char *hex;
        uint16_t fs, page, vid, pid, uid;
        uint32_t total;
        const char *name, *version;
    } v[] = {
        {"5448455832303234400040000000010055f0010002004558414d504c450000eb", 64, 64, 0xF055, 0x0001, 2, 65536, "EXAMPLE", "2024"},
        {"5448455832303234200010000008000075ca371300004d3234433136000000a8", 32, 16, 0xCA75, 0x1337, 0, 2048, "M24C16", "2024"},
        {"5448455832303234200020000020000075ca371300005a4432344336344100a7", 32, 32, 0xCA75, 0x1337, 0, 8192, "ZD24C64A", "2024"},
        {"5448455832303234800080000000010075ca37130000434154323443353132bb", 128, 128, 0xCA75, 0x1337, 0, 65536, "CAT24C512", "2024"},
        {"54484558323032362000200000200000d3ba00260000537061636561676f6e2a", 32, 32, 0xBAD3, 0x2600, 0, 8192, "Spaceagon", "2026"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); ++i) {
        uint8_t raw[32];
        CHECK(unhex(v[i].hex, raw) == 32);
        eerom_header_t h;
        CHECK_ERR(eerom_header_parse(raw, &h), EEROM_OK);
        CHECK(h.fs_offset == v[i].fs && h.page_size == v[i].page && h.total_size == v[i].total);
        CHECK(h.vid == v[i].vid && h.pid == v[i].pid && h.unique_id == v[i].uid);
        CHECK(strcmp(h.name, v[i].name) == 0 && strcmp(h.manifest_version, v[i].version) == 0);
        raw[0] = 0; // an M24C16 clobbered by the badge's 2-byte address write
        CHECK_ERR(eerom_header_parse(raw, &h), EEROM_OK);
        for (int b = 1; b < 32; ++b) { // every other byte is checked
            raw[b] ^= 0x01;
            CHECK(eerom_header_parse(raw, &h) != EEROM_OK);
            raw[b] ^= 0x01;
        }
    }
}

static void test_header_geometry(void) {
    uint8_t raw[32];
    eerom_header_t h;
    unhex("5448455832303234200010000008000075ca371300004d3234433136000000a8", raw);
    raw[8] = 16; // fs_offset 16 overlaps the header
    fix_header_checksum(raw);
    CHECK_ERR(eerom_header_parse(raw, &h), EEROM_ERR_HEADER_GEOMETRY);
    raw[8] = 40; // not a multiple of the 16-byte page
    fix_header_checksum(raw);
    CHECK_ERR(eerom_header_parse(raw, &h), EEROM_ERR_HEADER_GEOMETRY);
    raw[8] = 32;
    raw[10] = 24; // page size not a power of two
    fix_header_checksum(raw);
    CHECK_ERR(eerom_header_parse(raw, &h), EEROM_ERR_HEADER_GEOMETRY);
    raw[10] = 16;
    put_le32(raw + 12, 32); // the whole EEPROM is the header
    fix_header_checksum(raw);
    CHECK_ERR(eerom_header_parse(raw, &h), EEROM_ERR_HEADER_GEOMETRY);
    memcpy(raw + 4, "2025", 4);
    fix_header_checksum(raw);
    CHECK_ERR(eerom_header_parse(raw, &h), EEROM_ERR_HEADER_VERSION);
}

static void test_superblock(void) {
    uint8_t sb[32];
    eerom_superblock_t s;
    make_sb(sb, 1, 57, 70, 0x1234);
    CHECK_ERR(eerom_superblock_parse(sb, 24, NULL, &s), EEROM_OK);
    CHECK(s.stored_size == 57 && s.image_size == 70 && s.payload_crc == 0x1234 && s.sb_size == 24);
    CHECK_ERR(eerom_superblock_parse(sb, 3, NULL, &s), EEROM_ERR_NO_IMAGE);
    CHECK_ERR(eerom_superblock_parse(sb, 5, NULL, &s), EEROM_ERR_TRUNCATED);
    CHECK_ERR(eerom_superblock_parse(sb, 23, NULL, &s), EEROM_ERR_TRUNCATED);
    for (int i = 0; i < 24; ++i) { // every byte is protected
        sb[i] ^= 0x40;
        CHECK(eerom_superblock_parse(sb, 24, NULL, &s) != EEROM_OK);
        sb[i] ^= 0x40;
    }
    // each rule, with a correct sb_crc so that the rule itself is what refuses it
    sb[4] = 2, put_le32(sb + 20, eerom_crc32(0, sb, 20));
    CHECK_ERR(eerom_superblock_parse(sb, 24, NULL, &s), EEROM_ERR_SB_VERSION);
    make_sb(sb, 1, 57, 70, 0);
    sb[5] = 20;
    CHECK_ERR(eerom_superblock_parse(sb, 24, NULL, &s), EEROM_ERR_SB_SIZE);
    make_sb(sb, 2, 57, 70, 0);
    CHECK_ERR(eerom_superblock_parse(sb, 24, NULL, &s), EEROM_ERR_SB_METHOD);
    for (int bit = 1; bit < 8; ++bit) { // every flag but FLAG_DICT is unknown
        make_sb(sb, 1, 57, 70, 0);
        sb[7] = (uint8_t)(1u << bit), put_le32(sb + 20, eerom_crc32(0, sb, 20));
        CHECK_ERR(eerom_superblock_parse(sb, 24, NULL, &s), EEROM_ERR_SB_FLAGS);
    }
    make_sb(sb, 1, 57, 70, 0); // FLAG_DICT in a 24-byte superblock: no room for its identifier
    sb[7] = EEROM_SB_FLAG_DICT, put_le32(sb + 20, eerom_crc32(0, sb, 20));
    CHECK_ERR(eerom_superblock_parse(sb, 24, NULL, &s), EEROM_ERR_SB_SIZE);
    make_sb(sb, 0, 70, 70, 0); // FLAG_DICT on a stored payload: meaningless
    sb[7] = EEROM_SB_FLAG_DICT, put_le32(sb + 20, eerom_crc32(0, sb, 20));
    CHECK_ERR(eerom_superblock_parse(sb, 24, NULL, &s), EEROM_ERR_SB_FLAGS);
    make_sb(sb, 0, 57, 70, 0); // stored: sizes must match
    CHECK_ERR(eerom_superblock_parse(sb, 24, NULL, &s), EEROM_ERR_SB_SIZES);
    make_sb(sb, 1, 70, 70, 0); // deflate must be smaller
    CHECK_ERR(eerom_superblock_parse(sb, 24, NULL, &s), EEROM_ERR_SB_SIZES);
    make_sb(sb, 1, 10, 10321, 0); // more than 1032:1
    CHECK_ERR(eerom_superblock_parse(sb, 24, NULL, &s), EEROM_ERR_SB_SIZES);
    make_sb(sb, 1, 0xffffffff, 0xfffffffe, 0); // near 2^32: no overflow anywhere
    CHECK_ERR(eerom_superblock_parse(sb, 24, NULL, &s), EEROM_ERR_SB_SIZES);
    make_sb(sb, 0, 2, 2, 0);
    CHECK_ERR(eerom_superblock_parse(sb, 24, NULL, &s), EEROM_ERR_SB_SIZES); // smaller than any ROMFS

    // a longer superblock (a later minor version): read whole, extension ignored
    uint8_t ext[28];
    memcpy(ext, "EERM\x01\x1c\x01\x00", 8);
    put_le32(ext + 8, 57);
    put_le32(ext + 12, 70);
    put_le32(ext + 16, 0);
    put_le32(ext + 20, 0xdeadbeef);
    put_le32(ext + 24, eerom_crc32(0, ext, 24));
    CHECK_ERR(eerom_superblock_parse(ext, 24, NULL, &s), EEROM_ERR_TRUNCATED);
    CHECK(eerom_superblock_size(ext) == 28);
    CHECK_ERR(eerom_superblock_parse(ext, 28, NULL, &s), EEROM_OK);
    CHECK(s.dict_id == 0 && s.flags == 0);
}

static void test_superblock_dict(void) {
    uint8_t sb[40];
    eerom_superblock_t s;
    const uint32_t held = 0x7fa2c20c, other = 0x12345678;
    make_sb_dict(sb, 1, 38, 70, 0x1234, held);
    CHECK_ERR(eerom_superblock_parse(sb, 24, &held, &s), EEROM_ERR_TRUNCATED); // read 28 bytes
    CHECK(eerom_superblock_size(sb) == 28);
    CHECK_ERR(eerom_superblock_parse(sb, 28, &held, &s), EEROM_OK);
    CHECK(s.dict_id == held && s.flags == EEROM_SB_FLAG_DICT && s.sb_size == 28 && s.image_size == 70);
    // a reader that holds no dictionary, or another: sb-dict, naming the one needed
    s.dict_id = 0;
    CHECK_ERR(eerom_superblock_parse(sb, 28, NULL, &s), EEROM_ERR_SB_DICT);
    CHECK(s.dict_id == held);
    CHECK_ERR(eerom_superblock_parse(sb, 28, &other, &s), EEROM_ERR_SB_DICT);
    CHECK(strcmp(eerom_err_name(EEROM_ERR_SB_DICT), "sb-dict") == 0);
    CHECK(eerom_err_class(EEROM_ERR_SB_DICT) == EEROM_CLASS_CORRUPT); // ENOEXEC on the device
    for (int i = 0; i < 28; ++i) { // the identifier is under sb_crc like every other byte
        sb[i] ^= 0x40;
        CHECK(eerom_superblock_parse(sb, 28, &held, &s) != EEROM_OK);
        sb[i] ^= 0x40;
    }
    // order: sb-flags (unknown bits, or a stored payload), sb-size, sb-dict, sb-sizes
    make_sb_dict(sb, 1, 38, 70, 0, other);
    sb[7] |= 0x02, put_le32(sb + 24, eerom_crc32(0, sb, 24));
    CHECK_ERR(eerom_superblock_parse(sb, 28, &held, &s), EEROM_ERR_SB_FLAGS);
    make_sb_dict(sb, 0, 70, 70, 0, held);
    CHECK_ERR(eerom_superblock_parse(sb, 28, &held, &s), EEROM_ERR_SB_FLAGS);
    make_sb_dict(sb, 1, 70, 70, 0, other); // impossible sizes, and a dictionary not held
    CHECK_ERR(eerom_superblock_parse(sb, 28, &held, &s), EEROM_ERR_SB_DICT);
    make_sb_dict(sb, 1, 70, 70, 0, held);
    CHECK_ERR(eerom_superblock_parse(sb, 28, &held, &s), EEROM_ERR_SB_SIZES);
    make_sb_dict(sb, 1, 38, 70, 0, held); // a longer superblock still: the rest is ignored
    memmove(sb + 32, sb + 24, 4);
    sb[5] = 36;
    put_le32(sb + 24, 0xdeadbeef);
    put_le32(sb + 28, 0xfeedface);
    put_le32(sb + 32, eerom_crc32(0, sb, 32));
    CHECK_ERR(eerom_superblock_parse(sb, 36, &held, &s), EEROM_OK);
    CHECK(s.dict_id == held && s.sb_size == 36);
}

static void test_bounds(void) {
    eerom_header_t h = {.fs_offset = 32, .page_size = 16, .total_size = 2048};
    eerom_superblock_t s = {.sb_size = 24, .method = 1, .stored_size = 2048 - 56, .image_size = 4000};
    CHECK_ERR(eerom_image_check_bounds(&h, &s, 4000), EEROM_OK);
    CHECK_ERR(eerom_image_check_bounds(&h, &s, 3999), EEROM_ERR_TOO_LARGE);
    s.stored_size += 1;
    CHECK_ERR(eerom_image_check_bounds(&h, &s, 4000), EEROM_ERR_SIZE_PART);
    s.stored_size = 0xffffffff; // would wrap a 32-bit sum
    CHECK_ERR(eerom_image_check_bounds(&h, &s, 4000), EEROM_ERR_SIZE_PART);
}

static void test_inflate(void) {
    void *state = malloc(eerom_inflate_state_size());
    uint8_t in[64], out[64];
    size_t n = unhex("cb48cdc9c957c84027b900", in); // zlib -9 of "hello hello hello hello\n"
    CHECK_ERR(eerom_inflate(state, out, 0, 24, in, n), EEROM_OK);
    CHECK(memcmp(out, "hello hello hello hello\n", 24) == 0);
    CHECK_ERR(eerom_inflate(state, out, 0, 23, in, n), EEROM_ERR_INFLATE); // longer than declared
    CHECK_ERR(eerom_inflate(state, out, 0, 25, in, n), EEROM_ERR_INFLATE); // shorter
    CHECK_ERR(eerom_inflate(state, out, 0, 24, in, n - 1), EEROM_ERR_INFLATE); // truncated
    in[n] = 0;
    CHECK_ERR(eerom_inflate(state, out, 0, 24, in, n + 1), EEROM_ERR_INFLATE); // trailing input
    n = unhex("010500faff68656c6c6f", in); // one final stored block: "hello"
    CHECK_ERR(eerom_inflate(state, out, 0, 5, in, n), EEROM_OK);
    CHECK(memcmp(out, "hello", 5) == 0);
    n = unhex("010500fbff68656c6c6f", in); // LEN and NLEN disagree
    CHECK_ERR(eerom_inflate(state, out, 0, 5, in, n), EEROM_ERR_INFLATE);
    n = unhex("07", in); // reserved block type 3
    CHECK_ERR(eerom_inflate(state, out, 0, 5, in, n), EEROM_ERR_INFLATE);
    CHECK_ERR(eerom_inflate(state, out, 0, 5, in, 0), EEROM_ERR_INFLATE); // nothing at all
    free(state);
}

// With a preset dictionary: the history before the output, in the same buffer.
static void test_inflate_prefix(void) {
    void *state = malloc(eerom_inflate_state_size());
    uint8_t in[64], buf[128];
    // zlib -9 with zdict "hello world, " of "hello hello world, hello!\n": references
    // into the dictionary and into the output
    size_t n = unhex("cb007332308414b900", in);
    memcpy(buf, "hello world, ", 13);
    CHECK_ERR(eerom_inflate(state, buf, 13, 26, in, n), EEROM_OK);
    CHECK(memcmp(buf, "hello world, hello hello world, hello!\n", 13 + 26) == 0); // dictionary untouched
    CHECK_ERR(eerom_inflate(state, buf + 13, 0, 26, in, n), EEROM_ERR_INFLATE); // no history: refused
    CHECK_ERR(eerom_inflate(state, buf, 13, 25, in, n), EEROM_ERR_INFLATE); // sizes as without one
    CHECK_ERR(eerom_inflate(state, buf, 13, 27, in, n), EEROM_ERR_INFLATE);

    // One fixed-Huffman match of length 16 at distance 16: the first byte of a
    // 16-byte dictionary, and no further.
    n = unhex("43e70300", in);
    memcpy(buf, "0123456789abcdef", 16);
    CHECK_ERR(eerom_inflate(state, buf, 16, 16, in, n), EEROM_OK);
    CHECK(memcmp(buf + 16, "0123456789abcdef", 16) == 0);
    memcpy(buf, "x0123456789abcdef", 17); // a longer dictionary: the same bytes back
    CHECK_ERR(eerom_inflate(state, buf, 17, 16, in, n), EEROM_OK);
    CHECK(memcmp(buf + 17, "0123456789abcdef", 16) == 0);
    // One byte short: the reference reaches before the buffer and is refused (ASan
    // would report a read there).
    uint8_t *tight = malloc(15 + 16 + 1);
    memcpy(tight, "123456789abcdef", 15);
    CHECK_ERR(eerom_inflate(state, tight, 15, 16, in, n), EEROM_ERR_INFLATE);
    free(tight);
    free(state);
}

// --- ROMFS images built in the test ---

static size_t put_uint(uint8_t *p, uint32_t v) {
    uint8_t tmp[5];
    size_t n = 0;
    do {
        tmp[n++] = v & 0x7f;
        v >>= 7;
    } while (v);
    for (size_t i = 0; i < n; ++i) {
        p[i] = tmp[n - 1 - i] | (i + 1 < n ? 0x80 : 0);
    }
    return n;
}

static size_t put_record(uint8_t *p, uint32_t kind, const uint8_t *payload, size_t len) {
    size_t n = put_uint(p, kind);
    n += put_uint(p + n, len);
    if (len) {
        memmove(p + n, payload, len);
    }
    return n + len;
}

// The filesystem record around `body`: d2 cd 31, length (padded to an even total).
static size_t put_fs(uint8_t *out, const uint8_t *body, size_t len) {
    size_t n = 0;
    out[n++] = 0xd2, out[n++] = 0xcd, out[n++] = 0x31;
    uint8_t l[5];
    size_t ln = put_uint(l, len);
    if ((3 + ln + len) % 2) {
        out[n++] = 0x80;
    }
    memcpy(out + n, l, ln);
    n += ln;
    memcpy(out + n, body, len);
    return n + len;
}

static size_t file_record(uint8_t *p, const char *name, const char *data) {
    uint8_t payload[512];
    size_t n = put_uint(payload, strlen(name));
    memcpy(payload + n, name, strlen(name));
    n += strlen(name);
    n += put_record(payload + n, 2, (const uint8_t *)data, strlen(data));
    return put_record(p, 5, payload, n);
}

static void test_romfs(void) {
    uint8_t img[4096], body[2048];
    // the inflated ROMFS of docs/SPEC.md's worked example
    size_t n = unhex(
        "d2cd3180410515066170702e7079020c7072696e742822686922290a0428036c"
        "69620522076d73672e747874021868656c6c6f2068656c6c6f2068656c6c6f20"
        "68656c6c6f0a", img);
    CHECK(n == 70);
    CHECK_ERR(eerom_romfs_check(img, n), EEROM_OK);
    CHECK_ERR(eerom_romfs_check(img, n - 1), EEROM_ERR_ROMFS_BOUNDS);
    CHECK_ERR(eerom_romfs_check(img, 3), EEROM_ERR_ROMFS_MAGIC);
    img[n] = 0, img[n + 1] = 0;
    CHECK_ERR(eerom_romfs_check(img, n + 2), EEROM_ERR_ROMFS_TRAILING);
    for (size_t i = 0; i < n; ++i) { // any single flip: refused or harmless, never a fault
        img[i] ^= 0xff;
        eerom_romfs_check(img, n);
        img[i] ^= 0xff;
    }

    // names
    static const char *const bad_names[] = {"", "a/b", "..", ".", "\xff", "\xc0\xaf", "\xed\xa0\x80"};
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); ++i) {
        n = put_fs(img, body, file_record(body, bad_names[i], "x"));
        CHECK_ERR(eerom_romfs_check(img, n), EEROM_ERR_ROMFS_NAME);
    }
    n = put_fs(img, body, file_record(body, "caf\xc3\xa9.py", "x")); // UTF-8 is fine
    CHECK_ERR(eerom_romfs_check(img, n), EEROM_OK);

    // a pointer outside the filesystem, a file with no data, a record of kind 0
    uint8_t p[32];
    size_t pn = put_uint(p, 1);
    p[pn++] = 'a';
    uint8_t ptr[16];
    size_t ptrn = put_uint(ptr, 100);
    ptrn += put_uint(ptr + ptrn, 0);
    pn += put_record(p + pn, 3, ptr, ptrn);
    n = put_fs(img, body, put_record(body, 5, p, pn));
    CHECK_ERR(eerom_romfs_check(img, n), EEROM_ERR_ROMFS_POINTER);
    pn = put_uint(p, 1);
    p[pn++] = 'a';
    pn += put_record(p + pn, 1, (const uint8_t *)"pad", 3);
    n = put_fs(img, body, put_record(body, 5, p, pn));
    CHECK_ERR(eerom_romfs_check(img, n), EEROM_ERR_ROMFS_FILE);
    n = put_fs(img, body, put_record(body, 0, NULL, 0));
    CHECK_ERR(eerom_romfs_check(img, n), EEROM_ERR_ROMFS_RECORD);

    // nesting: the limit exactly, then one more (no recursion, bounded stack)
    for (int depth = MICROPY_PY_EEROM_ROMFS_MAX_DEPTH; depth <= MICROPY_PY_EEROM_ROMFS_MAX_DEPTH + 1; ++depth) {
        size_t len = file_record(body, "f", "1");
        for (int d = 0; d < depth; ++d) {
            uint8_t tmp[2048];
            size_t tn = put_uint(tmp, 1);
            tmp[tn++] = 'd';
            memcpy(tmp + tn, body, len);
            len = put_record(body, 4, tmp, tn + len);
        }
        n = put_fs(img, body, len);
        CHECK_ERR(eerom_romfs_check(img, n), depth <= MICROPY_PY_EEROM_ROMFS_MAX_DEPTH ? EEROM_OK : EEROM_ERR_ROMFS_DEPTH);
    }
}

static void test_whole_image(void) {
    // docs/SPEC.md's worked example, 113 bytes
    uint8_t img[256];
    size_t n = unhex(
        "5448455832303234200010000008000075ca371300004578616d706c650000ef"
        "4545524d011801003900000046000000eb8e3f005435d2d0bb74d6b0c1915594"
        "2db1a040afa09289a7a02833af444329235349938b45833927338955893db738"
        "5dafa4a2844922233527275f0183e40200", img);
    CHECK(n == 113);
    void *state = malloc(eerom_inflate_state_size());
    uint8_t out[257];
    eerom_header_t h;
    eerom_superblock_t sb;
    CHECK_ERR(eerom_image_check_buffer(img, n, 65536, NULL, 0, state, out, sizeof(out), &h, &sb), EEROM_OK);
    CHECK(sb.image_size == 70 && strcmp(h.name, "Example") == 0);
    CHECK(memcmp(out, "\xd2\xcd\x31\x80\x41", 5) == 0);
    // every byte but the unchecked 'T' is covered by a check
    for (size_t i = 1; i < n; ++i) {
        img[i] ^= 0x01;
        CHECK(eerom_image_check_buffer(img, n, 65536, NULL, 0, state, out, sizeof(out), &h, &sb) != EEROM_OK);
        img[i] ^= 0x01;
    }
    for (size_t len = 0; len < n; ++len) { // every truncation
        CHECK(eerom_image_check_buffer(img, len, 65536, NULL, 0, state, out, sizeof(out), &h, &sb) != EEROM_OK);
    }
    CHECK_ERR(eerom_image_check_buffer(img, n, 69, NULL, 0, state, out, sizeof(out), &h, &sb), EEROM_ERR_TOO_LARGE);
    free(state);
}

// docs/SPEC.md's worked example with a preset dictionary, 98 bytes.
static const char spec_dict[] = "app.py print(\"hello\")\n lib msg.txt";
static const char spec_dict_image[] =
    "5448455832303234200010000008000075ca371300004578616d706c650000ef"
    "4545524d011c01012600000046000000dc9326d90cc2a27f9f2c1ed9bb74d6b0"
    "c19155942d11ac928907a63413a88e458319a89255891daa9649026c820206c9"
    "0500";

static void test_whole_image_dict(void) {
    const uint8_t *dict = (const uint8_t *)spec_dict;
    size_t dict_len = strlen(spec_dict);
    CHECK(dict_len == 34 && eerom_crc32(0, dict, dict_len) == 0x7fa2c20c);
    uint8_t img[256];
    size_t n = unhex(spec_dict_image, img);
    CHECK(n == 98);
    void *state = malloc(eerom_inflate_state_size());
    uint8_t out[34 + 70 + 1];
    eerom_header_t h;
    eerom_superblock_t sb;
    CHECK_ERR(eerom_image_check_buffer(img, n, 65536, dict, dict_len, state, out, sizeof(out), &h, &sb), EEROM_OK);
    CHECK(sb.image_size == 70 && sb.stored_size == 38 && sb.dict_id == 0x7fa2c20c && sb.sb_size == 28);
    CHECK(memcmp(out, "\xd2\xcd\x31\x80\x41\x05\x15\x06\x61\x70\x70", 11) == 0); // the image, at the front
    // the same ROMFS as the example without a dictionary
    uint8_t plain[113], plain_out[71];
    size_t pn = unhex(
        "5448455832303234200010000008000075ca371300004578616d706c650000ef"
        "4545524d011801003900000046000000eb8e3f005435d2d0bb74d6b0c1915594"
        "2db1a040afa09289a7a02833af444329235349938b45833927338955893db738"
        "5dafa4a2844922233527275f0183e40200", plain);
    CHECK_ERR(eerom_image_check_buffer(plain, pn, 65536, dict, dict_len, state, plain_out, sizeof(plain_out), &h, &sb),
        EEROM_OK);
    CHECK(memcmp(out, plain_out, 70) == 0);

    // a reader without it, or with another: sb-dict
    CHECK_ERR(eerom_image_check_buffer(img, n, 65536, NULL, 0, state, out, sizeof(out), &h, &sb), EEROM_ERR_SB_DICT);
    CHECK(sb.dict_id == 0x7fa2c20c);
    CHECK_ERR(eerom_image_check_buffer(img, n, 65536, dict, 0, state, out, sizeof(out), &h, &sb), EEROM_ERR_SB_DICT);
    CHECK_ERR(eerom_image_check_buffer(img, n, 65536, dict, dict_len - 1, state, out, sizeof(out), &h, &sb),
        EEROM_ERR_SB_DICT);
    // out must hold the dictionary, the image and a guard byte
    CHECK_ERR(eerom_image_check_buffer(img, n, 65536, dict, dict_len, state, out, sizeof(out) - 1, &h, &sb),
        EEROM_ERR_TOO_LARGE);
    CHECK_ERR(eerom_image_check_buffer(img, n, 65536, dict, dict_len, state, out, dict_len, &h, &sb),
        EEROM_ERR_TOO_LARGE);
    CHECK_ERR(eerom_image_check_buffer(img, n, 65536, dict, dict_len, state, out, 0, &h, &sb), EEROM_ERR_TOO_LARGE);
    // every byte but the unchecked 'T' is covered by a check; every truncation refused
    for (size_t i = 1; i < n; ++i) {
        img[i] ^= 0x01;
        CHECK(eerom_image_check_buffer(img, n, 65536, dict, dict_len, state, out, sizeof(out), &h, &sb) != EEROM_OK);
        img[i] ^= 0x01;
    }
    for (size_t len = 0; len < n; ++len) {
        CHECK(eerom_image_check_buffer(img, len, 65536, dict, dict_len, state, out, sizeof(out), &h, &sb) != EEROM_OK);
    }
    // The image refers back into the dictionary: other history gives other bytes.
    uint8_t buf[34 + 70 + 1];
    for (size_t i = 0; i < dict_len; ++i) {
        buf[i] = dict[i] ^ 0x20;
    }
    CHECK_ERR(eerom_inflate(state, buf, dict_len, 70, img + 60, 38), EEROM_OK);
    CHECK(memcmp(buf + dict_len, out, 70) != 0);
    free(state);
}

// The dictionary this firmware build carries (eerom_dict.c, generated).
static void test_builtin_dict(void) {
    CHECK(eerom_dict_len >= 1 && eerom_dict_len <= EEROM_DICT_MAX_SIZE);
    CHECK(eerom_crc32(0, eerom_dict_data, eerom_dict_len) == eerom_dict_id);
}

int main(void) {
    test_crc32();
    test_header_vectors();
    test_header_geometry();
    test_superblock();
    test_superblock_dict();
    test_bounds();
    test_inflate();
    test_inflate_prefix();
    test_romfs();
    test_whole_image();
    test_whole_image_dict();
    test_builtin_dict();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
