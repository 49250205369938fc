// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// eerom image format v1: parsing and checking, in plain C.
//
// This file and its .c use no MicroPython headers so the same code is unit-tested
// and fuzzed on the host (see CMakeLists.txt at the top of the repository).  The
// format is specified in docs/SPEC.md; tools/eerom/image.py is the host twin and
// uses the same problem names (eerom_err_name()).
#ifndef EEROM_IMAGE_H
#define EEROM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define EEROM_HEADER_SIZE (32)
#define EEROM_HEADER_NAME_SIZE (9)
#define EEROM_SB_SIZE_V1 (24)
// With EEROM_SB_FLAG_DICT the superblock is at least this long: the dictionary's
// identifier follows the v1 fields, at offset 20.
#define EEROM_SB_SIZE_DICT (28)
#define EEROM_SB_DICT_ID_OFFSET (20)
#define EEROM_SB_SIZE_MAX (255)
#define EEROM_SB_VERSION (1)
#define EEROM_METHOD_STORED (0)
#define EEROM_METHOD_DEFLATE (1)
// Superblock flags: a reader refuses a bit it does not know (sb-flags).
// EEROM_SB_FLAG_DICT: the deflate stream's history starts with a preset dictionary,
// named by its CRC-32 (dict_id); a reader that does not hold it refuses (sb-dict).
#define EEROM_SB_FLAG_DICT (0x01)
#define EEROM_SB_FLAGS_KNOWN (EEROM_SB_FLAG_DICT)
// A preset dictionary is 1..32768 bytes: no back-reference reaches further.
#define EEROM_DICT_MAX_SIZE (32768)
// A deflate stream cannot expand by more than 1032:1 (a 258-byte match per 2 bits).
#define EEROM_DEFLATE_MAX_RATIO (1032)
// The smallest ROMFS image vfs.VfsRom accepts.
#define EEROM_ROMFS_MIN_SIZE (4)

typedef enum {
    EEROM_OK = 0,
    EEROM_ERR_HEADER_MAGIC,
    EEROM_ERR_HEADER_VERSION,
    EEROM_ERR_HEADER_CHECKSUM,
    EEROM_ERR_HEADER_GEOMETRY,
    EEROM_ERR_NO_IMAGE,
    EEROM_ERR_TRUNCATED,
    EEROM_ERR_SB_VERSION,
    EEROM_ERR_SB_SIZE,
    EEROM_ERR_SB_CRC,
    EEROM_ERR_SB_METHOD,
    EEROM_ERR_SB_FLAGS,
    EEROM_ERR_SB_DICT,
    EEROM_ERR_SB_SIZES,
    EEROM_ERR_SIZE_PART,
    EEROM_ERR_TOO_LARGE,
    EEROM_ERR_PAYLOAD_CRC,
    EEROM_ERR_INFLATE,
    EEROM_ERR_ROMFS_MAGIC,
    EEROM_ERR_ROMFS_TRAILING,
    EEROM_ERR_ROMFS_RECORD,
    EEROM_ERR_ROMFS_BOUNDS,
    EEROM_ERR_ROMFS_NAME,
    EEROM_ERR_ROMFS_DEPTH,
    EEROM_ERR_ROMFS_POINTER,
    EEROM_ERR_ROMFS_FILE,
    EEROM_ERR__COUNT,
} eerom_err_t;

// What kind of failure an error is; the MicroPython glue maps each to an errno.
typedef enum {
    EEROM_CLASS_OK,
    EEROM_CLASS_HEADER,   // not a (valid) hexpansion header
    EEROM_CLASS_NO_IMAGE, // valid header, but no eerom image at fs_offset
    EEROM_CLASS_TOO_LARGE, // image larger than the caller allows
    EEROM_CLASS_CORRUPT,  // an eerom image that is damaged, unsupported or malformed
} eerom_err_class_t;

typedef struct _eerom_header_t {
    char manifest_version[5]; // "2024" or "2026", NUL-terminated
    uint16_t fs_offset;
    uint16_t page_size;
    uint32_t total_size;
    uint16_t vid;
    uint16_t pid;
    uint16_t unique_id;
    char name[EEROM_HEADER_NAME_SIZE + 1]; // NUL-terminated, NUL padding removed
} eerom_header_t;

typedef struct _eerom_superblock_t {
    uint8_t version;
    uint8_t sb_size;
    uint8_t method;
    uint8_t flags;
    uint32_t stored_size;
    uint32_t image_size;
    uint32_t payload_crc;
    uint32_t dict_id; // with EEROM_SB_FLAG_DICT: the preset dictionary's CRC-32; else 0
} eerom_superblock_t;

// Short stable name of an error ("payload-crc"), as tools/eerom uses.
const char *eerom_err_name(eerom_err_t err);
// One sentence about an error, for exception messages.
const char *eerom_err_message(eerom_err_t err);
eerom_err_class_t eerom_err_class(eerom_err_t err);

// CRC-32 (IEEE 802.3, as zlib.crc32): start with crc = 0.
uint32_t eerom_crc32(uint32_t crc, const uint8_t *data, size_t len);

// Parse and check the 32-byte Tildagon header the way the badge does (bytes 1..3 of
// the magic, manifest version, checksum), then the geometry a reader relies on.
eerom_err_t eerom_header_parse(const uint8_t *raw, eerom_header_t *header);

// Parse and check a superblock from `avail` bytes at fs_offset.  Returns
// EEROM_ERR_TRUNCATED when avail < the superblock's sb_size: read that many bytes
// (eerom_superblock_size()) and call again.  `dict_id` points at the identifier of
// the preset dictionary the reader holds, or is NULL when it holds none: an image
// naming another is EEROM_ERR_SB_DICT (sb->dict_id then says which it needs).
eerom_err_t eerom_superblock_parse(const uint8_t *raw, size_t avail, const uint32_t *dict_id,
    eerom_superblock_t *sb);
size_t eerom_superblock_size(const uint8_t *raw);

// Check what the superblock claims against the part (header) and the caller's limit
// on the inflated size, before anything is allocated.
eerom_err_t eerom_image_check_bounds(const eerom_header_t *header, const eerom_superblock_t *sb,
    uint32_t max_image_size);

// Offset of the payload from the start of the EEPROM.
static inline uint32_t eerom_payload_offset(const eerom_header_t *header, const eerom_superblock_t *sb) {
    return (uint32_t)header->fs_offset + sb->sb_size;
}

// Every check of docs/SPEC.md section 7, in order, on an image held in memory (an
// image file or a whole EEPROM dump of `len` bytes), inflating the ROMFS into `out`.
// eerom.mount() runs the same steps with bus reads in between; this composition is for
// host tools, unit tests and the fuzzer.  `dict` is the preset dictionary the reader
// holds (dict_len bytes, 1..EEROM_DICT_MAX_SIZE), or NULL (or dict_len 0) for none.
// `out` needs image_size + 1 bytes (out_cap), and dict_len more for an image that
// uses the dictionary; `inflate_state` eerom_inflate_state_size() bytes.  On EEROM_OK
// the header and superblock are filled in and out[0..sb->image_size) holds the ROMFS.
eerom_err_t eerom_image_check_buffer(const uint8_t *data, size_t len, uint32_t max_image_size,
    const uint8_t *dict, size_t dict_len,
    void *inflate_state, uint8_t *out, size_t out_cap, eerom_header_t *header, eerom_superblock_t *sb);

#endif // EEROM_IMAGE_H
