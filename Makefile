# eerom: the two commands are `make demo` and `make test`; both set up what is missing.
BUILD ?= $(CURDIR)/build
VENV := $(BUILD)/venv
PY := $(VENV)/bin/python
export BUILD

.PHONY: help setup demo test bench clean distclean

help:
	@echo "make demo   build examples/hello_hexpansion for an M24C16, load it into the"
	@echo "            simulated EEPROM, mount and run it in MicroPython (unix port)"
	@echo "make test   run every test (sets everything up first)"
	@echo "make setup  only set up: Debian packages, MicroPython source, venv, firmware"
	@echo "make clean  remove build products (keeps downloaded sources)"

setup:
	tools/setup/setup.sh all

demo: setup
	$(PY) -m eerom.demo

test: setup
	$(PY) -m pytest tests

clean:
	rm -rf $(BUILD)/unix $(BUILD)/*.log

distclean:
	rm -rf $(BUILD)
