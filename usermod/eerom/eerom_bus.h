// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// I2C EEPROM access for the eerom module: native machine.I2C/SoftI2C objects through
// MicroPython's C transfer protocol, or any object with readfrom_mem_into(),
// writeto_mem() and writeto() (how the unix port's tests drive it with a simulator).
#ifndef EEROM_BUS_H
#define EEROM_BUS_H

#include "py/obj.h"
#include "extmod/modmachine.h"

#define EEROM_HAVE_NATIVE_I2C (MICROPY_PY_MACHINE_I2C || MICROPY_PY_MACHINE_SOFTI2C)

// Largest single read transaction; 0 means "as large as the part allows" (a 256-byte
// block on 1-byte-address parts, a 64 KiB bank on 2-byte-address parts).
#ifndef MICROPY_PY_EEROM_READ_CHUNK_MAX
#define MICROPY_PY_EEROM_READ_CHUNK_MAX (0)
#endif

// How long a write cycle may take before eerom gives up (parts need 5 ms at most).
#ifndef MICROPY_PY_EEROM_WRITE_TIMEOUT_MS
#define MICROPY_PY_EEROM_WRITE_TIMEOUT_MS (25)
#endif
// On ports without a clock (no time module) the wait is counted in ACK polls instead.
#ifndef MICROPY_PY_EEROM_WRITE_TIMEOUT_POLLS
#define MICROPY_PY_EEROM_WRITE_TIMEOUT_POLLS (1000)
#endif

// EEPROMs answer at 0x50..0x57: the I2C address carries the memory address bits
// above the ones a transaction sends (M24C16 block select, M24M02 bank select).
#define EEROM_BUS_LAST_ADDR (0x57)

typedef struct _eerom_bus_t {
    mp_obj_t i2c;
    #if EEROM_HAVE_NATIVE_I2C
    const mp_machine_i2c_p_t *native; // NULL: call the object's Python methods
    #endif
    uint16_t addr; // I2C address of the first (or only) block of the EEPROM
    uint8_t addrsize; // memory address bits: 8 or 16
    uint32_t transactions; // bus transactions eerom started
    uint32_t bytes_read; // data bytes eerom read
} eerom_bus_t;

// Raise TypeError if `i2c` is neither a native I2C object nor duck-typed like one.
void eerom_bus_init(eerom_bus_t *bus, mp_obj_t i2c);

// Find the EEPROM the way the badge does and set bus->addr/addrsize:
// 0x57 present and 0x50 absent -> 0x57, 16-bit; 0x50..0x57 all present -> 0x50, 8-bit
// (M24C16); 0x50 present -> 0x50, 16-bit.  Returns 0 or -MP_ENODEV.
int eerom_bus_detect(eerom_bus_t *bus);

// Bytes of memory the bus can address from bus->addr: one block or bank per I2C
// address up to 0x57 (2 KiB for an M24C16 at 0x50, 64 KiB for a 2-byte part at 0x57).
// Reads and writes beyond it are refused, never sent to the devices above 0x57.
uint32_t eerom_bus_capacity(const eerom_bus_t *bus);

// Is [memaddr, memaddr + len) within eerom_bus_capacity()?
bool eerom_bus_in_range(const eerom_bus_t *bus, uint32_t memaddr, size_t len);

// Does the bus run Python code (a duck-typed object) during a transfer?  Then any
// buffer Python can reach may be resized, so freed, during eerom_bus_read/write.
bool eerom_bus_calls_python(const eerom_bus_t *bus);

// Read len bytes from EEPROM memory address memaddr into buf, in as few sequential
// reads as the part allows.  Returns 0 or a negative errno (-MP_EINVAL beyond the
// bus's capacity).  Python exceptions other than OSError raised by a duck-typed bus
// propagate.  A duck-typed bus is handed a bytearray of its own, never `buf`: Python
// code may keep what it is given.
int eerom_bus_read(eerom_bus_t *bus, uint32_t memaddr, uint8_t *buf, size_t len);

// Write len bytes at memaddr in page-sized transactions that never cross a page
// boundary, polling for ACK after each until the part's write cycle ends (bounded).
// Returns 0, -MP_ETIMEDOUT if the part stayed busy, -MP_EIO if it NACKed data (a
// write-protected ST part), -MP_EINVAL beyond the bus's capacity, or another negative
// errno from the bus.  `page` is a power of two.  A duck-typed bus writes from a
// copy of buf, so the caller's buffer may change while Python runs between pages.
int eerom_bus_write(eerom_bus_t *bus, uint32_t memaddr, const uint8_t *buf, size_t len, uint16_t page);

#endif // EEROM_BUS_H
