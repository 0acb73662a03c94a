"""Fixtures for the egress tests: asyncio backend, a recording upstream, a client factory."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

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
    """``make_client(**settings)``: a reference client, closed at teardown. Settings that are
    `EgressConfig` fields make its config; the others are `create_client` options."""
    clients: list[httpx.AsyncClient] = []
    fields = {f.name for f in dataclasses.fields(EgressConfig)}

    def make(**settings: Any) -> httpx.AsyncClient:
        config = EgressConfig(**{k: v for k, v in settings.items() if k in fields})
        client = create_client(config, **{k: v for k, v in settings.items() if k not in fields})
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
