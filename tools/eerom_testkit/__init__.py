"""eerom's test and benchmark kit: the simulated EEPROM (which also runs under
MicroPython), the unix-port runner, a rewrite of the badge's pure-Python LittleFS
driver for comparison, and `make demo`.

Not part of the installed product: pyproject.toml packages only `eerom`, so
`pip install` gives users the tool alone.  Set-up puts this folder on the project
venv's path for the tests, benchmarks and demo.
"""
