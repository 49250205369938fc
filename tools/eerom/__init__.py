"""eerom host tools: build, inspect and program MicroPython app images for hexpansion EEPROMs."""

__version__ = "0.1.0"
