"""Optional extras say which extra to install when their dependency is missing."""

from __future__ import annotations

import subprocess
import sys


def test_prometheus_export_without_the_metrics_extra_names_the_extra() -> None:
    # prometheus_client is made unimportable in a fresh interpreter (a None entry in sys.modules)
    code = ("import sys; sys.modules['prometheus_client'] = None\n"
            "try:\n    import lunalint.egress.prometheus\n"
            "except ModuleNotFoundError as error:\n    print(error)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == (
        "lunalint.egress.prometheus needs prometheus_client: pip install 'lunalint[metrics]'"), result.stderr
