"""Fake of the 2026 front board's C module (touch buttons); not present here."""

TOUCH01 = 1
TOUCH02 = 2
TOUCH03 = 3
TOUCH04 = 4
TOUCH05 = 5
TOUCH06 = 6
TOUCH07 = 7
TOUCH08 = 8
TOUCH09 = 9
TOUCH10 = 10
TOUCH11 = 11
TOUCH12 = 12
PROX1 = 13
PROX2 = 14
IRQ_RISING = 0
IRQ_FALLING = 1


def init(fb):
    pass


def set_cb(button, handler, edge):
    pass


def run():
    pass
