"""Entry point for ``python -m lunalint``."""

from __future__ import annotations

from lunalint.cli import run

if __name__ == "__main__":
    run()
