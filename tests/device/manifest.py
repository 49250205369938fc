# Frozen into the qemu test firmware (it has no filesystem): the simulated EEPROM,
# the badge's pure-Python LittleFS path, and the hexpansion loader under test.
module("eeprom_sim.py", base_path="../../tools/eerom_testkit")
module("badge_lfs.py", base_path="../../tools/eerom_testkit")
module("hexpansion_loader.py", base_path="../../boards/TILDAGON/modules")
