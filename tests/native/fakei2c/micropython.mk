# Test-only fake native I2C bus (see fakei2c.c).  Never part of a product firmware:
# it turns on machine.I2C and provides it.
FAKEI2C_MOD_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += $(FAKEI2C_MOD_DIR)/fakei2c.c $(FAKEI2C_MOD_DIR)/fake_clock.c

CFLAGS_USERMOD += -DMICROPY_PY_MACHINE_I2C=1 -DMICROPY_PY_MACHINE_I2C_TRANSFER_WRITE1=1
