# eerom: the two commands are `make demo` and `make test`; both set up what is missing.
BUILD ?= $(CURDIR)/build
VENV := $(BUILD)/venv
PY := $(VENV)/bin/python
export BUILD

.PHONY: help setup demo test bench footprint clean distclean

help:
	@echo "make demo       build examples/hello_hexpansion for an M24C16, load it into the"
	@echo "                simulated EEPROM, mount and run it in MicroPython (unix port)"
	@echo "make test       run every test, on the unix port and on qemu ARM"
	@echo "make setup      only set up: Debian packages, MicroPython source, venv, firmwares"
	@echo "make bench      benchmarks: eerom against the badge's LittleFS paths"
	@echo "make footprint  what eerom adds to the qemu ARM firmware"
	@echo "make clean      remove build products (keeps downloaded sources and the venv)"

setup:
	tools/setup/setup.sh all

demo: setup
	$(PY) -m eerom.demo

test: setup
	$(PY) -m pytest tests

bench: setup
	$(PY) bench/mount.py

footprint: setup
	$(PY) tools/footprint.py $(BUILD)/qemu-plain/firmware.elf $(BUILD)/qemu-eerom/firmware.elf

clean:
	rm -rf $(BUILD)/unix $(BUILD)/unix-test $(BUILD)/qemu-* $(BUILD)/*.log

distclean:
	rm -rf $(BUILD)
