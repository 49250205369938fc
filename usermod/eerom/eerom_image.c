// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// eerom image format v1: header and superblock parsing and checks (plain C).
#include <string.h>

#include "eerom_image.h"
#include "eerom_inflate.h"
#include "eerom_romfs.h"

// Each error's stable name (tools/eerom/errors.py has the same names), one sentence
// for messages, and its class.
static const struct {
    const char *name;
    const char *message;
    uint8_t cls;
} eerom_errors[EEROM_ERR__COUNT] = {
    [EEROM_OK] = {"ok", "ok", EEROM_CLASS_OK},
    [EEROM_ERR_HEADER_MAGIC] = {"header-magic", "no hexpansion header (bytes 1..3 are not HEX)", EEROM_CLASS_HEADER},
    [EEROM_ERR_HEADER_VERSION] = {"header-version", "header manifest version is not 2024 or 2026", EEROM_CLASS_HEADER},
    [EEROM_ERR_HEADER_CHECKSUM] = {"header-checksum", "header checksum mismatch", EEROM_CLASS_HEADER},
    [EEROM_ERR_HEADER_GEOMETRY] = {"header-geometry", "header fs_offset, page size or EEPROM size is impossible", EEROM_CLASS_HEADER},
    [EEROM_ERR_NO_IMAGE] = {"no-image", "no eerom superblock at fs_offset", EEROM_CLASS_NO_IMAGE},
    [EEROM_ERR_TRUNCATED] = {"truncated", "image ends early", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_SB_VERSION] = {"sb-version", "unsupported superblock format version", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_SB_SIZE] = {"sb-size", "superblock size below the v1 minimum", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_SB_CRC] = {"sb-crc", "superblock CRC mismatch: the superblock is damaged", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_SB_METHOD] = {"sb-method", "unknown compression method", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_SB_FLAGS] = {"sb-flags", "superblock flags name features this reader lacks", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_SB_DICT] = {"sb-dict", "image needs a preset dictionary this reader lacks", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_SB_SIZES] = {"sb-sizes", "superblock sizes are inconsistent", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_SIZE_PART] = {"size-part", "image is larger than the EEPROM the header describes", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_TOO_LARGE] = {"too-large", "image inflates to more than max_size", EEROM_CLASS_TOO_LARGE},
    [EEROM_ERR_PAYLOAD_CRC] = {"payload-crc", "payload CRC mismatch: the payload is damaged", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_INFLATE] = {"inflate", "payload is not a deflate stream of the declared size", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_ROMFS_MAGIC] = {"romfs-magic", "inflated image is not a ROMFS", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_ROMFS_TRAILING] = {"romfs-trailing", "bytes after the ROMFS filesystem record", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_ROMFS_RECORD] = {"romfs-record", "malformed ROMFS record", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_ROMFS_BOUNDS] = {"romfs-bounds", "ROMFS record runs past its parent", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_ROMFS_NAME] = {"romfs-name", "ROMFS entry name is empty, not UTF-8 or not a plain name", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_ROMFS_DEPTH] = {"romfs-depth", "ROMFS directories nest too deep", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_ROMFS_POINTER] = {"romfs-pointer", "ROMFS data pointer outside the filesystem", EEROM_CLASS_CORRUPT},
    [EEROM_ERR_ROMFS_FILE] = {"romfs-file", "ROMFS file without a data record", EEROM_CLASS_CORRUPT},
};

const char *eerom_err_name(eerom_err_t err) {
    return (unsigned)err < EEROM_ERR__COUNT ? eerom_errors[err].name : "unknown";
}

const char *eerom_err_message(eerom_err_t err) {
    return (unsigned)err < EEROM_ERR__COUNT ? eerom_errors[err].message : "unknown error";
}

eerom_err_class_t eerom_err_class(eerom_err_t err) {
    return (unsigned)err < EEROM_ERR__COUNT ? (eerom_err_class_t)eerom_errors[err].cls : EEROM_CLASS_CORRUPT;
}

