"""``lunalint doctor``: judge a Prometheus text exposition of the egress client without Prometheus.

One read judges the counters since the process started; with an interval, the exposition is
read repeatedly and the counters' change over the interval is judged, and the pool counts as
at its maximum only when every read found it there. Parsing uses ``prometheus_client``'s
parser (the ``metrics`` extra).
"""

from __future__ import annotations

import math
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .health import METRIC_NAMES, Check, Totals, judge_totals

__all__ = ["DoctorError", "Reading", "Report", "diagnose", "parse_exposition", "render_json", "render_text"]

_MISSING_EXTRA = "lunalint doctor needs prometheus_client: pip install 'lunalint[metrics]'"


class DoctorError(Exception):
    """Unreadable or unusable input; the message is one line naming it."""


@dataclass(frozen=True)
class Reading:
    """The samples of one exposition that matter here, summed over label sets."""

    counters: dict[str, float]
    buckets: dict[float, float]
    pool_size: float | None
    pool_max: float | None


@dataclass(frozen=True)
class Report:
    source: str
    interval: float | None  # None: totals since the process started
    reads: int
    checks: tuple[Check, ...]

    @property
    def exit_code(self) -> int:
        return 1 if any(check.status == "unhealthy" for check in self.checks) else 0


def read_source(source: str, timeout: float) -> str:
    """The exposition text at ``source``: an http(s) URL or a file."""
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"Accept": "text/plain; version=0.0.4"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
                body: bytes = response.read()
        except urllib.error.HTTPError as error:
            raise DoctorError(f"{source}: HTTP {error.code} {error.reason}") from None
        except urllib.error.URLError as error:
            raise DoctorError(f"{source}: cannot fetch: {getattr(error.reason, 'strerror', None) or error.reason}") from None
        except (OSError, ValueError) as error:
            raise DoctorError(f"{source}: cannot fetch: {error}") from None
        return _decode(body, source)
    path = Path(source)
    try:
        return _decode(path.read_bytes(), source)
    except FileNotFoundError:
        raise DoctorError(f"{source}: no such file") from None
    except OSError as error:
        raise DoctorError(f"{source}: cannot read: {error.strerror or error}") from None


def _decode(body: bytes, source: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise DoctorError(f"{source}: not a Prometheus text exposition (not UTF-8)") from None


def parse_exposition(text: str, source: str) -> Reading:
    """The egress samples of ``text`` (`DoctorError` when it does not parse or has none)."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        raise DoctorError(_MISSING_EXTRA) from None
    wanted = set(METRIC_NAMES.values())
    values: dict[str, float] = {}
    buckets: dict[float, float] = {}
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name not in wanted:
                    continue
                if sample.name == METRIC_NAMES["duration_bucket"]:
                    bound = float(sample.labels.get("le", "nan"))
                    if not math.isnan(bound):
                        buckets[bound] = buckets.get(bound, 0.0) + sample.value
                    continue
                values[sample.name] = values.get(sample.name, 0.0) + sample.value
    except (ValueError, TypeError, IndexError) as error:
        raise DoctorError(f"{source}: not a Prometheus text exposition: {error}") from None
    if not values and not buckets:
        raise DoctorError(f"{source}: no lunalint egress metrics (http_connections_created_total, ...) in it")
    idle, active = values.get(METRIC_NAMES["pool_idle"]), values.get(METRIC_NAMES["pool_active"])
    pool_size = None if idle is None and active is None else (idle or 0.0) + (active or 0.0)
    counters = {key: values[name] for key, name in METRIC_NAMES.items()
                if key in ("created", "reused", "requests", "timeouts") and name in values}
    return Reading(counters, buckets, pool_size, values.get(METRIC_NAMES["pool_max"]))


def totals(readings: list[Reading]) -> Totals:
    """Counters of the last reading, minus the first when there are several (a reset counts from 0)."""
    first, last = readings[0], readings[-1]
    several = len(readings) > 1

    def change(key: str) -> float | None:
        if key not in last.counters:
            return None
        end, start = last.counters[key], first.counters.get(key, 0.0)
        return end - start if several and end >= start else end

    if several and all(last.buckets.get(b, 0.0) >= c for b, c in first.buckets.items()):
        buckets = {bound: count - first.buckets.get(bound, 0.0) for bound, count in last.buckets.items()}
    else:
        buckets = dict(last.buckets)
    return Totals(
        created=change("created"),
        reused=change("reused"),
        requests=change("requests"),
        timeouts=change("timeouts"),
        buckets=tuple(sorted(buckets.items())),
        pool_sizes=tuple(r.pool_size for r in readings if r.pool_size is not None),
        pool_max=last.pool_max,
    )


def diagnose(source: str, *, interval: float | None = None, every: float = 1.0, timeout: float = 10.0,
             sleep: Callable[[float], None] = time.sleep) -> Report:
    """Read ``source`` once, or over ``interval`` seconds every ``every`` seconds, and judge it."""
    readings = [parse_exposition(read_source(source, timeout), source)]
    if interval is not None:
        waited = 0.0
        while waited < interval:
            pause = min(every, interval - waited)
            sleep(pause)
            waited += pause
            readings.append(parse_exposition(read_source(source, timeout), source))
    checks = tuple(judge_totals(totals(readings)))
    return Report(source, interval, len(readings), checks)


def render_text(report: Report) -> str:
    span = ("since the process started" if report.interval is None
            else f"over {report.interval:g} s ({report.reads} reads)")
    lines = [f"lunalint doctor {report.source} ({span})"]
    for check in report.checks:
        lines.append(f"  {check.status.upper():9}  {check.metric}: {check.summary}")
        if check.look_at:
            lines.append(f"             look at: {check.look_at}")
    unhealthy = sum(1 for check in report.checks if check.status == "unhealthy")
    lines.append(f"{unhealthy} unhealthy" if unhealthy else "no unhealthy metric")
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> dict[str, Any]:
    return {
        "source": report.source,
        "interval": report.interval,
        "reads": report.reads,
        "healthy": report.exit_code == 0,
        "checks": [{"metric": c.metric, "value": c.value, "status": c.status, "summary": c.summary,
                    "look_at": c.look_at or None} for c in report.checks],
    }
