"""Named egress settings (``EgressConfig.preset``): plain numbers, importable without httpx.

Taken from the tuning section of LunaRoute's connection-pool documents
(``docs/CONNECTION_POOL_TESTING.md``, "Configuration Tuning", and
``docs/CONNECTION_POOL_ENV_VARS.md``, "Tuning Guidelines"), translated to this client's
settings. Times are in seconds. Where the two documents disagree, the choice is noted:

- ``default``: the documents' "current configuration" (idle expiry 90 s, keepalive 60 s,
  timeout 600 s, connect 10 s). Their 600 s is reqwest's *total* timeout; here it is the
  per-read timeout, and a separate 3600 s whole-request deadline ends stuck requests without
  cutting streams of up to an hour. Their 32 idle connections per host becomes 100 idle
  connections for the pool: httpcore compares the idle limit with the pool's *total*
  connection count, so an idle limit below ``pool_max_connections`` closes connections after
  every burst above it.
- ``high-traffic``: idle expiry 60 s, keepalive 30 s and 128 idle connections (the
  environment-variable document; the testing document says 64). The connection limit is
  raised to the same 128 so that every connection a burst opens can be kept.
- ``low-latency``: idle expiry 30 s, keepalive 30 s, 16 idle connections (testing document
  only). The pool may still open 100 connections for a burst; those beyond 16 are closed when
  the burst ends.
- ``long-running`` ("very long-running operations" / "extended thinking"): timeout 1200 s,
  keepalive 30 s, idle expiry 60 s (the testing document). The environment-variable document
  suggests 900 s with keepalive and idle expiry of 120 s; 120 s is above lunalint's own policy
  limits (idle expiry at most 90 s, keepalive idle at most 60 s) and longer keepalive does not
  help a long silent wait: frequent probes keep NAT and load-balancer entries alive. The
  1200 s is the per-read timeout (silences of up to 20 minutes, such as a non-streamed
  reasoning call before its response head); the whole-request deadline stays 3600 s.

The documents' "resource-constrained" set (8 idle connections, idle expiry 30 s, 1 retry) is
not a preset here.
"""

from __future__ import annotations

from typing import Final

__all__ = ["PRESETS", "PRESET_NAMES"]

_DEFAULT: Final[dict[str, float]] = {
    "pool_idle_timeout": 90.0,
    "tcp_keepalive": 60.0,
    "timeout": 600.0,
    "connect_timeout": 10.0,
    "deadline": 3600.0,
    "pool_max_idle": 100,
    "pool_max_connections": 100,
}  # fmt: skip

#: name -> the settings it changes from `EgressConfig`'s defaults (``default`` lists the
#: defaults themselves; connection counts are ints). The linter's policy profiles read them too.
PRESETS: Final[dict[str, dict[str, float]]] = {
    "default": _DEFAULT,
    "high-traffic": {
        "pool_idle_timeout": 60.0,
        "tcp_keepalive": 30.0,
        "pool_max_idle": 128,
        "pool_max_connections": 128,
    },
    "low-latency": {
        "pool_idle_timeout": 30.0,
        "tcp_keepalive": 30.0,
        "pool_max_idle": 16,
    },
    "long-running": {
        "timeout": 1200.0,
        "tcp_keepalive": 30.0,
        "pool_idle_timeout": 60.0,
    },
}  # fmt: skip

PRESET_NAMES: Final = tuple(PRESETS)
