// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// A unix-port variant for eerom's tests (make VARIANT_DIR=<this folder>): the
// standard variant without native code and with terse error reporting, as on small
// ports.  eerom keeps its images alive through its own root pointers, not the
// runtime's list of native-code roots, and raises its errors through MP_ERROR_TEXT:
// this build shows both.  It is also a firmware without eerom's preset dictionary
// (MICROPY_PY_EEROM_DICT 0): eerom.DICT_ID is None and images that need the
// dictionary are refused (tests/device/test_dict.py).
#define MICROPY_CONFIG_ROM_LEVEL (MICROPY_CONFIG_ROM_LEVEL_EXTRA_FEATURES)
#define MICROPY_EMIT_X64 (0)
#include "variants/mpconfigvariant_common.h" // the unix port directory is on the include path
#undef MICROPY_ERROR_REPORTING
#define MICROPY_ERROR_REPORTING (MICROPY_ERROR_REPORTING_TERSE)
#define MICROPY_PY_EEROM_DICT (0)
