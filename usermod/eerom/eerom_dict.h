// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// The preset dictionary the firmware carries (docs/SPEC.md section 5.2): bytes every
// image may refer back to, so that what all badge apps share need not be stored in
// each.  eerom_dict.c is generated from tools/eerom/dicts/ (in build/venv) by
//
//   python -c 'from eerom import dictionary as d; print(d.c_source(d.builtin()), end="")' > usermod/eerom/eerom_dict.c
//
// and tests/host/test_module_sources.py checks that it is what that gives.  It is
// const data: in flash (rodata) on a microcontroller, copied to RAM only while an
// image that uses it is inflated.
//
// MICROPY_PY_EEROM_DICT (default 1) builds it in; with 0 the firmware holds no
// dictionary and refuses images that need one (sb-dict).  Outside MicroPython (the
// host build of the C core) define EEROM_DICT instead.
#ifndef EEROM_DICT_H
#define EEROM_DICT_H

#include <stddef.h>
#include <stdint.h>

#ifndef EEROM_DICT
#include "py/mpconfig.h"
#ifndef MICROPY_PY_EEROM_DICT
#define MICROPY_PY_EEROM_DICT (1)
#endif
#define EEROM_DICT (MICROPY_PY_EEROM_DICT)
#endif

#if EEROM_DICT
extern const uint32_t eerom_dict_id; // CRC-32 of the dictionary (as zlib.crc32)
extern const size_t eerom_dict_len; // 1..EEROM_DICT_MAX_SIZE
extern const uint8_t eerom_dict_data[];
#endif

#endif // EEROM_DICT_H
