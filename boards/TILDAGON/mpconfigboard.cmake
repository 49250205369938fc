# Tildagon badge with eerom, for MicroPython's esp32 port as an out-of-tree board:
#   make -C ports/esp32 BOARD_DIR=<eerom>/boards/TILDAGON USER_C_MODULES=<eerom>/micropython.cmake
set(IDF_TARGET esp32s3)

# ESP-IDF resolves a relative partition table path against the port directory, which
# an out-of-tree board cannot name: generate the setting with an absolute path.
set(TILDAGON_PARTITIONS_SDKCONFIG ${CMAKE_BINARY_DIR}/sdkconfig.tildagon_partitions)
file(WRITE ${TILDAGON_PARTITIONS_SDKCONFIG}
    "CONFIG_PARTITION_TABLE_CUSTOM=y\nCONFIG_PARTITION_TABLE_CUSTOM_FILENAME=\"${MICROPY_BOARD_DIR}/partitions.csv\"\n")

set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
    boards/sdkconfig.usb
    boards/sdkconfig.spiram_sx
    ${MICROPY_BOARD_DIR}/sdkconfig.board
    ${TILDAGON_PARTITIONS_SDKCONFIG}
)

set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)
