// This file is part of eerom.
// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the eerom authors (see LICENSE)
//
// Test-only native I2C bus with a RAM-backed EEPROM, for firmware that has no I2C
// hardware (the unix and qemu ports).  Compiled only into test builds.
//
// It implements MicroPython's C I2C protocol (mp_machine_i2c_p_t) and shares
// machine.I2C's locals dict, so the eerom module takes its native path and every
// machine.I2C method (scan, readfrom_mem_into, writeto_mem, ...) works on it.
// Semantics follow tools/eerom/eeprom_sim.py:
// - 1-byte-address parts up to 2 KiB (M24C16): I2C address base+block selects the
//   256-byte block; 2-byte-address parts answer on one address (bits 16.. above);
// - one address counter: sequential reads roll over at the end of the memory;
// - page writes wrap inside the page and happen on STOP; afterwards the part NACKs
//   its address for `busy_polls` attempts (its write cycle: these ports have no clock);
// - write protection: "ignore" (data ACKed, not stored) or "nack" (data NACKed);
// - fault injection at transaction k: nack, timeout, short, flip, remove; and a torn
//   page write (tear(bus, k): the k-th page write stores only half its data).
//
// Each bus id (0..3) has one EEPROM whose memory and settings live in static RAM, so
// they survive a soft reset, as a real part on a real bus does: a host can attach an
// image, then talk to the part through the REPL across many soft resets.
//
//   bus = machine.I2C(1)                  # or fakei2c.I2CNoWrite1(1)
//   fakei2c.attach(bus, image, size=2048, page=16, addrsize=8)
//   fakei2c.inject(bus, 9, "remove"); fakei2c.stats(bus); fakei2c.memory(bus)
#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "extmod/modmachine.h"

#if !MICROPY_PY_MACHINE_I2C || !MICROPY_PY_MACHINE_I2C_TRANSFER_WRITE1
#error "fakei2c needs MICROPY_PY_MACHINE_I2C and MICROPY_PY_MACHINE_I2C_TRANSFER_WRITE1 (its micropython.mk sets them)"
#endif

#define FAKE_MAX_WRITE (512)
#define FAKE_BUSES (4)
#define FAKE_MAX_SIZE (65536)

enum { FAULT_NONE, FAULT_NACK, FAULT_TIMEOUT, FAULT_SHORT, FAULT_FLIP, FAULT_REMOVE };
enum { WP_NONE, WP_IGNORE, WP_NACK };

typedef struct _fake_bus_t {
    uint8_t *mem;
    size_t size;
    uint16_t page;
    uint8_t addrsize;
    uint8_t write_protect;
    uint16_t base_addr;
    bool present;
    uint16_t busy; // address attempts left to NACK
    uint16_t busy_polls;
    uint32_t pointer;
    // the transaction in progress (a transfer without STOP continues it)
    bool in_transaction;
    uint8_t fault; // fault applied to the current transaction
    uint8_t addr_seen; // memory address bytes received so far
    uint32_t addr_value;
    uint16_t wlen;
    uint8_t wbuf[FAKE_MAX_WRITE];
    // injection and counters
    uint32_t fault_at;
    uint8_t fault_kind;
    uint32_t tear_at; // this page write (counting from 0) stores only its first half
    uint32_t transactions, wire_bytes, data_read, data_written, nacks, page_writes;
} fake_bus_t;

static fake_bus_t fake_buses[FAKE_BUSES];
static uint8_t fake_memory[FAKE_BUSES][FAKE_MAX_SIZE];

typedef struct _fake_i2c_obj_t {
    mp_obj_base_t base;
    fake_bus_t *bus;
} fake_i2c_obj_t;

static size_t n_addresses(fake_bus_t *self) {
    size_t span = self->addrsize == 8 ? 0x100 : 0x10000;
    return self->size == 0 ? 0 : (self->size + span - 1) / span;
}

static bool answers(fake_bus_t *self, uint16_t addr) {
    return self->present && addr >= self->base_addr && addr < self->base_addr + n_addresses(self);
}

static void commit_write(fake_bus_t *self) {
    if (self->wlen == 0) {
        return;
    }
    self->data_written += self->wlen;
    if (self->page_writes == self->tear_at) {
        self->wlen /= 2; // torn: the part lost power mid-cycle
    }
    if (self->write_protect == WP_NONE) {
        uint32_t page_base = self->pointer - self->pointer % self->page;
        uint32_t off = self->pointer - page_base;
        for (size_t i = 0; i < self->wlen; ++i) {
            self->mem[page_base + off] = self->wbuf[i];
            off = (off + 1) % self->page; // page wrap, as real parts do
        }
        self->pointer = page_base + off;
        self->page_writes += 1;
        self->busy = self->busy_polls;
    }
    self->wlen = 0;
}

