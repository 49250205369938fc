// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// I2C EEPROM access for the eerom module (MicroPython glue).
#include <string.h>

#include "py/runtime.h"
#include "py/objarray.h"
#include "py/mperrno.h"
#include "py/mphal.h"

#include "eerom_bus.h"

void eerom_bus_init(eerom_bus_t *bus, mp_obj_t i2c) {
    bus->i2c = i2c;
    bus->addr = 0;
    bus->addrsize = 16;
    bus->transactions = 0;
    bus->bytes_read = 0;
    #if EEROM_HAVE_NATIVE_I2C
    // machine.I2C, machine.SoftI2C and ports' own I2C types (the badge's tildagon I2C)
    // share machine_i2c's locals dict and implement its C protocol.
    const mp_obj_type_t *type = mp_obj_get_type(i2c);
    bus->native = NULL;
    if (MP_OBJ_TYPE_HAS_SLOT(type, locals_dict)
        && MP_OBJ_TYPE_GET_SLOT(type, locals_dict) == &mp_machine_i2c_locals_dict
        && MP_OBJ_TYPE_HAS_SLOT(type, protocol)) {
        bus->native = MP_OBJ_TYPE_GET_SLOT(type, protocol);
        return;
    }
    #endif
    mp_obj_t dest[2];
    mp_load_method_maybe(i2c, MP_QSTR_readfrom_mem_into, dest);
    if (dest[0] == MP_OBJ_NULL) {
        mp_raise_TypeError(MP_ERROR_TEXT("eerom: need a machine.I2C or a readfrom_mem_into() object"));
    }
}

#if EEROM_HAVE_NATIVE_I2C
static inline bool eerom_bus_is_native(const eerom_bus_t *bus) {
    return bus->native != NULL;
}
#else
#define eerom_bus_is_native(bus) (false)
#endif

// Call a method of a duck-typed bus (args as for mp_call_method_n_kw).  An OSError
// becomes its negative errno; other exceptions propagate.
static int eerom_bus_call(size_t n_args, size_t n_kw, const mp_obj_t *args) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_call_method_n_kw(n_args, n_kw, args);
        nlr_pop();
        return 0;
    }
    mp_obj_t exc = MP_OBJ_FROM_PTR(nlr.ret_val);
    if (!mp_obj_is_subclass_fast(MP_OBJ_FROM_PTR(mp_obj_get_type(exc)), MP_OBJ_FROM_PTR(&mp_type_OSError))) {
        nlr_jump(nlr.ret_val);
    }
    mp_obj_t value = mp_obj_exception_get_value(exc);
    mp_int_t err = mp_obj_is_small_int(value) ? MP_OBJ_SMALL_INT_VALUE(value) : MP_EIO;
    return err > 0 ? -err : -MP_EIO;
}

// 0 if a device ACKs `addr`, else a negative errno.
static int eerom_bus_probe(eerom_bus_t *bus, uint16_t addr) {
    bus->transactions += 1;
    #if EEROM_HAVE_NATIVE_I2C
    if (eerom_bus_is_native(bus)) {
        // An address-only write, as machine.I2C.scan() does.
        mp_machine_i2c_buf_t buf = {.len = 0, .buf = NULL};
        int ret = bus->native->transfer(MP_OBJ_TO_PTR(bus->i2c), addr, 1, &buf, MP_MACHINE_I2C_FLAG_STOP);
        return ret < 0 ? ret : 0;
    }
    #endif
    mp_obj_t args[4];
    mp_load_method(bus->i2c, MP_QSTR_writeto, args);
    args[2] = MP_OBJ_NEW_SMALL_INT(addr);
    args[3] = mp_const_empty_bytes;
    return eerom_bus_call(2, 0, args);
}

int eerom_bus_detect(eerom_bus_t *bus) {
    bool at50 = eerom_bus_probe(bus, 0x50) == 0;
    bool at57 = eerom_bus_probe(bus, 0x57) == 0;
    if (!at50 && at57) {
        bus->addr = 0x57;
        bus->addrsize = 16;
        return 0;
    }
    if (!at50) {
        return -MP_ENODEV;
    }
    bool all = at57;
    for (uint16_t a = 0x51; all && a < 0x57; ++a) {
        all = eerom_bus_probe(bus, a) == 0;
    }
    bus->addr = 0x50;
    bus->addrsize = all ? 8 : 16;
    return 0;
}

// A transaction carries addrsize bits of memory address; the bits above travel in the
// I2C address (M24C16 block select, M24M02 bank select).
static inline uint32_t eerom_bus_span(const eerom_bus_t *bus) {
    return bus->addrsize == 8 ? 0x100 : 0x10000;
}

