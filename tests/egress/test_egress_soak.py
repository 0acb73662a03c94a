"""CI's short fault soak of the egress client (the full one: ``python tests/egress/soak.py``).

400 requests at concurrency 20 through FIN/RST/black-hole/dropped-request faults, slow chunks
and two upstream restarts; the same checks as the full soak (see `egress_soak`): no idempotent
request fails, no POST is sent twice, none exceeds its deadline, fds, tasks, pool gauges and
server connections return to baseline, traced memory stays within its bound.
"""

from __future__ import annotations

import asyncio

import pytest
from egress_soak import SoakSettings, run_soak


@pytest.mark.parametrize("seed", [7])
def test_short_fault_soak_loses_nothing_leaks_nothing_and_keeps_deadlines(seed: int) -> None:
    settings = SoakSettings(requests=400, concurrency=20, seed=seed, sample_every=100)
    report = asyncio.run(run_soak(settings))
    print(report.table())  # shown with -s, or on failure
    assert not report.problems, "\n" + report.table()
