"""Fixtures for the egress tests: asyncio backend, a recording upstream, a client factory."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from egress_upstream import Upstream  # noqa: E402

from lunalint.egress import EgressConfig, create_client  # noqa: E402


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async with Upstream(lifetime=120.0) as server:
        yield server


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """``make_client(**config)``: a reference client, closed at teardown."""
    clients: list[httpx.AsyncClient] = []

    def make(**settings: object) -> httpx.AsyncClient:
        client = create_client(EgressConfig(**settings))  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
