"""Metrics that can be trusted: every kind of timeout, failures by reason, mid-stream and unclosed."""

from __future__ import annotations

import gc
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import anyio
import httpx
import pytest
import trustme
from egress_support import timed
from egress_upstream import Upstream
from prometheus_client import CollectorRegistry

from lunalint.egress import FAILURE_REASONS, RequestDeadlineExceeded, client_metrics
from lunalint.egress.prometheus import register_prometheus

pytestmark = pytest.mark.anyio

MakeClient = Callable[..., httpx.AsyncClient]


@contextmanager
def unaccepting_port() -> Iterator[int]:
    """A loopback port whose accept queue is full: the kernel drops further SYNs (no answer)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    try:
        yield port
    finally:
        for sock in (*fillers, listener):
            sock.close()


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port that is bound but not listening: connecting is refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def failures(client: httpx.AsyncClient) -> dict[str, int]:
    return dict(client_metrics(client).snapshot().failures)


async def test_a_read_timeout_is_counted_as_one(upstream: Upstream, make_client: MakeClient) -> None:
    client = make_client(timeout=0.3, deadline=30.0)
    outcome = await timed(lambda: client.get(upstream.url("/silent")))
    assert isinstance(outcome.error, httpx.ReadTimeout), outcome
    snap = client_metrics(client).snapshot()
    assert (snap.requests_total, snap.requests_timeout, snap.duration_count) == (1, 1, 1)
    assert dict(snap.failures) == {"read_timeout": 1}


async def test_a_connect_timeout_is_counted_as_one_after_its_retries(make_client: MakeClient) -> None:
    with unaccepting_port() as port:
        client = make_client(connect_timeout=0.3, max_retries=1, retry_backoff=0.01)
        outcome = await timed(lambda: client.get(f"http://127.0.0.1:{port}/"))
    assert isinstance(outcome.error, httpx.ConnectTimeout), outcome
    snap = client_metrics(client).snapshot()
    assert (snap.requests_total, snap.requests_timeout, snap.requests_retried) == (1, 1, 1)
    assert dict(snap.failures) == {"connect_timeout": 1}


async def test_a_pool_wait_timeout_is_counted_and_ends_at_its_own_short_limit(
    upstream: Upstream, make_client: MakeClient
) -> None:
    """One connection, busy for 1 s: the second caller waits ``pool_timeout``, not ``timeout``."""
    client = make_client(pool_max_connections=1, pool_max_idle=1, pool_timeout=0.3, timeout=5.0)
    async with anyio.create_task_group() as group:
        group.start_soon(client.get, upstream.url("/ok?delay=1"))
        await anyio.sleep(0.2)
        waiting = await timed(lambda: client.get(upstream.url()))
    assert isinstance(waiting.error, httpx.PoolTimeout), waiting
    assert 0.25 <= waiting.elapsed < 1.5
    snap = client_metrics(client).snapshot()
    assert (snap.requests_total, snap.requests_timeout) == (2, 1)
    assert dict(snap.failures) == {"pool_timeout": 1}


async def test_a_deadline_is_counted_as_one(upstream: Upstream, make_client: MakeClient) -> None:
    client = make_client(timeout=5.0, deadline=0.4)
    outcome = await timed(lambda: client.get(upstream.url("/silent")))
    assert isinstance(outcome.error, RequestDeadlineExceeded), outcome
    snap = client_metrics(client).snapshot()
    assert (snap.requests_timeout, snap.duration_count) == (1, 1)
    assert dict(snap.failures) == {"deadline": 1}


async def test_an_error_in_the_middle_of_a_stream_is_recorded(upstream: Upstream, make_client: MakeClient) -> None:
    client = make_client()
    chunks: list[bytes] = []

    async def read() -> None:
        async with client.stream("GET", upstream.url("/cut?chunks=2")) as response:
            async for chunk in response.aiter_raw():
                chunks.append(chunk)

    outcome = await timed(read)
    assert isinstance(outcome.error, (httpx.ReadError, httpx.RemoteProtocolError)), outcome
    assert b"".join(chunks).startswith(b"chunk 0\n")
    snap = client_metrics(client).snapshot()
    assert (snap.requests_total, snap.requests_timeout, snap.duration_count) == (1, 0, 1)
    assert dict(snap.failures) == {"reset": 1}


async def test_a_stream_never_closed_is_still_recorded(upstream: Upstream, make_client: MakeClient) -> None:
    client = make_client()
    response = await client.send(client.build_request("GET", upstream.url("/stream?chunks=3&interval=0.05")), stream=True)
    async for _ in response.aiter_raw():
        break  # read a little, then drop the response without closing it
    assert client_metrics(client).snapshot().duration_count == 0
    del response
    await anyio.sleep(0.05)  # the loop finalizes the abandoned async generator of aiter_raw
    gc.collect()
    snap = client_metrics(client).snapshot()
    assert (snap.requests_total, snap.duration_count) == (1, 1)
    assert dict(snap.failures) == {"unclosed": 1}


async def test_a_stream_read_to_its_end_is_recorded_without_a_failure(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client()
    async with client.stream("GET", upstream.url("/stream?chunks=3&interval=0.01")) as response:
        body = await response.aread()
    assert body.count(b"chunk") == 3
    snap = client_metrics(client).snapshot()
    assert (snap.duration_count, dict(snap.failures)) == (1, {})


async def test_refused_and_tls_failures_have_their_reasons_and_tls_is_not_retried(
    make_client: MakeClient,
) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client = make_client(max_retries=2, retry_backoff=0.01)
    with refusing_port() as port:
        refused = await timed(lambda: client.get(f"http://127.0.0.1:{port}/"))
    async with Upstream(lifetime=30.0, tls=server_context) as tls_upstream:
        untrusted = await timed(lambda: client.get(tls_upstream.url()))  # our CA is not trusted

    assert isinstance(refused.error, httpx.ConnectError), refused
    assert isinstance(untrusted.error, httpx.ConnectError), untrusted
    assert "CERTIFICATE_VERIFY_FAILED" in str(untrusted.error)
    snap = client_metrics(client).snapshot()
    assert dict(snap.failures) == {"refused": 1, "tls": 1}
    assert snap.requests_retried == 2  # both for the refused connect; none for the certificate


async def test_prometheus_failures_counter_has_every_reason(upstream: Upstream, make_client: MakeClient) -> None:
    client = make_client(timeout=0.3)
    registry = CollectorRegistry()
    register_prometheus(client_metrics(client), registry)
    await timed(lambda: client.get(upstream.url("/silent")))
    value = registry.get_sample_value
    assert value("http_request_failures_total", {"reason": "read_timeout"}) == 1.0
    for reason in FAILURE_REASONS:
        if reason != "read_timeout":
            assert value("http_request_failures_total", {"reason": reason}) == 0.0, reason
    assert value("http_requests_timeout_total") == 1.0


def test_the_pool_maximum_is_reported_for_sync_and_async_clients() -> None:
    from lunalint.egress import EgressConfig, client_metrics, create_client, create_sync_client

    config = EgressConfig(pool_max_connections=7, pool_max_idle=7)
    sync = create_sync_client(config)
    client = create_client(config)
    try:
        assert client_metrics(sync).snapshot().pool_max == 7
        assert client_metrics(client).snapshot().pool_max == 7
    finally:
        sync.close()