// Bytes of a write phase; returns how many the part ACKed.
static size_t write_bytes(fake_bus_t *self, uint16_t addr, const uint8_t *buf, size_t len) {
    size_t alen = self->addrsize / 8;
    size_t acked = 0;
    for (size_t i = 0; i < len; ++i) {
        if (self->addr_seen < alen) {
            self->addr_value = (self->addr_value << 8) | buf[i];
            if (++self->addr_seen == alen) {
                uint32_t select = (uint32_t)(addr - self->base_addr) << self->addrsize;
                self->pointer = (select | self->addr_value) % self->size;
            }
        } else if (self->write_protect == WP_NACK) {
            break; // data bytes are NACKed
        } else if (self->wlen < FAKE_MAX_WRITE) {
            self->wbuf[self->wlen++] = buf[i];
        } else {
            break;
        }
        acked += 1;
    }
    return acked;
}

static void read_bytes(fake_bus_t *self, uint8_t *buf, size_t len, size_t at, size_t total) {
    for (size_t i = 0; i < len; ++i) {
        uint8_t b = self->mem[self->pointer];
        self->pointer = (self->pointer + 1) % self->size;
        size_t pos = at + i;
        if (self->fault == FAULT_SHORT && pos >= total / 2) {
            b = 0xff; // the part stopped driving the bus
        } else if (self->fault == FAULT_FLIP && pos == total / 2) {
            b ^= 0x10;
        }
        buf[i] = b;
    }
    self->data_read += len;
}

static int fake_transfer(mp_obj_base_t *obj, uint16_t addr, size_t n, mp_machine_i2c_buf_t *bufs, unsigned int flags) {
    fake_bus_t *self = ((fake_i2c_obj_t *)obj)->bus;
    if (self->mem == NULL) { // nothing attached: nobody answers
        self->transactions += 1;
        self->nacks += 1;
        return -MP_ENODEV;
    }
    if (!self->in_transaction) {
        uint32_t index = self->transactions++;
        self->fault = index == self->fault_at ? self->fault_kind : FAULT_NONE;
        if (self->fault == FAULT_REMOVE) {
            self->present = false;
        }
        self->addr_seen = 0;
        self->addr_value = 0;
        self->wlen = 0;
    }
    self->wire_bytes += 1; // the address byte
    if (!answers(self, addr) || self->busy > 0 || self->fault == FAULT_NACK) {
        if (self->busy > 0) {
            self->busy -= 1;
        }
        self->nacks += 1;
        self->in_transaction = false;
        return -MP_ENODEV;
    }
    if (self->fault == FAULT_TIMEOUT) {
        self->in_transaction = false;
        return -MP_ETIMEDOUT;
    }
    int ret = 0;
    size_t first_read = 0;
    if (flags & MP_MACHINE_I2C_FLAG_WRITE1) {
        // the first buffer is written, then a repeated START reads the rest
        ret = write_bytes(self, addr, bufs[0].buf, bufs[0].len);
        self->wire_bytes += bufs[0].len + 1;
        self->wlen = 0; // a repeated START ends the write without storing data
        first_read = 1;
    }
    if (flags & MP_MACHINE_I2C_FLAG_READ) {
        size_t total = 0, at = 0;
        for (size_t i = first_read; i < n; ++i) {
            total += bufs[i].len;
        }
        for (size_t i = first_read; i < n; ++i) {
            read_bytes(self, bufs[i].buf, bufs[i].len, at, total);
            at += bufs[i].len;
        }
        self->wire_bytes += total;
        self->wlen = 0;
        if (!(flags & MP_MACHINE_I2C_FLAG_WRITE1)) {
            ret = 0;
        }
    } else {
        size_t acked = 0;
        for (size_t i = 0; i < n; ++i) {
            size_t a = write_bytes(self, addr, bufs[i].buf, bufs[i].len);
            acked += a;
            self->wire_bytes += a;
            if (a < bufs[i].len) {
                break;
            }
        }
        if (self->fault == FAULT_SHORT) {
            self->wlen /= 2; // the part saw only half of the data
        }
        ret = acked;
    }
    self->in_transaction = !(flags & MP_MACHINE_I2C_FLAG_STOP);
    if (!self->in_transaction) {
        commit_write(self);
    }
    return ret;
}

