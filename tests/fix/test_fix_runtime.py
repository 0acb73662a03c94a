"""Fixed code does what the finding asked, at run time: for each library, ``lunalint check --fix
--unsafe-fixes`` fixes a sample module, the test imports it, builds the real clients and reads
back their timeout phases, their pool's idle expiry and, from a real connection to a loopback
server, the socket options (``getsockopt``)."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from lunalint.cli import main

KEEPALIVE = {(socket.SOL_SOCKET, socket.SO_KEEPALIVE): 1, (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE): 60,
             (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL): 10, (socket.IPPROTO_TCP, socket.TCP_KEEPCNT): 5}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def fixed_module(tmp_path: Path, name: str, source: str) -> tuple[ModuleType, str]:
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    # The strict scope: every client judged as if it streamed, so every setting gets its fix.
    strict = ["--isolated", "--no-cache", "--streaming-scope", "all"]
    assert main(["check", *strict, "--fix", "--unsafe-fixes", "--fix-only", str(path)]) == 0
    fixed = path.read_text(encoding="utf-8")
    assert main(["check", *strict, str(path)]) == 0, fixed  # nothing left to report
    spec = importlib.util.spec_from_file_location(f"fixed_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module, fixed


def options(sock: Any) -> dict[tuple[int, int], int]:
    wanted = [*KEEPALIVE, (socket.IPPROTO_TCP, socket.TCP_NODELAY)]
    return {key: sock.getsockopt(*key) for key in wanted}


def assert_keepalive(sock: Any) -> None:
    found = options(sock)
    assert {key: found[key] for key in KEEPALIVE} == KEEPALIVE
    assert found[(socket.IPPROTO_TCP, socket.TCP_NODELAY)] == 1  # the library's own option is kept


def _httpcore_socket(client: Any) -> Any:
    pool = client._transport._pool
    [connection] = pool.connections
    return connection._connection._network_stream._sock


@pytest.mark.parametrize("module_name", ["httpx", "httpx2"])
def test_httpx_clients(tmp_path: Path, server: str, module_name: str) -> None:
    source = (f"import {module_name}\n\n"
              f"client = {module_name}.Client(limits={module_name}.Limits(keepalive_expiry=None), verify=False)\n")
    module, fixed = fixed_module(tmp_path, f"sample_{module_name}", source)
    assert "# " not in fixed
    client = module.client
    timeout = client.timeout
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (10, 600, 600, 600)
    pool = client._transport._pool
    assert pool._keepalive_expiry == 90
    import ssl

    assert pool._ssl_context.verify_mode == ssl.CERT_NONE  # verify=False moved into the new transport
    assert client.get(f"{server}/x").status_code == 200
    assert_keepalive(_httpcore_socket(client))
    client.close()


def test_openai_client(tmp_path: Path, server: str) -> None:
    source = f"import openai\n\nclient = openai.OpenAI(api_key='k', base_url='{server}/v1', timeout=30)\n"
    module, _ = fixed_module(tmp_path, "sample_openai", source)
    client = module.client
    assert (client.timeout.connect, client.timeout.read) == (10, 600)
    http = client._client
    pool = http._transport._pool
    assert (pool._max_connections, pool._max_keepalive_connections, pool._keepalive_expiry) == (1000, 100, 5)
    assert http.get(f"{server}/v1/models").status_code == 200
    assert_keepalive(_httpcore_socket(http))
    client.close()


def test_anthropic_client(tmp_path: Path, server: str) -> None:
    source = ("import anthropic\nimport httpx2\n\n"
              f"client = anthropic.Anthropic(api_key='k', base_url='{server}', http_client=httpx2.Client(timeout=30))\n")
    module, _ = fixed_module(tmp_path, "sample_anthropic", source)
    client = module.client
    assert (client.timeout.connect, client.timeout.read) == (10, 600)
    http = client._client
    assert http.get(f"{server}/v1/models").status_code == 200
    assert_keepalive(_httpcore_socket(http))
    client.close()


def test_aiohttp_session(tmp_path: Path, server: str) -> None:
    source = ("import aiohttp\n\n\nasync def make():\n"
              "    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(keepalive_timeout=None))\n")
    module, _ = fixed_module(tmp_path, "sample_aiohttp", source)

    async def run() -> None:
        session = await module.make()
        try:
            timeout = session.timeout
            assert (timeout.total, timeout.sock_read, timeout.sock_connect) == (None, 600, 10)
            assert session.connector._keepalive_timeout == 90
            async with session.get(f"{server}/x") as response:
                assert response.status == 200
                await response.read()
            [idle] = session.connector._conns.values()  # the pooled connection, back in the pool
            protocol = idle[0][0]
            assert_keepalive(protocol.transport.get_extra_info("socket"))
        finally:
            await session.close()

    asyncio.run(run())


def test_requests_session(tmp_path: Path, server: str) -> None:
    source = ("import requests\n\nsession = requests.Session()\n\n\n"
              "def fetch(url):\n    return session.get(url)\n")
    module, _ = fixed_module(tmp_path, "sample_requests", source)
    sent: list[Any] = []
    adapter = module.session.get_adapter(server)
    assert type(adapter).__name__ == "KeepAliveAdapter"
    original = adapter.send

    def spy(request: Any, **kwargs: Any) -> Any:
        sent.append(kwargs["timeout"])
        return original(request, **kwargs)

    adapter.send = spy
    assert module.fetch(f"{server}/x").status_code == 200
    assert sent == [(10, 600)]  # (connect, read) on the call
    [pool] = adapter.poolmanager.pools._container.values()  # the pool the request used
    [connection] = [c for c in pool.pool.queue if c is not None]
    assert_keepalive(connection.sock)
    module.session.close()


def test_urllib3_pool_manager(tmp_path: Path, server: str) -> None:
    source = ("import urllib3\n\nhttp = urllib3.PoolManager()\n\n\n"
              "def fetch(url):\n    return http.request('GET', url)\n")
    module, _ = fixed_module(tmp_path, "sample_urllib3", source)
    sent: list[Any] = []
    pool_manager = module.http
    original = pool_manager.urlopen

    def spy(method: str, url: str, **kwargs: Any) -> Any:
        sent.append(kwargs.get("timeout"))
        return original(method, url, **kwargs)

    pool_manager.urlopen = spy
    assert module.fetch(f"{server}/x").status == 200
    [timeout] = sent
    assert (timeout.connect_timeout, timeout.read_timeout) == (10, 600)
    pool = pool_manager.connection_from_url(server)
    [connection] = [c for c in pool.pool.queue if c is not None]
    assert_keepalive(connection.sock)
    pool_manager.clear()
