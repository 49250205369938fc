// Shared MicroPython glue of the eerom module (see eerom_device.h).
#include <stdarg.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "py/mphal.h"

#include "eerom_device.h"

// The badge retries a header read once after 100 ms for slow emulated EEPROMs.
#ifndef MICROPY_EEROM_HEADER_RETRY_MS
#define MICROPY_EEROM_HEADER_RETRY_MS (100)
#endif

MP_NORETURN void eerom_raise(int err, const char *fmt, ...) {
    vstr_t vstr;
    vstr_init(&vstr, 80);
    va_list ap;
    va_start(ap, fmt);
    vstr_vprintf(&vstr, fmt, ap);
    va_end(ap);
    mp_obj_t args[2] = {MP_OBJ_NEW_SMALL_INT(err), mp_obj_new_str_from_vstr(&vstr)};
    nlr_raise(MP_OBJ_TYPE_GET_SLOT(&mp_type_OSError, make_new)(&mp_type_OSError, 2, 0, args));
}

// errno for each class of image error (see eerom_image.h).
static int image_errno(eerom_err_t err) {
    switch (eerom_err_class(err)) {
        case EEROM_CLASS_HEADER:
            return MP_EINVAL;
        case EEROM_CLASS_NO_IMAGE:
            return MP_ENOENT;
        case EEROM_CLASS_TOO_LARGE:
            return MP_EFBIG;
        default:
            return MP_ENOEXEC;
    }
}

void eerom_check_image(eerom_err_t err) {
    if (err != EEROM_OK) {
        eerom_raise(image_errno(err), "eerom: %s: %s", eerom_err_name(err), eerom_err_message(err));
    }
}

// A read failed with negative errno `ret`.  Before anything was read, "no device"
// means the EEPROM is not there; afterwards any failure is a bus error.
void eerom_check_read(eerom_bus_t *bus, int ret, uint32_t memaddr, size_t len) {
    if (ret == 0) {
        return;
    }
    if (ret == -MP_ENODEV && bus->bytes_read == 0) {
        eerom_raise(MP_ENODEV, "eerom: no EEPROM answers at I2C address 0x%02x", bus->addr);
    }
    eerom_raise(MP_EIO, "eerom: I2C read of %u bytes at 0x%04x from device 0x%02x failed (errno %d)",
        (unsigned)len, (unsigned)memaddr, bus->addr, -ret);
}

void eerom_open(eerom_bus_t *bus, mp_obj_t i2c, mp_obj_t addr_in, mp_obj_t addrsize_in) {
    eerom_bus_init(bus, i2c);
    if (addr_in == mp_const_none) {
        if (eerom_bus_detect(bus) != 0) {
            eerom_raise(MP_ENODEV, "eerom: no EEPROM answers at I2C address 0x50 or 0x57");
        }
    } else {
        bus->addr = mp_obj_get_int(addr_in);
        bus->addrsize = 16;
    }
    if (addrsize_in != mp_const_none) {
        mp_int_t addrsize = mp_obj_get_int(addrsize_in);
        if (addrsize != 8 && addrsize != 16) {
            mp_raise_ValueError(MP_ERROR_TEXT("eerom: addrsize must be 8 or 16"));
        }
        bus->addrsize = addrsize;
    }
}

// Read the header and, when it follows at once (fs_offset 32), the superblock in the
// same transaction.  `raw` holds EEROM_HEADER_SIZE + EEROM_SB_SIZE_V1 bytes.
void eerom_read_header(eerom_bus_t *bus, uint8_t *raw, eerom_header_t *header) {
    size_t len = EEROM_HEADER_SIZE + EEROM_SB_SIZE_V1;
    int ret = eerom_bus_read(bus, 0, raw, len);
    if (ret != 0 || eerom_header_parse(raw, header) != EEROM_OK) {
        // Slow emulated EEPROMs answer late: retry once, as the badge does.
        #if MICROPY_PY_TIME // ports without the time module may have no delay either
        mp_hal_delay_ms(MICROPY_EEROM_HEADER_RETRY_MS);
        #endif
        ret = eerom_bus_read(bus, 0, raw, len);
        eerom_check_read(bus, ret, 0, len);
        eerom_check_image(eerom_header_parse(raw, header));
    }
}
