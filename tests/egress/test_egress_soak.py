"""CI's short fault soak of the egress client (the full one: ``python tests/egress/soak.py``).

400 requests at concurrency 20 through FIN/RST/black-hole/dropped-request faults, slow chunks
and two upstream restarts; the same checks as the full soak (see `egress_soak`): no idempotent
request fails, no POST is sent twice, none exceeds its deadline, fds, tasks, pool gauges and
server connections return to baseline, traced memory stays within its bound.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from egress_soak import SoakSettings, run_soak, traced_growth

import egress_soak


@pytest.mark.parametrize("seed", [7])
def test_short_fault_soak_loses_nothing_leaks_nothing_and_keeps_deadlines(seed: int) -> None:
    settings = SoakSettings(requests=400, concurrency=20, seed=seed, sample_every=50)
    report = asyncio.run(run_soak(settings))
    print(report.table())  # shown with -s, or on failure
    assert not report.problems, "\n" + report.table()


def test_the_memory_check_still_catches_a_leak_of_a_few_kib_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that keeps every response (and a 4 KiB buffer with it) fails the soak's check."""
    kept: list[Any] = []
    real_create_client = egress_soak.create_client

    def leaking_client(*args: Any, **kwargs: Any) -> httpx.AsyncClient:
        async def keep(response: httpx.Response) -> None:
            kept.append((response, bytearray(4096)))

        client = real_create_client(*args, **kwargs)
        client.event_hooks["response"].append(keep)
        return client

    monkeypatch.setattr(egress_soak, "create_client", leaking_client)
    report = asyncio.run(run_soak(SoakSettings(requests=400, concurrency=20, seed=7, sample_every=50)))
    memory_problems = [p for p in report.problems if p.startswith("traced memory grew")]
    assert len(kept) >= 300  # every response that arrived (a few requests fail by design)
    assert memory_problems, "\n" + report.table()


def test_one_rise_is_excused_a_steady_or_repeated_one_is_not() -> None:
    kib = 1024
    # A cache filling once, mid-run: 1.9 MiB in one interval, flat otherwise.
    assert traced_growth([1000 * kib, 1004 * kib, 2950 * kib, 2948 * kib, 2951 * kib]) == (1951 * kib, 1946 * kib)
    # A steady leak of 200 KiB per interval: the largest rise excused, 600 KiB remain.
    growth, step = traced_growth([0, 200 * kib, 400 * kib, 600 * kib, 800 * kib])
    assert (growth, step, growth - step) == (800 * kib, 200 * kib, 600 * kib)
    # A leak at each of two restarts: one excused, the other counts in full.
    growth, step = traced_growth([0, 0, 700 * kib, 700 * kib, 1400 * kib])
    assert growth - step == 700 * kib
    # Memory that shrinks, and too few samples.
    assert traced_growth([500 * kib, 300 * kib, 200 * kib]) == (-300 * kib, 0)
    assert traced_growth([5]) == (0, 0)