uint32_t eerom_bus_capacity(const eerom_bus_t *bus) {
    uint32_t devices = bus->addr <= EEROM_BUS_LAST_ADDR ? EEROM_BUS_LAST_ADDR + 1 - bus->addr : 1;
    if (devices > 8) {
        devices = 8; // an explicit addr below 0x50: still at most 8 blocks or banks
    }
    return devices * eerom_bus_span(bus);
}

bool eerom_bus_calls_python(const eerom_bus_t *bus) {
    return !eerom_bus_is_native(bus);
}

// No sum that can wrap.
bool eerom_bus_in_range(const eerom_bus_t *bus, uint32_t memaddr, size_t len) {
    uint32_t cap = eerom_bus_capacity(bus);
    return memaddr <= cap && len <= cap - memaddr;
}

// The I2C address of the block or bank that holds memaddr.
static inline uint16_t eerom_bus_device(const eerom_bus_t *bus, uint32_t memaddr) {
    return bus->addr + (uint16_t)(memaddr / eerom_bus_span(bus));
}

// One read transaction: set the address, repeated START, read.
static int eerom_bus_read_once(eerom_bus_t *bus, uint16_t addr, uint32_t memaddr, uint8_t *buf, size_t len) {
    bus->transactions += 1;
    #if EEROM_HAVE_NATIVE_I2C
    if (eerom_bus_is_native(bus)) {
        uint8_t abuf[2] = {(uint8_t)(memaddr >> 8), (uint8_t)memaddr};
        size_t alen = bus->addrsize / 8;
        mp_machine_i2c_buf_t bufs[2] = {
            {.len = alen, .buf = abuf + 2 - alen},
            {.len = len, .buf = buf},
        };
        int ret;
        #if MICROPY_PY_MACHINE_I2C_TRANSFER_WRITE1
        if (bus->native->transfer_supports_write1) {
            ret = bus->native->transfer(MP_OBJ_TO_PTR(bus->i2c), addr, 2, bufs,
                MP_MACHINE_I2C_FLAG_WRITE1 | MP_MACHINE_I2C_FLAG_READ | MP_MACHINE_I2C_FLAG_STOP);
            return ret < 0 ? ret : 0;
        }
        #endif
        ret = bus->native->transfer(MP_OBJ_TO_PTR(bus->i2c), addr, 1, &bufs[0], 0);
        if (ret != (int)alen) {
            // Release the bus, as machine_i2c.c's read_mem() does.
            mp_machine_i2c_buf_t none = {.len = 0, .buf = NULL};
            bus->native->transfer(MP_OBJ_TO_PTR(bus->i2c), addr, 1, &none, MP_MACHINE_I2C_FLAG_STOP);
            return ret < 0 ? ret : -MP_EIO;
        }
        ret = bus->native->transfer(MP_OBJ_TO_PTR(bus->i2c), addr, 1, &bufs[1],
            MP_MACHINE_I2C_FLAG_READ | MP_MACHINE_I2C_FLAG_STOP);
        return ret < 0 ? ret : 0;
    }
    #endif
    // readfrom_mem_into(addr, memaddr, scratch, addrsize=N) into a bytearray the
    // callee may keep (it must never get a view of eerom's own buffers, which could
    // outlive them or be written later), then copied.  The callee may also resize
    // it: its buffer is looked up again after the call.
    mp_obj_t args[7];
    mp_load_method(bus->i2c, MP_QSTR_readfrom_mem_into, args);
    args[2] = MP_OBJ_NEW_SMALL_INT(addr);
    args[3] = mp_obj_new_int_from_uint(memaddr);
    args[4] = mp_call_function_1(MP_OBJ_FROM_PTR(&mp_type_bytearray), mp_obj_new_int_from_uint(len)); // zeroed
    args[5] = MP_OBJ_NEW_QSTR(MP_QSTR_addrsize);
    args[6] = MP_OBJ_NEW_SMALL_INT(bus->addrsize);
    mp_obj_t scratch = args[4];
    int ret = eerom_bus_call(3, 1, args);
    if (ret == 0) {
        mp_buffer_info_t got;
        mp_get_buffer_raise(scratch, &got, MP_BUFFER_READ);
        if (got.len != len) {
            return -MP_EIO;
        }
        memcpy(buf, got.buf, len);
    }
    return ret;
}


int eerom_bus_read(eerom_bus_t *bus, uint32_t memaddr, uint8_t *buf, size_t len) {
    if (!eerom_bus_in_range(bus, memaddr, len)) {
        return -MP_EINVAL;
    }
    // No read crosses a block/bank boundary; within one the part's counter runs on.
    uint32_t span = eerom_bus_span(bus);
    while (len > 0) {
        size_t n = span - (memaddr & (span - 1));
        if (n > len) {
            n = len;
        }
        if (MICROPY_PY_EEROM_READ_CHUNK_MAX > 0 && n > MICROPY_PY_EEROM_READ_CHUNK_MAX) {
            n = MICROPY_PY_EEROM_READ_CHUNK_MAX;
        }
        int ret = eerom_bus_read_once(bus, eerom_bus_device(bus, memaddr), memaddr & (span - 1), buf, n);
        if (ret != 0) {
            return ret;
        }
        bus->bytes_read += n;
        memaddr += n;
        buf += n;
        len -= n;
    }
    return 0;
}

