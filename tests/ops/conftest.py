"""Fixtures for the operations tests: the egress test servers on the path, asyncio for anyio."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for directory in (HERE, HERE.parent / "egress"):
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
