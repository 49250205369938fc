# eerom user C module, for CMake-based ports (esp32, rp2):
#   make USER_C_MODULES=<eerom checkout>/micropython.cmake
# or include() this file from a firmware's own top-level micropython.cmake, as the
# Tildagon badge does for its drivers.
add_library(usermod_eerom INTERFACE)

target_sources(usermod_eerom INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/modeerom.c
    ${CMAKE_CURRENT_LIST_DIR}/eerom_access.c
    ${CMAKE_CURRENT_LIST_DIR}/eerom_blockdev.c
    ${CMAKE_CURRENT_LIST_DIR}/eerom_bus.c
    ${CMAKE_CURRENT_LIST_DIR}/eerom_device.c
    ${CMAKE_CURRENT_LIST_DIR}/eerom_dict.c
    ${CMAKE_CURRENT_LIST_DIR}/eerom_image.c
    ${CMAKE_CURRENT_LIST_DIR}/eerom_inflate.c
    ${CMAKE_CURRENT_LIST_DIR}/eerom_program.c
    ${CMAKE_CURRENT_LIST_DIR}/eerom_romfs.c
)

target_include_directories(usermod_eerom INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
)

target_link_libraries(usermod INTERFACE usermod_eerom)

# eerom inflates images from removable hardware: refuse a uzlib that reads out of
# bounds on a malformed stream (eerom's patches/micropython-uzlib-bad-symbol.patch
# fixes it).  A MicroPython that fixes it another way: -DMICROPY_PY_EEROM_UZLIB_FIXED=1.
if(NOT MICROPY_PY_EEROM_UZLIB_FIXED)
    file(STRINGS "${MICROPY_DIR}/lib/uzlib/tinflate.c" EEROM_UZLIB_FIX REGEX "dist < 0 \\|\\| dist >= 30")
    if(NOT EEROM_UZLIB_FIX)
        message(FATAL_ERROR "eerom: ${MICROPY_DIR}/lib/uzlib/tinflate.c lacks the fix for a malformed "
            "Huffman symbol: apply eerom's patches/micropython-uzlib-bad-symbol.patch (or set "
            "MICROPY_PY_EEROM_UZLIB_FIXED=1 if your MicroPython fixes it another way)")
    endif()
endif()
