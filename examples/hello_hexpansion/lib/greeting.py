def greeting(message, port):
    return "%s (hexpansion port %s)" % (message, port)
