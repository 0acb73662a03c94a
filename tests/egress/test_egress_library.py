"""A library people can adopt: client options, proxies, status retries, the sync client, pins."""

from __future__ import annotations

import asyncio
import re
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
import trustme
from egress_support import assert_pool_socket_options, socket_of, timed
from egress_upstream import Upstream

from lunalint.egress import (
    EgressConfig,
    RequestDeadlineExceeded,
    client_metrics,
    create_client,
    create_sync_client,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MakeClient = Callable[..., httpx.AsyncClient]
ROOT = Path(__file__).resolve().parents[2]
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
def tls() -> tuple[trustme.CA, ssl.SSLContext]:
    """A throwaway CA and a server context with a certificate for 127.0.0.1 that it signed."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    return ca, server


@pytest.fixture
def no_env_proxies(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


# -- options pass through without losing the pool settings -----------------------------------


@pytest.mark.anyio
async def test_verify_and_cert_reach_the_pool_with_its_socket_options(
    tls: tuple[trustme.CA, ssl.SSLContext], make_client: MakeClient
) -> None:
    ca, server = tls
    server.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: the client must present a certificate
    ca.configure_trust(server)
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    client_cert = ca.issue_cert("client@example.test")
    with client_cert.private_key_and_cert_chain_pem.tempfile() as pem:
        async with Upstream(lifetime=30.0, tls=server) as upstream:
            client = make_client(verify=trusted, cert=pem)
            first = await client.get(upstream.url())
            second = await client.get(upstream.url())
            plain_trust = ssl.create_default_context()  # `cert` was loaded into `trusted`
            ca.configure_trust(plain_trust)
            without_cert = make_client(verify=plain_trust)
            refused = await timed(lambda: without_cert.get(upstream.url()))
    assert (first.text, second.text) == ("ok", "ok")
    assert_pool_socket_options(socket_of(first))
    assert upstream.connections[0].requests == 2  # pooled and reused, over TLS
    assert client_metrics(client).snapshot().connections_reused == 1
    assert isinstance(refused.error, (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)), refused


@pytest.mark.anyio
async def test_a_proxy_argument_gets_a_transport_with_the_same_guarantees(
    upstream: Upstream, make_client: MakeClient
) -> None:
    """The upstream plays an HTTP proxy: it receives the absolute URL and answers."""
    client = make_client(proxy=f"http://127.0.0.1:{upstream.port}")
    for _ in range(2):
        response = await client.get("http://service.invalid/ok")  # resolved by the proxy, not here
        assert response.text == "ok"
    assert_pool_socket_options(socket_of(response))
    assert upstream.count("GET", "/ok") == 2 and len(upstream.connections) == 1
    snap = client_metrics(client).snapshot()
    assert (snap.connections_created, snap.connections_reused) == (1, 1)


@pytest.mark.anyio
async def test_environment_proxies_and_no_proxy_are_honoured(
    upstream: Upstream, no_env_proxies: pytest.MonkeyPatch
) -> None:
    async with Upstream(lifetime=30.0) as proxy:
        no_env_proxies.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        proxied = create_client()
        direct = create_client(trust_env=False)
        no_env_proxies.setenv("NO_PROXY", "127.0.0.1")
        excluded = create_client()
        try:
            for client in (proxied, direct, excluded):
                assert (await client.get(upstream.url())).text == "ok"
            proxied_response = await proxied.get(upstream.url())
            assert_pool_socket_options(socket_of(proxied_response))
        finally:
            for client in (proxied, direct, excluded):
                await client.aclose()
        assert proxy.count("GET", "/ok") == 2  # only the proxied client's two requests
        assert upstream.count("GET", "/ok") == 2  # the direct and the NO_PROXY one
        assert client_metrics(proxied).snapshot().requests_total == 2


@pytest.mark.anyio
async def test_limits_event_hooks_and_other_options_pass_through(
    upstream: Upstream, make_client: MakeClient
) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    client = make_client(
        limits=httpx.Limits(max_connections=3, max_keepalive_connections=3, keepalive_expiry=30.0),
        event_hooks={"request": [hook]},
        params={"delay": "0.1"},
    )
    responses = await asyncio.gather(*(client.get(upstream.url()) for _ in range(9)))
    assert [r.text for r in responses] == ["ok"] * 9
    assert upstream.peak_open_connections == 3 and len(upstream.connections) == 3
    assert seen == ["/ok"] * 9
    assert_pool_socket_options(socket_of(responses[0]))
    with pytest.raises(ValueError, match="limits.keepalive_expiry must be set"):
        create_client(limits=httpx.Limits(max_connections=9, max_keepalive_connections=9, keepalive_expiry=None))


# -- opt-in retries on 429/503 with Retry-After ------------------------------------------------


@pytest.mark.anyio
async def test_status_503_with_retry_after_is_retried_only_for_safe_requests_within_the_deadline(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client(retry_statuses=(429, 503), deadline=10.0)
    waited = await timed(lambda: client.get(upstream.url("/status?code=503&times=1&after=1&k=1")))
    assert waited.error is None and waited.result.text == "ok", waited  # type: ignore[attr-defined]
    assert waited.elapsed >= 1.0

    post = await client.post(upstream.url("/status?code=503&times=1&after=1&k=2"), content=b"x")
    assert post.status_code == 503  # a POST may have had effects: returned as it is

    beyond = await timed(lambda: client.get(upstream.url("/status?code=429&times=1&after=30&k=3")))
    assert beyond.result.status_code == 429 and beyond.elapsed < 1.0, beyond  # type: ignore[attr-defined]

    snap = client_metrics(client).snapshot()
    assert (snap.requests_total, snap.requests_retried) == (3, 1)
    assert upstream.count("GET", "/status") == 3 and upstream.count("POST", "/status") == 1

    default = make_client()  # off unless asked for
    assert (await default.get(upstream.url("/status?code=503&times=1&k=4"))).status_code == 503


# -- the one private attribute read ------------------------------------------------------------


def test_httpx_still_keeps_its_httpcore_pool_where_the_pool_gauges_read_it() -> None:
    """`pool_counts` reads ``transport._pool``: an httpx release that moves it fails here."""
    cases = [
        (httpx.AsyncHTTPTransport(), httpcore.AsyncConnectionPool),
        (httpx.HTTPTransport(), httpcore.ConnectionPool),
        (httpx.AsyncHTTPTransport(proxy="http://127.0.0.1:9"), httpcore.AsyncConnectionPool),
        (httpx.HTTPTransport(proxy="http://127.0.0.1:9"), httpcore.ConnectionPool),
    ]
    for transport, pool_type in cases:
        pool = getattr(transport, "_pool", None)
        assert isinstance(pool, pool_type), f"{type(transport).__name__}._pool is {type(pool).__name__}"
        assert isinstance(pool.connections, list)


def test_the_test_extra_pins_the_httpx_range_of_the_egress_extra() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    def httpx(specs: list[str]) -> list[str]:
        return [spec for spec in specs if re.match(r"httpx(?![\w-])", spec)]  # not httpx2

    egress, test = httpx(extras["egress"]), httpx(extras["test"])
    assert egress == test and egress, (egress, test)


# -- the sync client ---------------------------------------------------------------------------


@pytest.fixture
def thread_upstream() -> Iterator[Upstream]:
    """An `Upstream` served by its own event loop in a thread, for the blocking client."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def serve() -> None:
        asyncio.set_event_loop(loop)
        server = Upstream(lifetime=60.0)
        loop.run_until_complete(server.__aenter__())
        holder["server"] = server
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.__aexit__(None, None, None))
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10), "the threaded upstream did not start"
    yield holder["server"]
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def _timed_sync(call: Callable[[], Any]) -> tuple[Any, BaseException | None, float]:
    start = time.monotonic()
    try:
        return call(), None, time.monotonic() - start
    except Exception as exc:
        return None, exc, time.monotonic() - start


