"""Fault soak of lunalint's reference egress client (not part of the quick suite).

    python tests/egress/soak.py --requests 5000 --concurrency 20 --seed 1

Drives the requests through a fault-injecting proxy to a local upstream (both on 127.0.0.1,
in a child process), prints a table of figures and exits 1 if any check failed. See
`egress_soak` for what is checked; `test_egress_soak.py` runs a short version in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parents[1] / "lint"))

from egress_soak import SoakSettings, run_soak  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample-every", type=int, default=500, help="memory sample interval (requests)")
    parser.add_argument("--restarts", type=int, default=None, help="upstream restarts (default: 1 per 1000)")
    parser.add_argument("--quiet-periods", type=int, default=None, help="default: 1 per 500 requests")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.sample_every < 1:
        parser.error("--requests, --concurrency and --sample-every must be at least 1")
    settings = SoakSettings(
        requests=args.requests,
        concurrency=args.concurrency,
        seed=args.seed,
        sample_every=args.sample_every,
        restarts=args.restarts,
        quiet_periods=args.quiet_periods,
    )
    report = asyncio.run(run_soak(settings))
    print(report.table())
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
