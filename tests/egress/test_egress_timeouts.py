"""Deadline details: per-chunk cost, redirects and auth hops, the jittered backoff against the deadline."""

from __future__ import annotations

import random
import socket
from collections.abc import Callable, Generator

import anyio
import httpx
import pytest
from egress_support import timed
from egress_upstream import Upstream

from lunalint.egress import EgressConfig, EgressMetrics, EgressTransport, RequestDeadlineExceeded, client_metrics
from lunalint.egress.deadline import Deadline

pytestmark = pytest.mark.anyio

MakeClient = Callable[..., httpx.AsyncClient]


async def test_a_stream_far_from_its_deadline_opens_no_cancel_scope_per_chunk(
    upstream: Upstream, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the deadline is more than one read timeout away, a clock check guards each chunk;
    while it is further than one step of each kind before the head, the head needs no scope."""
    scopes = 0
    real_scope = Deadline.scope

    def counting_scope(self: Deadline) -> anyio.CancelScope:
        nonlocal scopes
        scopes += 1
        return real_scope(self)

    monkeypatch.setattr(Deadline, "scope", counting_scope)
    client = make_client(timeout=5.0, deadline=60.0)
    async with client.stream("GET", upstream.url("/stream?chunks=20&interval=0")) as response:
        chunks = [chunk async for chunk in response.aiter_raw()]
    assert b"".join(chunks).count(b"chunk") == 20
    assert scopes == 0  # 60 s left > pool 10 + connect 2 x 10 + write 5 + read 5: none at all

    # Closer than that bound (here 40 s), the request up to its head runs in one scope.
    scopes = 0
    head_near = make_client(timeout=5.0, deadline=39.0)
    async with head_near.stream("GET", upstream.url("/stream?chunks=20&interval=0")) as response:
        chunks = [chunk async for chunk in response.aiter_raw()]
    assert b"".join(chunks).count(b"chunk") == 20
    assert scopes == 1

    # Within one read timeout of the deadline every read runs in a scope that fires at it.
    scopes = 0
    near = make_client(timeout=5.0, deadline=2.0)
    async with near.stream("GET", upstream.url("/stream?chunks=5&interval=0")) as response:
        chunks = [chunk async for chunk in response.aiter_raw()]
    assert scopes >= 5


async def test_the_deadline_spans_every_redirect_of_one_request(upstream: Upstream, make_client: MakeClient) -> None:
    """Three hops of 0.4 s each: each fits a 1 s deadline, all three together do not."""
    client = make_client(deadline=1.0)
    outcome = await timed(lambda: client.get(upstream.url("/redirect?hops=2&delay=0.4"), follow_redirects=True))
    assert isinstance(outcome.error, RequestDeadlineExceeded), outcome
    assert 1.0 <= outcome.elapsed < 1.5
    assert upstream.count("GET", "/redirect") == 3

    # Within the deadline the same chain succeeds, and each hop counts as one request.
    relaxed = make_client(deadline=5.0, follow_redirects=True)
    response = await relaxed.get(upstream.url("/redirect?hops=2&delay=0.1"))
    assert response.text == "ok" and len(response.history) == 2
    assert client_metrics(relaxed).snapshot().requests_total == 3


class _TwoLegAuth(httpx.Auth):
    """An authentication flow with two round trips on the same request (as Digest has)."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield request
        request.headers["authorization"] = "second-leg"
        yield request


async def test_the_deadline_spans_the_round_trips_of_an_auth_flow(upstream: Upstream, make_client: MakeClient) -> None:
    client = make_client(deadline=1.0)
    outcome = await timed(lambda: client.get(upstream.url("/ok?delay=0.6"), auth=_TwoLegAuth()))
    assert isinstance(outcome.error, RequestDeadlineExceeded), outcome
    assert 1.0 <= outcome.elapsed < 1.5
    assert upstream.count("GET", "/ok") == 2


class _UpperBound(random.Random):
    """Jitter that always draws the top of its range: the backoff is exactly its cap."""

    def uniform(self, a: float, b: float) -> float:
        return b


async def test_the_backoff_is_checked_against_the_deadline_with_its_jittered_value() -> None:
    """Backoffs of 0.2 s then 0.4 s (jitter at the top), deadline 0.5 s: after the second
    refused connect 0.3 s are left, enough for the 0.2 s base but not for the 0.4 s wait, so
    the connect error is raised at once rather than the deadline firing in the sleep."""
    config = EgressConfig(max_retries=5, retry_backoff=0.2, retry_backoff_max=10.0, deadline=0.5)
    metrics = EgressMetrics()
    transport = EgressTransport(httpx.AsyncHTTPTransport(), config=config, metrics=metrics, rng=_UpperBound())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    try:
        async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(5.0)) as client:
            outcome = await timed(lambda: client.get(f"http://127.0.0.1:{port}/"))
    finally:
        sock.close()
    assert isinstance(outcome.error, httpx.ConnectError), outcome
    assert outcome.elapsed < 0.45
    assert metrics.snapshot().requests_retried == 1


async def test_a_head_trickled_past_the_deadline_far_from_it_ends_at_the_first_body_read(
    upstream: Upstream, make_client: MakeClient
) -> None:
    """The limit of running the head without a scope, pinned down: with 1.5 s left and each
    step bounded (pool 0.1 + connect 2 x 0.1 + write 0.5 + read 0.5 = 1.3 s), a head sent in
    about 13 pieces 0.15 s apart (about 1.9 s) outlives the deadline; the body's first read ends it."""
    client = make_client(timeout=0.5, connect_timeout=0.1, pool_timeout=0.1, deadline=1.5)
    outcome = await timed(lambda: client.get(upstream.url("/slow-head?pieces=12&interval=0.15")))
    assert isinstance(outcome.error, RequestDeadlineExceeded), outcome
    assert 1.7 <= outcome.elapsed < 3.0
    snap = client_metrics(client).snapshot()
    assert (snap.requests_timeout, dict(snap.failures)) == (1, {"deadline": 1})

    # With less time left than that bound (1.0 s), the scope ends the same head at the deadline.
    near = make_client(timeout=0.5, connect_timeout=0.1, pool_timeout=0.1, deadline=1.0)
    outcome = await timed(lambda: near.get(upstream.url("/slow-head?pieces=12&interval=0.15")))
    assert isinstance(outcome.error, RequestDeadlineExceeded), outcome
    assert 1.0 <= outcome.elapsed < 1.5