def test_sync_client_pools_with_keepalive_and_counts(thread_upstream: Upstream) -> None:
    with create_sync_client() as client:
        responses = [client.get(thread_upstream.url()) for _ in range(3)]
        assert_pool_socket_options(socket_of(responses[0]))
        snap = client_metrics(client).snapshot()
    assert [r.text for r in responses] == ["ok"] * 3
    assert len(thread_upstream.connections) == 1
    assert (snap.connections_created, snap.connections_reused, snap.requests_total) == (1, 2, 3)
    assert (snap.duration_count, snap.pool_idle, dict(snap.failures)) == (3, 1, {})


@pytest.mark.parametrize(
    ("path", "settings", "low", "high"),
    [
        ("/trickle?interval=0.2", {"timeout": 1.0, "deadline": 1.0}, 1.0, 1.6),
        ("/silent", {"timeout": 10.0, "deadline": 1.0}, 1.0, 1.6),
        # Chunks at 1.5 s and 3 s, read timeout 2 s: the second read starts with 1 s left,
        # so the timer cuts it at the 2.5 s deadline instead of waiting for the chunk.
        ("/stream?chunks=2&interval=1.5", {"timeout": 2.0, "deadline": 2.5}, 2.5, 2.9),
    ],
    ids=["trickle", "silent", "silent-gap-near-the-deadline"],
)
def test_sync_client_keeps_the_whole_request_deadline(
    thread_upstream: Upstream, path: str, settings: dict[str, float], low: float, high: float
) -> None:
    with create_sync_client(EgressConfig(**settings)) as client:  # type: ignore[arg-type]

        def read() -> bytes:
            with client.stream("GET", thread_upstream.url(path)) as response:
                return response.read()

        _, error, elapsed = _timed_sync(read)
        snap = client_metrics(client).snapshot()
    assert isinstance(error, RequestDeadlineExceeded), (error, elapsed)
    assert low <= elapsed < high, elapsed
    assert (snap.requests_timeout, dict(snap.failures)) == (1, {"deadline": 1})


