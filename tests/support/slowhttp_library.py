"""A toy library entry for a made-up package, ``slowhttp``: all a new library needs.

``slowhttp.Client(timeout=...)`` limits each read (30 s when not given); ``client.fetch(url,
timeout=...)`` replaces that for one request. ``tests/test_library_toolkit.py`` registers this
module with one ``ENTRIES`` line and lints code that uses it. CONTRIBUTING.md ("Adding a library")
shows the code below this docstring word for word; that test keeps the two the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from lunalint.libraries.base import Defaults, Library, argument, default, seconds_setting, timeout_spec
from lunalint.spec import ClientSpec, Setting
from lunalint.values import Obj, Value

__all__ = ["DEFAULTS", "LIBRARY"]


@dataclass(frozen=True)
class SlowhttpDefaults(Defaults):
    read: float  # the per-read timeout of a client built without ``timeout=``


DEFAULTS = SlowhttpDefaults(upstream="slowhttp 1.0 (a made-up package), client.py", read=30.0)


def _read(value: Value | None, call: Obj) -> Setting:
    if value is None:  # not passed: the default, reported on the call that left it out
        return default(DEFAULTS.read, call.node, "slowhttp default")
    return seconds_setting(value, call.site_of("timeout"))  # reported on the ``timeout=`` argument


def _client(call: Obj) -> list[ClientSpec]:
    read = _read(argument(call, "timeout"), call)
    return [timeout_spec("slowhttp", "slowhttp.Client", call.node, {"read": read}, pooled=True)]


def _fetch(receiver: Obj, call: Obj, method: str) -> list[ClientSpec]:
    timeout = call.get("timeout")
    if timeout is None:
        return []  # the client's timeout applies, judged at the client
    return [timeout_spec("slowhttp", "Client.fetch()", call.node, {"read": _read(timeout, call)}, pooled=False)]


LIBRARY = Library(
    defaults=DEFAULTS,
    constructors={"slowhttp.Client": _client},
    methods={"slowhttp.Client": {"fetch": _fetch}},
)