uint32_t eerom_crc32(uint32_t crc, const uint8_t *data, size_t len) {
    // Nibble-table CRC: 64 bytes of table, ~2 lookups per byte.  Images are a few KiB
    // and read over a 400 kHz bus, so a 1 KiB byte table would buy nothing here.
    static const uint32_t table[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
        0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
    };
    crc = ~crc;
    for (size_t i = 0; i < len; ++i) {
        crc ^= data[i];
        crc = table[crc & 0x0f] ^ (crc >> 4);
        crc = table[crc & 0x0f] ^ (crc >> 4);
    }
    return ~crc;
}

static inline uint16_t get_le16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t get_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

eerom_err_t eerom_header_parse(const uint8_t *raw, eerom_header_t *h) {
    // Byte 0 ('T') is not checked: on 1-byte-address parts the badge's 2-byte address
    // write stores a 0 there.
    if (raw[1] != 'H' || raw[2] != 'E' || raw[3] != 'X') {
        return EEROM_ERR_HEADER_MAGIC;
    }
    if (memcmp(raw + 4, "2024", 4) != 0 && memcmp(raw + 4, "2026", 4) != 0) {
        return EEROM_ERR_HEADER_VERSION;
    }
    uint8_t sum = 0x55;
    for (int i = 1; i < 31; ++i) {
        sum ^= raw[i];
    }
    if (sum != raw[31]) {
        return EEROM_ERR_HEADER_CHECKSUM;
    }
    memcpy(h->manifest_version, raw + 4, 4);
    h->manifest_version[4] = '\0';
    h->fs_offset = get_le16(raw + 8);
    h->page_size = get_le16(raw + 10);
    h->total_size = get_le32(raw + 12);
    h->vid = get_le16(raw + 16);
    h->pid = get_le16(raw + 18);
    h->unique_id = get_le16(raw + 20);
    memcpy(h->name, raw + 22, EEROM_HEADER_NAME_SIZE);
    h->name[EEROM_HEADER_NAME_SIZE] = '\0'; // the name ends at its first NUL

    // Geometry the badge never checks but a reader of fs_offset relies on.
    uint16_t page = h->page_size;
    if (page < 8 || page > 512 || (page & (page - 1)) != 0
        || h->fs_offset < EEROM_HEADER_SIZE || h->fs_offset % page != 0
        || h->total_size <= h->fs_offset) {
        return EEROM_ERR_HEADER_GEOMETRY;
    }
    return EEROM_OK;
}

size_t eerom_superblock_size(const uint8_t *raw) {
    return raw[5];
}

eerom_err_t eerom_superblock_parse(const uint8_t *raw, size_t avail, const uint32_t *dict_id,
    eerom_superblock_t *sb) {
    if (avail < 4 || memcmp(raw, "EERM", 4) != 0) {
        return EEROM_ERR_NO_IMAGE;
    }
    if (avail < 6) {
        return EEROM_ERR_TRUNCATED;
    }
    sb->version = raw[4];
    sb->sb_size = raw[5];
    if (sb->version != EEROM_SB_VERSION) {
        return EEROM_ERR_SB_VERSION;
    }
    if (sb->sb_size < EEROM_SB_SIZE_V1) {
        return EEROM_ERR_SB_SIZE;
    }
    if (avail < sb->sb_size) {
        return EEROM_ERR_TRUNCATED;
    }
    if (eerom_crc32(0, raw, sb->sb_size - 4) != get_le32(raw + sb->sb_size - 4)) {
        return EEROM_ERR_SB_CRC;
    }
    sb->method = raw[6];
    sb->flags = raw[7];
    sb->stored_size = get_le32(raw + 8);
    sb->image_size = get_le32(raw + 12);
    sb->payload_crc = get_le32(raw + 16);
    sb->dict_id = 0;
    if (sb->method != EEROM_METHOD_STORED && sb->method != EEROM_METHOD_DEFLATE) {
        return EEROM_ERR_SB_METHOD;
    }
    if ((sb->flags & ~EEROM_SB_FLAGS_KNOWN) != 0) {
        return EEROM_ERR_SB_FLAGS;
    }
    if (sb->flags & EEROM_SB_FLAG_DICT) {
        // A stored payload has no history to start with a dictionary.
        if (sb->method == EEROM_METHOD_STORED) {
            return EEROM_ERR_SB_FLAGS;
        }
        if (sb->sb_size < EEROM_SB_SIZE_DICT) {
            return EEROM_ERR_SB_SIZE;
        }
        sb->dict_id = get_le32(raw + EEROM_SB_DICT_ID_OFFSET);
        if (dict_id == NULL || *dict_id != sb->dict_id) {
            return EEROM_ERR_SB_DICT;
        }
    }
    if (sb->method == EEROM_METHOD_STORED && sb->stored_size != sb->image_size) {
        return EEROM_ERR_SB_SIZES;
    }
    // A writer stores an image that deflate does not shrink, so a deflated payload is
    // always smaller than its image, and no larger than the ratio deflate allows.
    if (sb->method == EEROM_METHOD_DEFLATE
        && (sb->stored_size >= sb->image_size
            || (uint64_t)sb->image_size > (uint64_t)sb->stored_size * EEROM_DEFLATE_MAX_RATIO)) {
        return EEROM_ERR_SB_SIZES;
    }
    if (sb->image_size < EEROM_ROMFS_MIN_SIZE) {
        return EEROM_ERR_SB_SIZES;
    }
    return EEROM_OK;
}

