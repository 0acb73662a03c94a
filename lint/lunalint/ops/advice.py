"""What a probe measurement means: the idle close, the settings to use, and the policy's verdict."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median
from typing import Any

from lunalint.config import Policy

from .probe import ConnectionResult, Measurement

__all__ = ["MARGIN", "Advice", "Verdict", "advise", "judge", "render_json", "render_text"]

#: Settings that must stay below the measured close get at most this share of it.
MARGIN = 0.75

_KIND_TEXT = {
    "fin": "closed by the upstream with a FIN",
    "rst": "closed by the upstream with a RST",
    "silent": "dropped silently: a request on the idle connection got no answer",
    "closed-on-reuse": "closed without telling: the FIN or RST came only when the connection was reused",
    "open": "still open after the longest idle time tried",
    "no-keep-alive": "the upstream closes the connection after every response (no keep-alive)",
}


@dataclass(frozen=True)
class Verdict:
    """How the upstream ends idle connections, and when (seconds of idle)."""

    kind: str  # fin, rst, silent, closed-on-reuse, open, no-keep-alive
    close_after: float | None  # best estimate
    usable_until: float | None  # longest idle after which a connection still worked (lower bound)
    gone_after: float | None  # shortest idle after which it was gone (upper bound)


@dataclass(frozen=True)
class Advice:
    """A verdict, the settings that follow from it, and the configured policy judged against it."""

    measurement: Measurement
    verdict: Verdict
    pool_idle_timeout: float | None  # a safe pool idle expiry, None when any is
    tcp_keepalive: float | None  # a keepalive idle time, None when it cannot be derived
    policy: Policy
    policy_source: str | None
    pool_idle_safe: bool | None  # None: cannot tell from this measurement
    keepalive_safe: bool | None  # None: keepalive does not matter for this kind of close

    @property
    def exit_code(self) -> int:
        return 1 if self.pool_idle_safe is False or self.keepalive_safe is False else 0


def judge(measurement: Measurement) -> Verdict:
    """Read the connections' outcomes as one verdict."""
    results = measurement.connections
    if not measurement.keep_alive:
        return Verdict("no-keep-alive", None, None, None)
    closes = [r for r in results if r.outcome in ("fin", "rst") and r.closed_after is not None]
    if closes:
        times = [r.closed_after for r in closes if r.closed_after is not None]
        kind = _most_common(r.outcome for r in closes)
        return Verdict(kind, round(median(times), 3), min(times), max(times))
    dead = [r for r in results if r.outcome in ("silent", "closed-on-reuse")]
    alive = [r.idle for r in results if r.outcome == "alive"]
    if not dead:
        return Verdict("open", None, max(alive) if alive else None, None)
    gone = min(r.idle for r in dead)
    kind = _most_common(r.outcome for r in dead if r.idle == gone)
    below = [idle for idle in alive if idle < gone]
    usable = max(below) if below else None
    estimate = round((usable + gone) / 2, 3) if usable is not None else None
    return Verdict(kind, estimate, usable, gone)


def _most_common(outcomes: Iterable[str]) -> str:
    counts: Counter[str] = Counter(outcomes)
    return max(sorted(counts), key=lambda outcome: counts[outcome])


def advise(measurement: Measurement, policy: Policy, policy_source: str | None) -> Advice:
    verdict = judge(measurement)
    pool: float | None = None
    keepalive: float | None = None
    pool_safe: bool | None = None
    keepalive_safe: bool | None = None
    if verdict.kind in ("fin", "rst", "silent", "closed-on-reuse"):
        basis = verdict.usable_until
        if basis is None:  # gone before the shortest idle tried
            assert verdict.gone_after is not None
            pool_safe = False if policy.max_pool_idle_timeout >= verdict.gone_after else None
        else:
            pool = _round_down(basis * MARGIN)
            keepalive = max(1.0, min(policy.max_keepalive_idle, pool))
            pool_safe = policy.max_pool_idle_timeout <= pool
            if verdict.kind in ("silent", "closed-on-reuse"):
                # A middlebox forgot the flow: keepalive probes sent before it does keep it alive.
                keepalive_safe = policy.max_keepalive_idle <= pool
    elif verdict.kind == "open" and verdict.usable_until is not None:
        pool_safe = True if policy.max_pool_idle_timeout <= verdict.usable_until else None
    return Advice(measurement, verdict, pool, keepalive, policy, policy_source, pool_safe, keepalive_safe)


