# Entry point for CMake-based MicroPython ports (esp32 for the Tildagon badge):
#   make -C ports/esp32 BOARD=... USER_C_MODULES=<absolute path>/micropython.cmake
include(${CMAKE_CURRENT_LIST_DIR}/usermod/eerom/micropython.cmake)
