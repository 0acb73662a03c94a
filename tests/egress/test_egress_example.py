"""The egress client's runnable example runs: it streams from a loopback upstream and reuses the connection."""

from __future__ import annotations

import subprocess
import sys


def test_the_example_streams_and_reuses_the_pooled_connection() -> None:
    result = subprocess.run([sys.executable, "-m", "lunalint.egress.example"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "received 10 events; connections created 1, reused 1; timeouts 0; failures none"