static void fake_init(mp_obj_base_t *obj, size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    (void)obj;
    (void)n_args;
    (void)pos_args;
    (void)kw_args;
}

static mp_obj_t fake_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 0, 1, true);
    mp_int_t id = n_args > 0 ? mp_obj_get_int(args[0]) : 0;
    if (id < 0 || id >= FAKE_BUSES) {
        mp_raise_ValueError(MP_ERROR_TEXT("fake I2C bus id must be 0..3"));
    }
    fake_i2c_obj_t *self = mp_obj_malloc(fake_i2c_obj_t, type);
    self->bus = &fake_buses[id];
    return MP_OBJ_FROM_PTR(self);
}

static const mp_machine_i2c_p_t fake_i2c_p = {
    .transfer_supports_write1 = true,
    .init = fake_init,
    .transfer = fake_transfer,
};

static const mp_machine_i2c_p_t fake_i2c_no_write1_p = {
    .transfer_supports_write1 = false,
    .init = fake_init,
    .transfer = fake_transfer,
};

// machine.I2C in test builds: a fake bus with combined write-then-read transfers.
MP_DEFINE_CONST_OBJ_TYPE(
    machine_i2c_type,
    MP_QSTR_I2C,
    MP_TYPE_FLAG_NONE,
    make_new, fake_make_new,
    protocol, &fake_i2c_p,
    locals_dict, &mp_machine_i2c_locals_dict
    );

// The same bus for ports whose I2C driver cannot combine transfers.
static MP_DEFINE_CONST_OBJ_TYPE(
    fake_i2c_no_write1_type,
    MP_QSTR_I2CNoWrite1,
    MP_TYPE_FLAG_NONE,
    make_new, fake_make_new,
    protocol, &fake_i2c_no_write1_p,
    locals_dict, &mp_machine_i2c_locals_dict
    );

static fake_bus_t *get_bus(mp_obj_t obj) {
    const mp_obj_type_t *t = mp_obj_get_type(obj);
    if (t != &machine_i2c_type && t != &fake_i2c_no_write1_type) {
        mp_raise_TypeError(MP_ERROR_TEXT("not a fake I2C bus"));
    }
    return ((fake_i2c_obj_t *)MP_OBJ_TO_PTR(obj))->bus;
}

static fake_bus_t *get_attached(mp_obj_t obj) {
    fake_bus_t *self = get_bus(obj);
    if (self->mem == NULL) {
        mp_raise_ValueError(MP_ERROR_TEXT("no EEPROM attached to this bus"));
    }
    return self;
}

