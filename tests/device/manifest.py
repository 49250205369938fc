# Frozen into the qemu test firmware (it has no filesystem): the simulated EEPROM,
# and the badge's pure-Python LittleFS path.
module("eeprom_sim.py", base_path="../../tools/eerom_testkit")
module("badge_lfs.py", base_path="../../tools/eerom_testkit")
