"""lunalint: find HTTP clients whose pools go stale or whose timeouts hang or kill long streams."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