def test_sync_client_retries_the_stale_race_only_when_safe(thread_upstream: Upstream) -> None:
    with create_sync_client(EgressConfig(retry_backoff=0.05)) as client:
        assert client.post(thread_upstream.url("/drop-if-reused"), content=b"one").text == "ok"
        _, lost, _ = _timed_sync(lambda: client.post(thread_upstream.url("/drop-if-reused"), content=b"two"))
        assert client.get(thread_upstream.url("/drop-if-reused")).text == "ok"
        assert client.get(thread_upstream.url("/drop-if-reused")).text == "ok"  # reused, dropped, retried
        snap = client_metrics(client).snapshot()
    assert isinstance(lost, (httpx.RemoteProtocolError, httpx.ReadError)), lost
    assert [(r.method, r.body, r.answered) for r in thread_upstream.received if r.method == "POST"] == [
        ("POST", b"one", True), ("POST", b"two", False),
    ]  # fmt: skip
    assert snap.requests_retried == 1
    assert snap.failures == {"reset": 1}


def test_sync_client_shared_by_threads_counts_every_request(thread_upstream: Upstream) -> None:
    """A WSGI server's worker threads sharing one client: every request is counted once."""
    with create_sync_client() as client:

        def work() -> None:
            for _ in range(25):
                assert client.get(thread_upstream.url()).text == "ok"

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        snap = client_metrics(client).snapshot()
    assert len(thread_upstream.received) == 200
    assert (snap.requests_total, snap.duration_count) == (200, 200)
    assert snap.connections_created + snap.connections_reused == 200
    assert snap.connections_created == len(thread_upstream.connections) <= 8