static mp_obj_t fakei2c_attach(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_bus, ARG_data, ARG_size, ARG_page, ARG_addrsize, ARG_base, ARG_busy_polls, ARG_write_protect };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_bus, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_data, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_size, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 2048} },
        { MP_QSTR_page, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 16} },
        { MP_QSTR_addrsize, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 8} },
        { MP_QSTR_base, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 0x50} },
        { MP_QSTR_busy_polls, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 2} },
        { MP_QSTR_write_protect, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    fake_bus_t *self = get_bus(args[ARG_bus].u_obj);
    mp_int_t size = args[ARG_size].u_int, page = args[ARG_page].u_int, addrsize = args[ARG_addrsize].u_int;
    if (size <= 0 || size > FAKE_MAX_SIZE || page <= 0 || page > FAKE_MAX_WRITE || (addrsize != 8 && addrsize != 16)
        || (addrsize == 8 && size > 2048)) {
        mp_raise_ValueError(MP_ERROR_TEXT("bad EEPROM geometry"));
    }
    memset(self, 0, sizeof(*self)); // a new part, counters from zero
    self->fault_at = UINT32_MAX;
    self->tear_at = UINT32_MAX;
    self->mem = fake_memory[self - fake_buses];
    memset(self->mem, 0xff, size);
    if (args[ARG_data].u_obj != mp_const_none) {
        mp_buffer_info_t data;
        mp_get_buffer_raise(args[ARG_data].u_obj, &data, MP_BUFFER_READ);
        memcpy(self->mem, data.buf, MIN((size_t)size, data.len));
    }
    self->size = size;
    self->page = page;
    self->addrsize = addrsize;
    self->base_addr = args[ARG_base].u_int;
    self->busy_polls = args[ARG_busy_polls].u_int;
    self->write_protect = WP_NONE;
    mp_obj_t wp = args[ARG_write_protect].u_obj;
    if (wp != mp_const_none) {
        const char *s = mp_obj_str_get_str(wp);
        self->write_protect = strcmp(s, "nack") == 0 ? WP_NACK : WP_IGNORE;
    }
    self->present = true;
    self->busy = 0;
    self->pointer = 0;
    self->in_transaction = false;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(fakei2c_attach_obj, 1, fakei2c_attach);

static mp_obj_t fakei2c_inject(mp_obj_t bus_in, mp_obj_t index_in, mp_obj_t kind_in) {
    static const char *const kinds[] = {"", "nack", "timeout", "short", "flip", "remove"};
    fake_bus_t *self = get_attached(bus_in);
    const char *kind = mp_obj_str_get_str(kind_in);
    for (size_t i = 1; i < MP_ARRAY_SIZE(kinds); ++i) {
        if (strcmp(kind, kinds[i]) == 0) {
            self->fault_at = mp_obj_get_int(index_in);
            self->fault_kind = i;
            return mp_const_none;
        }
    }
    mp_raise_ValueError(MP_ERROR_TEXT("unknown fault"));
}
static MP_DEFINE_CONST_FUN_OBJ_3(fakei2c_inject_obj, fakei2c_inject);

static mp_obj_t fakei2c_tear(mp_obj_t bus_in, mp_obj_t index_in) {
    get_attached(bus_in)->tear_at = mp_obj_get_int(index_in);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(fakei2c_tear_obj, fakei2c_tear);

static mp_obj_t fakei2c_detach(mp_obj_t bus_in) {
    get_attached(bus_in)->present = false; // unplugged
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(fakei2c_detach_obj, fakei2c_detach);

static mp_obj_t fakei2c_stats(mp_obj_t bus_in) {
    fake_bus_t *self = get_bus(bus_in);
    mp_obj_t d = mp_obj_new_dict(6);
    #define PUT(name) mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_##name), mp_obj_new_int_from_uint(self->name))
    PUT(transactions);
    PUT(wire_bytes);
    PUT(data_read);
    PUT(data_written);
    PUT(nacks);
    PUT(page_writes);
    #undef PUT
    return d;
}
static MP_DEFINE_CONST_FUN_OBJ_1(fakei2c_stats_obj, fakei2c_stats);

static mp_obj_t fakei2c_reset_stats(mp_obj_t bus_in) {
    fake_bus_t *self = get_bus(bus_in);
    self->transactions = self->wire_bytes = self->data_read = self->data_written = 0;
    self->nacks = self->page_writes = 0;
    self->fault_at = UINT32_MAX;
    self->tear_at = UINT32_MAX;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(fakei2c_reset_stats_obj, fakei2c_reset_stats);

static mp_obj_t fakei2c_memory(mp_obj_t bus_in) {
    fake_bus_t *self = get_attached(bus_in);
    return mp_obj_new_bytes(self->mem, self->size);
}
static MP_DEFINE_CONST_FUN_OBJ_1(fakei2c_memory_obj, fakei2c_memory);

static const mp_rom_map_elem_t fakei2c_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_fakei2c) },
    { MP_ROM_QSTR(MP_QSTR_I2C), MP_ROM_PTR(&machine_i2c_type) },
    { MP_ROM_QSTR(MP_QSTR_I2CNoWrite1), MP_ROM_PTR(&fake_i2c_no_write1_type) },
    { MP_ROM_QSTR(MP_QSTR_attach), MP_ROM_PTR(&fakei2c_attach_obj) },
    { MP_ROM_QSTR(MP_QSTR_inject), MP_ROM_PTR(&fakei2c_inject_obj) },
    { MP_ROM_QSTR(MP_QSTR_tear), MP_ROM_PTR(&fakei2c_tear_obj) },
    { MP_ROM_QSTR(MP_QSTR_detach), MP_ROM_PTR(&fakei2c_detach_obj) },
    { MP_ROM_QSTR(MP_QSTR_stats), MP_ROM_PTR(&fakei2c_stats_obj) },
    { MP_ROM_QSTR(MP_QSTR_reset_stats), MP_ROM_PTR(&fakei2c_reset_stats_obj) },
    { MP_ROM_QSTR(MP_QSTR_memory), MP_ROM_PTR(&fakei2c_memory_obj) },
};
static MP_DEFINE_CONST_DICT(fakei2c_module_globals, fakei2c_module_globals_table);

const mp_obj_module_t fakei2c_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&fakei2c_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_fakei2c, fakei2c_user_cmodule);
