// Shared MicroPython glue of the eerom module: errors as OSError, finding the EEPROM
// and reading its header.  Used by modeerom.c (mount) and eerom_blockdev.c.
#ifndef EEROM_DEVICE_H
#define EEROM_DEVICE_H

#include "py/obj.h"

#include "eerom_bus.h"
#include "eerom_image.h"

#ifndef MP_NORETURN
#define MP_NORETURN NORETURN
#endif

// Raise OSError(err, "<formatted message>").
MP_NORETURN void eerom_raise(int err, const char *fmt, ...);

// Raise the OSError for an image check that failed (no-op for EEROM_OK).
void eerom_check_image(eerom_err_t err);

// Raise for a failed bus read (no-op for ret == 0): ENODEV if nothing was read yet,
// EIO after that.
void eerom_check_read(eerom_bus_t *bus, int ret, uint32_t memaddr, size_t len);

// Start using `i2c` for the EEPROM at addr_in (or found the badge's way when it is
// None), with addrsize_in memory address bits (8 or 16; None: 16, or detected).
void eerom_open(eerom_bus_t *bus, mp_obj_t i2c, mp_obj_t addr_in, mp_obj_t addrsize_in);

// Read and check the header; raw receives EEROM_HEADER_SIZE + EEROM_SB_SIZE_V1 bytes
// from offset 0 (the superblock too, when fs_offset is 32).
void eerom_read_header(eerom_bus_t *bus, uint8_t *raw, eerom_header_t *header);

#endif // EEROM_DEVICE_H
