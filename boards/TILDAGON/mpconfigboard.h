// Tildagon badge (ESP32-S3-PICO-1-N8R2: 8 MiB flash, 2 MiB quad PSRAM) with eerom.
#define MICROPY_HW_BOARD_NAME               "Tildagon with eerom"
#define MICROPY_HW_MCU_NAME                 "ESP32S3"

// eerom serves hexpansion apps through vfs.VfsRom, so VfsRom must be in the firmware.
// Both must be set here: compile definitions from a user module's cmake do not reach
// the esp32 port's qstr generation.  There is no romfs partition on the badge, so the
// ioctl that looks for one stays off.
#define MICROPY_VFS_ROM                     (1)
#define MICROPY_VFS_ROM_IOCTL               (0)

// The badge's REPL is the ESP32-S3's native USB (sdkconfig.usb), not a UART.
#define MICROPY_HW_ENABLE_UART_REPL         (0)
