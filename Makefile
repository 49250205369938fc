# eerom: the two commands are `make demo` and `make test`; both set up what is missing.
# EEROM_BUILD, not BUILD: MicroPython's own makefiles read BUILD from the environment.
EEROM_BUILD ?= $(CURDIR)/build
VENV := $(EEROM_BUILD)/venv
PY := $(VENV)/bin/python
export EEROM_BUILD

.PHONY: help setup demo test bench fuzz footprint clean distclean

# `make fuzz`: seconds of fuzzing (default 600; FUZZ_SECONDS=...)
FUZZ_SECONDS ?= 600

help:
	@echo "make demo       build examples/hello_hexpansion for an M24C16, load it into the"
	@echo "                simulated EEPROM, mount and run it in MicroPython (unix port)"
	@echo "make test       run every test, on the unix port and on qemu ARM"
	@echo "make setup      only set up: Debian packages, MicroPython source, venv, firmwares"
	@echo "make bench      benchmarks against the badge's LittleFS paths: docs/BENCHMARKS.md"
	@echo "make fuzz       fuzz the C core with libFuzzer, ASan and UBSan (FUZZ_SECONDS=600)"
	@echo "make footprint  what eerom adds to the qemu ARM firmware"
	@echo "make clean      remove build products (keeps downloaded sources and the venv)"

setup:
	tools/setup/setup.sh all

demo: setup
	$(PY) -m eerom_testkit.demo

test: setup
	$(PY) -m pytest tests

bench: setup
	$(PY) bench/report.py

fuzz: setup
	$(PY) tests/fuzz/make_corpus.py $(EEROM_BUILD)/fuzz-corpus
	mkdir -p $(EEROM_BUILD)/fuzz-work $(EEROM_BUILD)/fuzz-findings
	$(EEROM_BUILD)/fuzz/fuzz_image -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(EEROM_BUILD)/fuzz-findings/ \
	    $(EEROM_BUILD)/fuzz-work $(EEROM_BUILD)/fuzz-corpus 2>&1 | tee $(EEROM_BUILD)/fuzz.log | grep -v "^#"

footprint: setup
	$(PY) tools/footprint.py $(EEROM_BUILD)/qemu-plain/firmware.elf $(EEROM_BUILD)/qemu-eerom/firmware.elf

clean:
	rm -rf $(EEROM_BUILD)/unix $(EEROM_BUILD)/unix-test $(EEROM_BUILD)/qemu-* $(EEROM_BUILD)/*.log

distclean:
	rm -rf $(EEROM_BUILD)
