"""A module that mentions no HTTP client at all: the prefilter skips it."""


def Client(timeout: object = None) -> object:  # a local name that only looks like httpx's
    return timeout


Client(timeout=None)
