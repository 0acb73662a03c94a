"""Policy profiles: named sets of thresholds from LunaRoute's connection-pool tuning recommendations.

Source: LunaRoute (github.com/erans/lunaroute) ``docs/CONNECTION_POOL_TESTING.md``, section
"Configuration Tuning": its current configuration (``pool_idle_timeout(90)``, ``tcp_keepalive(60)``,
``timeout(600)``, ``connect_timeout(10)``) and three tuning recommendations. A profile sets only the
thresholds its recommendation changes; the others keep lunalint's defaults. The recommendations'
``pool_max_idle_per_host`` has no lunalint threshold (pool size does not make connections stale).

| profile | streaming-min-timeout | max-pool-idle-timeout | max-keepalive-idle | max-connect-timeout |
|---|---|---|---|---|
| default | 600 (``timeout(600)``) | 90 (``pool_idle_timeout(90)``) | 60 (``tcp_keepalive(60)``) | 30 |
| high-traffic | 600 | 60 (``pool_idle_timeout(60)``) | 60 | 30 |
| low-latency | 600 | 30 (``pool_idle_timeout(30)``) | 30 (``tcp_keepalive(30)``) | 30 |
| long-running | 1200 (``timeout(1200)``) | 60 (``pool_idle_timeout(60)``) | 30 (``tcp_keepalive(30)``) | 30 |

lunalint's connect maximum stays 30 s in every profile: the seed's ``connect_timeout(10)`` is one
client's choice, and no recommendation changes it. LunaRoute's ``CONNECTION_POOL_ENV_VARS.md``
gives other numbers for two scenarios (high traffic: keepalive 30 s; long-running: timeout 900 s,
keepalive and idle expiry 120 s); the profiles follow the tuning section named above.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["PROFILES", "PROFILE_NAMES", "profile_values"]

_DEFAULT: Mapping[str, float] = {
    "streaming-min-timeout": 600.0,
    "max-pool-idle-timeout": 90.0,
    "max-keepalive-idle": 60.0,
    "max-connect-timeout": 30.0,
}

# Only what each recommendation changes; profile_values() fills in the rest from the default.
PROFILES: Mapping[str, Mapping[str, float]] = {
    "default": {},
    "high-traffic": {"max-pool-idle-timeout": 60.0},
    "low-latency": {"max-pool-idle-timeout": 30.0, "max-keepalive-idle": 30.0},
    "long-running": {"streaming-min-timeout": 1200.0, "max-pool-idle-timeout": 60.0, "max-keepalive-idle": 30.0},
}
PROFILE_NAMES = tuple(PROFILES)


def profile_values(name: str) -> dict[str, float]:
    """Every policy threshold of profile ``name`` (config key -> seconds)."""
    return {**_DEFAULT, **PROFILES[name]}
