# Frozen into the Tildagon image: the esp32 port's usual modules (needs the
# micropython-lib submodule, as every esp32 build does) and the hexpansion loader.
include("$(PORT_DIR)/boards/manifest.py")
module("hexpansion_loader.py", base_path="$(BOARD_DIR)/modules")
