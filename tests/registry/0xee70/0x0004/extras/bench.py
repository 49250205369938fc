print("a bench test run on a PC, not on the badge")