// One page write transaction: memory address then data, STOP.
static int eerom_bus_write_once(eerom_bus_t *bus, uint16_t addr, uint32_t memaddr, const uint8_t *buf, size_t len) {
    bus->transactions += 1;
    #if EEROM_HAVE_NATIVE_I2C
    if (eerom_bus_is_native(bus)) {
        size_t alen = bus->addrsize / 8;
        uint8_t abuf[2] = {(uint8_t)(memaddr >> 8), (uint8_t)memaddr};
        mp_machine_i2c_buf_t bufs[2] = {
            {.len = alen, .buf = abuf + 2 - alen},
            {.len = len, .buf = (uint8_t *)buf},
        };
        int ret = bus->native->transfer(MP_OBJ_TO_PTR(bus->i2c), addr, 2, bufs, MP_MACHINE_I2C_FLAG_STOP);
        if (ret < 0) {
            return ret;
        }
        return ret == (int)(alen + len) ? 0 : -MP_EIO; // a NACKed data byte
    }
    #endif
    mp_obj_t args[7];
    mp_load_method(bus->i2c, MP_QSTR_writeto_mem, args);
    args[2] = MP_OBJ_NEW_SMALL_INT(addr);
    args[3] = mp_obj_new_int_from_uint(memaddr);
    args[4] = mp_obj_new_bytes(buf, len); // a copy: the callee may keep it
    args[5] = MP_OBJ_NEW_QSTR(MP_QSTR_addrsize);
    args[6] = MP_OBJ_NEW_SMALL_INT(bus->addrsize);
    return eerom_bus_call(3, 1, args);
}

// Poll the device holding memaddr until it ACKs (its write cycle is over); 0 or
// -MP_ETIMEDOUT.
static int eerom_bus_wait_ready(eerom_bus_t *bus, uint32_t memaddr) {
    uint16_t addr = eerom_bus_device(bus, memaddr);
    #if MICROPY_PY_TIME
    mp_uint_t start = mp_hal_ticks_ms();
    while (eerom_bus_probe(bus, addr) != 0) {
        if (mp_hal_ticks_ms() - start > MICROPY_PY_EEROM_WRITE_TIMEOUT_MS) {
            return -MP_ETIMEDOUT;
        }
        // A write cycle takes milliseconds, most of a write's time: let other threads
        // run meanwhile.  On a port with a GIL (esp32), a write from a thread, as the
        // badge's Hexpansions app does, would otherwise stall its UI throughout.
        MP_THREAD_GIL_EXIT();
        mp_hal_delay_us(50);
        MP_THREAD_GIL_ENTER();
    }
    #else
    for (uint32_t polls = 0; eerom_bus_probe(bus, addr) != 0; ++polls) {
        if (polls >= MICROPY_PY_EEROM_WRITE_TIMEOUT_POLLS) {
            return -MP_ETIMEDOUT;
        }
    }
    #endif
    return 0;
}

int eerom_bus_write(eerom_bus_t *bus, uint32_t memaddr, const uint8_t *buf, size_t len, uint16_t page) {
    if (!eerom_bus_in_range(bus, memaddr, len)) {
        return -MP_EINVAL;
    }
    // A duck-typed bus runs Python between pages, and so may another thread while
    // eerom_bus_wait_ready() lets go of the GIL: either could resize (so free) the
    // caller's buffer: write from a copy.  `buf` then points at the head of the copy's
    // data and stays in use (the loop indexes it) until the last page, which keeps the
    // copy alive: the GC follows pointers to the head of a block only.
    if (!eerom_bus_is_native(bus) || MICROPY_PY_THREAD_GIL) {
        buf = (const uint8_t *)mp_obj_str_get_data(mp_obj_new_bytes(buf, len), &len);
    }
    uint32_t span = eerom_bus_span(bus);
    for (size_t done = 0; done < len;) {
        uint32_t at = memaddr + done;
        size_t n = page - at % page; // a page never straddles a block or bank
        if (n > len - done) {
            n = len - done;
        }
        int ret = eerom_bus_write_once(bus, eerom_bus_device(bus, at), at & (span - 1), buf + done, n);
        if (ret == 0) {
            ret = eerom_bus_wait_ready(bus, at);
        }
        if (ret != 0) {
            return ret;
        }
        done += n;
    }
    return 0;
}
