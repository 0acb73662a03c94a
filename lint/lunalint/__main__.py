"""Entry point for ``python -m lunalint``."""

from __future__ import annotations

from lunalint.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
