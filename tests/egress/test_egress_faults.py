"""Integration: silent black-hole, long streams vs deadlines, stuck upstreams, the stale race."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import anyio
import httpx
import pytest
from egress_faultproxy import FaultProxy
from egress_support import timed, wait_until
from egress_upstream import Upstream
from prometheus_client import CollectorRegistry

from lunalint.egress import RETRYABLE_EXTENSION, RequestDeadlineExceeded, client_metrics
from lunalint.egress.prometheus import register_prometheus

pytestmark = pytest.mark.anyio

MakeClient = Callable[..., httpx.AsyncClient]

READ_TIMEOUT = 3.0

# Which requests may be sent again after a connection failure: idempotent methods, and others
# only when marked retryable (and never when marked not retryable).
RETRY_ONLY_WHEN_SAFE = pytest.mark.parametrize(
    ("method", "extensions", "retried"),
    [
        ("GET", {}, True),
        ("PUT", {}, True),
        ("POST", {RETRYABLE_EXTENSION: True}, True),
        ("POST", {}, False),
        ("GET", {RETRYABLE_EXTENSION: False}, False),
    ],
    ids=["GET", "PUT", "POST-marked-retryable", "POST", "GET-marked-not-retryable"],
)


async def test_black_holed_idle_connection_hangs_a_client_without_expiry_but_not_the_reference(
    upstream: Upstream, make_client: MakeClient
) -> None:
    """The bug itself: no pool can see a silent black-hole; only idle expiry avoids it."""
    async with FaultProxy(upstream.port, mode="blackhole", idle=1.0) as proxy:
        broken = httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(limits=httpx.Limits(keepalive_expiry=None)),
            timeout=httpx.Timeout(READ_TIMEOUT),
        )
        reference = make_client(pool_idle_timeout=0.5, timeout=READ_TIMEOUT, deadline=10.0)
        try:
            for client in (broken, reference):
                assert (await client.get(proxy.url())).status_code == 200
            await wait_until(lambda: len(proxy.faults("blackhole")) == 2, 5.0, "both flows black-holed")

            async with anyio.create_task_group() as group:
                outcome = {}

                async def run(name: str, client: httpx.AsyncClient) -> None:
                    outcome[name] = await timed(lambda: client.get(proxy.url()))

                group.start_soon(run, "broken", broken)
                group.start_soon(run, "reference", reference)
        finally:
            await broken.aclose()

    assert isinstance(outcome["broken"].error, httpx.ReadTimeout), outcome["broken"]
    assert outcome["broken"].elapsed >= READ_TIMEOUT * 0.95
    assert outcome["reference"].error is None, outcome["reference"]
    assert outcome["reference"].elapsed < READ_TIMEOUT / 3
    # The broken client's request vanished into the hole; the reference one reached upstream.
    assert upstream.count("GET", "/ok") == 3
    assert len(proxy.links) == 3 and proxy.faults("blackhole")[0].dropped_bytes > 0
    snap = client_metrics(reference).snapshot()
    assert (snap.connections_created, snap.connections_reused, snap.requests_timeout) == (2, 0, 0)


async def test_stream_longer_than_a_short_total_timeout_completes_with_the_reference_config(
    upstream: Upstream, make_client: MakeClient
) -> None:
    """Six chunks 0.4 s apart (2.4 s): per-read timeout 1 s passes, a 1 s total kills it."""
    url = upstream.url("/stream?chunks=6&interval=0.4")
    reference = make_client(timeout=1.0, deadline=20.0)
    naive = make_client(timeout=1.0, deadline=1.0)

    async def read_stream(client: httpx.AsyncClient, chunks: list[bytes]) -> None:
        async with client.stream("GET", url) as response:
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)

    full: list[bytes] = []
    done = await timed(lambda: read_stream(reference, full))
    assert done.error is None, done
    assert b"".join(full) == b"".join(b"chunk %d\n" % i for i in range(6))
    assert done.elapsed >= 2.4 * 0.95

    partial: list[bytes] = []
    cut = await timed(lambda: read_stream(naive, partial))
    assert isinstance(cut.error, RequestDeadlineExceeded), cut
    assert 1 <= len(partial) < 6, "the naive config should die mid-stream"
    assert cut.elapsed < 2.0

    # The killed connection was closed, not pooled half-read; the pool serves the next request.
    killed = upstream.connections[1]
    assert await upstream.wait_closed(killed) and killed.closed_by == "client"
    assert (await naive.get(upstream.url())).text == "ok"
    assert (await reference.get(upstream.url())).text == "ok"
    assert len(upstream.connections) == 3
    ref, nai = client_metrics(reference).snapshot(), client_metrics(naive).snapshot()
    assert (ref.requests_total, ref.requests_timeout, ref.connections_reused) == (2, 0, 1)
    assert (nai.requests_total, nai.requests_timeout, nai.connections_created) == (2, 1, 2)


@pytest.mark.parametrize(
    ("path", "read_timeout"),
    [("/trickle?interval=0.2", 1.0), ("/silent", 10.0)],
    ids=["trickles-a-byte-forever", "never-answers"],
)
async def test_stuck_upstream_ends_at_the_deadline_and_is_counted(
    upstream: Upstream, make_client: MakeClient, path: str, read_timeout: float
) -> None:
    """A trickle keeps every per-read timeout alive; only the whole-request deadline ends it."""
    client = make_client(timeout=read_timeout, deadline=1.5)
    registry = CollectorRegistry()
    register_prometheus(client_metrics(client), registry)

    stuck = await timed(lambda: client.get(upstream.url(path)))

    assert isinstance(stuck.error, RequestDeadlineExceeded), stuck
    assert 1.5 <= stuck.elapsed < 3.0
    assert await upstream.wait_closed(upstream.connections[0])
    assert upstream.connections[0].closed_by == "client"
    assert client_metrics(client).snapshot().requests_timeout == 1
    assert registry.get_sample_value("http_requests_timeout_total") == 1.0
    assert registry.get_sample_value("http_request_duration_seconds_count") == 1.0
    assert (await client.get(upstream.url())).text == "ok"  # the pool recovers
    assert registry.get_sample_value("http_requests_total") == 2.0


@RETRY_ONLY_WHEN_SAFE
async def test_connection_dying_as_it_is_reused_is_retried_only_when_safe(
    upstream: Upstream, make_client: MakeClient, method: str, extensions: dict[str, bool], retried: bool
) -> None:
    """The proxy drops the request that arrives on the reused connection and closes it."""
    async with FaultProxy(upstream.port, mode="close-on-reuse", idle=0.3) as proxy:
        client = make_client(pool_idle_timeout=30.0, retry_backoff=0.05)
        await client.request(method, proxy.url("/first"), content=b"first")
        await anyio.sleep(0.5)

        second = await timed(
            lambda: client.request(method, proxy.url("/second"), content=b"second", extensions=extensions)
        )

    assert len(proxy.faults("close-on-reuse")) == 1
    snap = client_metrics(client).snapshot()
    if retried:
        assert second.error is None and second.result.text == "ok"  # type: ignore[attr-defined]
        assert snap.requests_retried == 1 and snap.connections_created == 2
    else:
        # EOF before a response, or a RST if the body was still being written: both are the race.
        assert isinstance(second.error, (httpx.RemoteProtocolError, httpx.ReadError)), second
        assert snap.requests_retried == 0 and snap.connections_created == 1
    # The dropped attempt never reached upstream: it saw the second request once, or never.
    assert upstream.count(method, "/second") == (1 if retried else 0)
    assert [r.body for r in upstream.received] == [b"first", b"second"][: 2 if retried else 1]


async def test_non_idempotent_request_the_server_received_is_never_sent_twice(
    upstream: Upstream, make_client: MakeClient
) -> None:
    """Server-side race: the upstream reads a request on a reused connection, then closes."""
    client = make_client(pool_idle_timeout=30.0, retry_backoff=0.05)
    assert (await client.post(upstream.url("/drop-if-reused"), content=b"one")).text == "ok"

    lost = await timed(lambda: client.post(upstream.url("/drop-if-reused"), content=b"two"))

    assert isinstance(lost.error, (httpx.RemoteProtocolError, httpx.ReadError)), lost
    assert [(r.body, r.answered) for r in upstream.received] == [(b"one", True), (b"two", False)]
    assert client_metrics(client).snapshot().requests_retried == 0

    # The same race on an idempotent request is retried on a new connection and succeeds.
    for _ in range(2):
        assert (await client.get(upstream.url("/drop-if-reused"))).text == "ok"
    assert [r.answered for r in upstream.received if r.method == "GET"] == [True, False, True]
    assert client_metrics(client).snapshot().requests_retried == 1


async def test_connect_errors_are_retried_for_any_method_then_raised(make_client: MakeClient) -> None:
    with anyio_closed_port() as port:
        client = make_client(max_retries=2, retry_backoff=0.05, connect_timeout=2.0)
        failed = await timed(lambda: client.post(f"http://127.0.0.1:{port}/", content=b"x"))
    assert isinstance(failed.error, httpx.ConnectError), failed
    snap = client_metrics(client).snapshot()
    assert (snap.requests_retried, snap.connections_created, snap.requests_total) == (2, 0, 1)


class anyio_closed_port:
    """A loopback port that is bound but not listening: connecting is refused at once."""

    def __enter__(self) -> int:
        import socket

        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        return int(self._sock.getsockname()[1])

    def __exit__(self, *exc_info: object) -> None:
        self._sock.close()


async def test_a_streamed_body_that_cannot_be_replayed_is_not_retried(
    upstream: Upstream, make_client: MakeClient
) -> None:
    """Even marked retryable, a generator body already partly sent cannot be sent again."""

    async def body() -> AsyncIterator[bytes]:
        yield b"part"

    async with FaultProxy(upstream.port, mode="close-on-reuse", idle=0.3) as proxy:
        client = make_client(retry_backoff=0.05)
        await client.get(proxy.url("/first"))
        await anyio.sleep(0.5)
        lost = await timed(
            lambda: client.post(proxy.url("/second"), content=body(), extensions={RETRYABLE_EXTENSION: True})
        )

    assert isinstance(lost.error, (httpx.RemoteProtocolError, httpx.ReadError)), lost
    assert client_metrics(client).snapshot().requests_retried == 0
    assert upstream.count("POST") == 0


async def test_a_callers_own_trace_callback_still_sees_every_event(
    upstream: Upstream, make_client: MakeClient
) -> None:
    seen: list[str] = []

    async def trace(name: str, info: dict[str, object]) -> None:
        seen.append(name)

    client = make_client()
    await client.get(upstream.url(), extensions={"trace": trace})
    assert "connection.connect_tcp.complete" in seen
    assert "http11.receive_response_headers.complete" in seen
    assert client_metrics(client).snapshot().connections_created == 1


@RETRY_ONLY_WHEN_SAFE
async def test_new_connection_reset_before_the_response_is_retried_only_when_safe(
    make_client: MakeClient, method: str, extensions: dict[str, bool], retried: bool
) -> None:
    """An upstream restarting behind an L4 proxy: the proxy accepts, cannot reach it, resets.

    Found by the soak: only failures on reused connections used to be retried, so an
    idempotent request on a fresh connection failed although replaying it is safe.
    """
    async with Upstream(lifetime=60.0) as server, FaultProxy(server.port) as proxy:
        client = make_client(max_retries=4, retry_backoff=0.2, retry_backoff_max=0.8)
        restarting = server.restart(pause=0.5)
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: restarting)
            await anyio.sleep(0.05)  # the upstream is down now; the proxy still accepts
            during = await timed(
                lambda: client.request(method, proxy.url("/during"), content=b"during", extensions=extensions)
            )
        assert server.restarts == 1
        after = await client.request(method, proxy.url("/after"), content=b"after")

    assert after.text == "ok"
    assert len(proxy.faults("refused")) >= 1
    snap = client_metrics(client).snapshot()
    if retried:
        assert during.error is None and during.result.text == "ok", during  # type: ignore[attr-defined]
        assert snap.requests_retried >= 1
        assert server.count(method, "/during") == 1
    else:
        assert isinstance(during.error, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)), during
        assert snap.requests_retried == 0 and len(proxy.faults("refused")) == 1
        assert server.count(method, "/during") == 0
