NOTE = "the picture is too big for a 2 KiB part"