def _round_down(seconds: float) -> float:
    return float(math.floor(seconds)) if seconds >= 10 else math.floor(seconds * 10) / 10


def _s(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds:g} s"


def render_text(advice: Advice) -> str:
    m, v, policy = advice.measurement, advice.verdict, advice.policy
    lines = [f"lunalint probe {m.target.url}",
             f"  first response: HTTP {m.status} in {m.first_response:.3f} s; "
             f"{len(m.connections)} connection(s) probed in {m.elapsed:.1f} s"]
    lines.append(f"  idle connections: {_KIND_TEXT[v.kind]}")
    if v.kind in ("fin", "rst"):
        lines.append(f"  idle close: after {_s(v.close_after)} (seen between {_s(v.usable_until)} "
                     f"and {_s(v.gone_after)})")
    elif v.kind in ("silent", "closed-on-reuse"):
        if v.usable_until is None:
            lines.append(f"  idle close: before {_s(v.gone_after)}, the shortest idle tried "
                         "(probe again with a smaller --min-idle)")
        else:
            lines.append(f"  idle close: after about {_s(v.close_after)} (usable after {_s(v.usable_until)}, "
                         f"gone after {_s(v.gone_after)})")
    elif v.kind == "open" and v.usable_until is not None:
        lines.append(f"  idle close: none within {_s(v.usable_until)} (probe longer with --max-idle)")
    if advice.pool_idle_timeout is not None:
        lines.append(f"  use: pool idle expiry at most {_s(advice.pool_idle_timeout)} "
                     f"({MARGIN:.0%} of the close); TCP keepalive idle {_s(advice.tcp_keepalive)}")
        if v.kind in ("fin", "rst"):
            lines.append("       (keepalive cannot keep an HTTP server's idle timer from firing; "
                         "it finds dead peers)")
    source = advice.policy_source or "defaults"
    lines.append(f"  policy ({source}): max-pool-idle-timeout {_s(policy.max_pool_idle_timeout)} "
                 f"{_safety(advice.pool_idle_safe)}")
    if advice.keepalive_safe is not None:
        lines.append(f"  policy ({source}): max-keepalive-idle {_s(policy.max_keepalive_idle)} "
                     f"{_safety(advice.keepalive_safe)}")
    lines.append("  connections:  idle s  outcome          closed after s  detail")
    for result in m.connections:
        lines.append(f"    {result.idle:12.3f}  {result.outcome:15}  "
                     f"{'' if result.closed_after is None else f'{result.closed_after:.3f}':>14}  {result.detail}")
    return "\n".join(lines) + "\n"


def _safety(safe: bool | None) -> str:
    if safe is None:
        return "cannot be judged from this measurement"
    return "is safe for this upstream" if safe else "is NOT safe for this upstream"


def render_json(advice: Advice) -> dict[str, Any]:
    m, v, policy = advice.measurement, advice.verdict, advice.policy
    return {
        "url": m.target.url,
        "status": m.status,
        "keep_alive": m.keep_alive,
        "first_response": m.first_response,
        "elapsed": m.elapsed,
        "close": {"kind": v.kind, "after": v.close_after, "usable_until": v.usable_until,
                  "gone_after": v.gone_after},
        "recommended": {"pool_idle_timeout": advice.pool_idle_timeout, "tcp_keepalive": advice.tcp_keepalive},
        "policy": {"source": advice.policy_source, "max_pool_idle_timeout": policy.max_pool_idle_timeout,
                   "max_keepalive_idle": policy.max_keepalive_idle,
                   "pool_idle_safe": advice.pool_idle_safe, "keepalive_safe": advice.keepalive_safe},
        "connections": [_connection_json(result) for result in m.connections],
    }


def _connection_json(result: ConnectionResult) -> dict[str, Any]:
    return {"idle": result.idle, "outcome": result.outcome, "closed_after": result.closed_after,
            "detail": result.detail}
