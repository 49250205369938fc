"""Tests of the badge OS (badge-2024-software modules/) on the unix port.

A package, so that its conftest.py does not shadow tests/conftest.py (tests/device
imports names from `conftest`)."""
