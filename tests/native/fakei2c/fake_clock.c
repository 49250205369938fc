// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// A stand-in wall clock for test builds of ports that have none (the qemu port), so
// that LittleFS, which stamps files with mp_hal_time_ns(), links.  Enabled only by
// -DEEROM_TEST_FAKE_CLOCK=1 (tools/setup/setup.sh sets it for the qemu test firmware).
#include "py/mphal.h"

#if EEROM_TEST_FAKE_CLOCK
uint64_t mp_hal_time_ns(void) {
    return 0; // files get the epoch as their mtime
}
#endif