eerom_err_t eerom_image_check_bounds(const eerom_header_t *h, const eerom_superblock_t *sb,
    uint32_t max_image_size) {
    // 64-bit sum: stored_size is attacker-controlled and may be near 2^32.
    uint64_t end = (uint64_t)eerom_payload_offset(h, sb) + sb->stored_size;
    if (end > h->total_size) {
        return EEROM_ERR_SIZE_PART;
    }
    if (sb->image_size > max_image_size) {
        return EEROM_ERR_TOO_LARGE;
    }
    return EEROM_OK;
}

eerom_err_t eerom_image_check_buffer(const uint8_t *data, size_t len, uint32_t max_image_size,
    const uint8_t *dict, size_t dict_len,
    void *inflate_state, uint8_t *out, size_t out_cap, eerom_header_t *h, eerom_superblock_t *sb) {
    if (len < EEROM_HEADER_SIZE) {
        return EEROM_ERR_TRUNCATED;
    }
    eerom_err_t err = eerom_header_parse(data, h);
    if (err != EEROM_OK) {
        return err;
    }
    if (dict_len == 0) {
        dict = NULL;
    }
    uint32_t dict_id = dict != NULL ? eerom_crc32(0, dict, dict_len) : 0;
    size_t avail = len > h->fs_offset ? len - h->fs_offset : 0;
    if ((err = eerom_superblock_parse(data + (len - avail), avail, dict != NULL ? &dict_id : NULL, sb)) != EEROM_OK
        || (err = eerom_image_check_bounds(h, sb, max_image_size)) != EEROM_OK) {
        return err;
    }
    uint32_t at = eerom_payload_offset(h, sb);
    if ((uint64_t)at + sb->stored_size > len) {
        return EEROM_ERR_TRUNCATED;
    }
    const uint8_t *payload = data + at;
    if (eerom_crc32(0, payload, sb->stored_size) != sb->payload_crc) {
        return EEROM_ERR_PAYLOAD_CRC;
    }
    // out: [dictionary | image | guard byte].  Compared without a sum that could wrap.
    size_t prefix = (sb->flags & EEROM_SB_FLAG_DICT) ? dict_len : 0;
    if (out_cap <= prefix || out_cap - prefix - 1 < sb->image_size) {
        return EEROM_ERR_TOO_LARGE;
    }
    if (sb->method == EEROM_METHOD_STORED) {
        memcpy(out, payload, sb->image_size);
    } else {
        if (prefix != 0) {
            memcpy(out, dict, prefix);
        }
        if ((err = eerom_inflate(inflate_state, out, prefix, sb->image_size, payload, sb->stored_size)) != EEROM_OK) {
            return err;
        }
        if (prefix != 0) {
            memmove(out, out + prefix, sb->image_size);
        }
    }
    return eerom_romfs_check(out, sb->image_size);
}
