"""HTTP/2 (over TLS on loopback): ``http2=True`` keeps the pool's socket options, reuse and idle expiry."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

import h2.config
import h2.connection
import h2.events
import httpx
import pytest
import trustme
from egress_support import assert_pool_socket_options, socket_of

from lunalint.egress import client_metrics

pytestmark = pytest.mark.anyio

MakeClient = Callable[..., httpx.AsyncClient]


class H2Upstream:
    """An HTTP/2-only TLS server (ALPN ``h2``) answering ``ok`` to every stream; it counts
    connections and the streams each carried."""

    def __init__(self, context: ssl.SSLContext) -> None:
        context.set_alpn_protocols(["h2"])
        self._context = context
        self.streams: list[int] = []  # per connection, in the order they were accepted
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> H2Upstream:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._context)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = len(self.streams)
        self.streams.append(0)
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        try:
            while data := await reader.read(65536):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        self.streams[index] += 1
                        conn.send_headers(event.stream_id, [(":status", "200"), ("content-length", "2")])
                        conn.send_data(event.stream_id, b"ok", end_stream=True)
                writer.write(conn.data_to_send())
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()


async def test_http2_keeps_the_socket_options_reuse_and_idle_expiry(make_client: MakeClient) -> None:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    async with H2Upstream(server) as upstream:
        client = make_client(http2=True, verify=trusted, pool_idle_timeout=0.3)
        first = await client.get(upstream.url)
        second = await client.get(upstream.url)
        assert_pool_socket_options(socket_of(second))  # checked while the connection is open
        await asyncio.sleep(0.6)  # past the idle expiry: the next request opens a new connection
        third = await client.get(upstream.url)
        assert [r.http_version for r in (first, second, third)] == ["HTTP/2"] * 3
        assert [r.text for r in (first, second, third)] == ["ok"] * 3
        assert_pool_socket_options(socket_of(third))
        await client.aclose()
    assert upstream.streams == [2, 1]  # two streams on the first connection, then an expired one replaced
    snap = client_metrics(client).snapshot()
    assert (snap.connections_created, snap.connections_reused, snap.requests_total) == (2, 1, 3)
