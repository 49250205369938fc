# How the Tildagon badge's firmware pulls in its drivers: one top-level
# micropython.cmake that include()s each driver's own cmake file.  Used by the test
# as USER_C_MODULES to show eerom slots in next to them.
include(${CMAKE_CURRENT_LIST_DIR}/../../usermod/eerom/micropython.cmake)
