"""aiohttp: each misconfiguration, written with the module, an alias and from-imports."""

from __future__ import annotations

import pytest
from support.lint import lint_all as lint  # settings as read, judged strictly

NAMES = ("ClientSession", "ClientTimeout", "TCPConnector", "request")

FACTORY = '''
def keepalive_socket(addr_info):
    family, type_, proto, _, _ = addr_info
    sock = socket.socket(family=family, type=type_, proto=proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
    return sock
'''

GOOD_CONNECTOR = "{m}.TCPConnector(keepalive_timeout=30, socket_factory=keepalive_socket)"
GOOD_TIMEOUT = "{m}.ClientTimeout(total=None, sock_read=600, sock_connect=10)"

# (id, body with {m} for the module, expected code, message fragment)
BAD = [
    ("default-session-total", "{m}.ClientSession()", "LL303",
     "uses the aiohttp default total timeout of 300 s, below the streaming minimum of 600 s"),
    ("default-session-keepalive", "{m}.ClientSession()", "LL201", "sets no TCP keepalive"),
    ("timeout-none-is-the-default", "{m}.ClientSession(timeout=None)", "LL303", "timeout=None selects it"),
    ("explicit-total-300", "{m}.ClientSession(timeout={m}.ClientTimeout(total=300, sock_connect=10))", "LL302",
     "total timeout 300 s is below the streaming minimum"),
    ("sock-read-60", "{m}.ClientSession(timeout={m}.ClientTimeout(sock_read=60, sock_connect=10))", "LL302",
     "read timeout 60 s"),
    ("built-timeout-loses-sock-connect", "{m}.ClientSession(timeout={m}.ClientTimeout(sock_read=600))", "LL401",
     "neither sock_connect, connect nor total is set"),
    ("no-timeout-at-all", "{m}.ClientSession(timeout={m}.ClientTimeout())", "LL301",
     "read timeout and total timeout are disabled"),
    ("zero-disables", "{m}.ClientSession(timeout={m}.ClientTimeout(total=0, sock_connect=5))", "LL301",
     "aiohttp treats 0 as no timeout"),
    ("number-at-session-raises", "{m}.ClientSession(timeout=600)", "LL901", "raises ValueError"),
    ("keepalive-timeout-none", "{m}.ClientSession(connector={m}.TCPConnector(keepalive_timeout=None))", "LL101",
     "keepalive_timeout=None"),
    ("keepalive-timeout-300", "{m}.ClientSession(connector={m}.TCPConnector(keepalive_timeout=300))", "LL102",
     "300 s exceeds the maximum"),
    ("connector-without-factory", "{m}.ClientSession(connector={m}.TCPConnector(keepalive_timeout=30))", "LL201",
     "only through TCPConnector(socket_factory=...)"),
    ("request-timeout-none", "async def f():\n    async with {m}.ClientSession(timeout=" + GOOD_TIMEOUT
     + ") as s:\n        await s.post('u', timeout=None)", "LL301", "disables every timeout"),
    ("request-number-is-total", "async def f():\n    async with {m}.ClientSession(timeout=" + GOOD_TIMEOUT
     + ") as s:\n        await s.get('u', timeout=120)", "LL302", "ClientSession.get() total timeout 120 s"),
    ("request-number-loses-connect", "async def f():\n    async with {m}.ClientSession(timeout=" + GOOD_TIMEOUT
     + ") as s:\n        await s.request('GET', 'u', timeout=900)", "LL402", "only the total deadline bounds connecting"),
    ("request-client-timeout", "async def f():\n    async with {m}.ClientSession(timeout=" + GOOD_TIMEOUT
     + ") as s:\n        await s.get('u', timeout={m}.ClientTimeout(total=60))", "LL302", "total timeout 60 s"),
    ("module-request-default", "{m}.request('GET', 'u')", "LL303", "aiohttp.request() uses the aiohttp default"),
    ("module-request-none", "{m}.request('GET', 'u', timeout=None)", "LL303", "timeout=None selects it"),
    ("constant-total", "TOTAL = 5 * 60\nT = {m}.ClientTimeout(total=TOTAL, sock_connect=10)\n"
     "{m}.ClientSession(timeout=T)", "LL302", "300 s"),
    ("kwargs-dict", "OPTS = {{'timeout': {m}.ClientTimeout(sock_read=30, sock_connect=5)}}\n{m}.ClientSession(**OPTS)",
     "LL302", "read timeout 30 s"),
    ("positional-client-timeout", "{m}.ClientSession(timeout={m}.ClientTimeout(120, None, None, 5))", "LL302",
     "total timeout 120 s"),
    ("factory-without-keepalive", "def plain(addr):\n    return socket.socket()\n"
     "{m}.ClientSession(connector={m}.TCPConnector(socket_factory=plain))", "LL201", "does not set SO_KEEPALIVE"),
    ("factory-without-idle", "def ka(addr):\n    s = socket.socket()\n"
     "    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)\n    return s\n"
     "{m}.ClientSession(connector={m}.TCPConnector(socket_factory=ka))", "LL202", "without an idle time"),
    ("connector-alone", "CONNECTOR = {m}.TCPConnector(keepalive_timeout=None)", "LL101", "aiohttp.TCPConnector"),
    ("deprecated-read-timeout", "{m}.ClientSession(read_timeout=60)", "LL302", "total timeout 60 s"),
]

STYLES = ["plain", "alias", "from-import"]


def render(style: str, body: str) -> str:
    header = "import socket\n"
    if style == "plain":
        return header + "import aiohttp\n" + FACTORY + body.format(m="aiohttp") + "\n"
    if style == "alias":
        return header + "import aiohttp as ah\n" + FACTORY + body.format(m="ah") + "\n"
    header += "from aiohttp import " + ", ".join(NAMES) + "\n"
    return header + FACTORY + body.format(m="__m__").replace("__m__.", "") + "\n"


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("case", "body", "code", "fragment"), BAD, ids=[c[0] for c in BAD])
def test_bad_configurations_are_reported(style: str, case: str, body: str, code: str, fragment: str) -> None:
    source = render(style, body)
    found = [v for v in lint(source) if v.code == code]
    assert found, f"{code} not reported for:\n{source}"
    assert any(fragment in v.message for v in found), [v.message for v in found]
    assert {v.library for v in found} == {"aiohttp"}


GOOD = [
    ("configured-session", "{m}.ClientSession(timeout=" + GOOD_TIMEOUT + ", connector=" + GOOD_CONNECTOR + ")"),
    ("connector-by-name", "CONN = " + GOOD_CONNECTOR + "\nTIMEOUT = " + GOOD_TIMEOUT
     + "\nasync def f():\n    async with {m}.ClientSession(connector=CONN, timeout=TIMEOUT) as s:\n"
       "        await s.get('u')\n        await s.post('u', timeout={m}.ClientTimeout(sock_read=900, sock_connect=5))"),
    ("force-close-needs-no-expiry", "{m}.ClientSession(timeout=" + GOOD_TIMEOUT
     + ", connector={m}.TCPConnector(force_close=True))"),
    ("total-above-minimum", "{m}.ClientSession(timeout={m}.ClientTimeout(total=900, sock_connect=10), connector="
     + GOOD_CONNECTOR + ")"),
    ("unknown-connector", "def make(connector):\n    return {m}.ClientSession(timeout=" + GOOD_TIMEOUT
     + ", connector=connector)"),
    ("unknown-timeout", "def make(t):\n    return {m}.ClientSession(timeout=t, connector=" + GOOD_CONNECTOR + ")"),
    ("unknown-kwargs", "def make(**kw):\n    return {m}.ClientSession(**kw)"),
    ("factory-not-followed", "import helpers\n{m}.ClientSession(timeout=" + GOOD_TIMEOUT
     + ", connector={m}.TCPConnector(keepalive_timeout=30, socket_factory=helpers.keepalive_socket))"),
    ("request-without-timeout-uses-the-session", "async def f():\n    async with {m}.ClientSession(timeout="
     + GOOD_TIMEOUT + ", connector=" + GOOD_CONNECTOR + ") as s:\n        await s.get('u')"),
    ("request-per-read", "async def f(s: {m}.ClientSession):\n    await s.get('u', timeout=None)"),
]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("case", "body"), GOOD, ids=[c[0] for c in GOOD])
def test_good_configurations_pass(style: str, case: str, body: str) -> None:
    source = render(style, body)
    assert lint(source) == [], source


def test_fully_configured_example() -> None:
    source = '''
        import socket
        import aiohttp

        def keepalive_socket(addr_info):
            family, type_, proto, _, _ = addr_info
            sock = socket.socket(family=family, type=type_, proto=proto)
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
            return sock

        async def main():
            async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_read=600, sock_connect=10),
                connector=aiohttp.TCPConnector(keepalive_timeout=30, socket_factory=keepalive_socket),
            ) as session:
                async with session.post("https://api.example.com/v1/stream", json={}) as response:
                    async for chunk in response.content.iter_any():
                        print(chunk)
    '''
    assert lint(source) == []
    assert lint(source, require_explicit=True) == []


def test_local_look_alikes_are_not_reported() -> None:
    source = '''
        import aiohttp

        class ClientSession:
            def get(self, url, timeout=None):
                return url

        ClientSession().get("u", timeout=None)
    '''
    assert lint(source) == []


def test_session_kept_on_self_is_followed_across_methods() -> None:
    source = '''
        import aiohttp

        class Api:
            def __init__(self):
                self._session = None

            async def start(self):
                self._session = aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(sock_read=600, sock_connect=10))

            async def call(self):
                return await self._session.post("https://x", timeout=None)
    '''
    found = [(v.code, v.line) for v in lint(source, select=("LL301",))]
    assert found == [("LL301", 13)]


def test_default_total_message_names_the_effective_value() -> None:
    [violation] = [v for v in lint("import aiohttp\naiohttp.ClientSession()") if v.code == "LL303"]
    assert "300 s" in violation.message and "whole-request deadline" in violation.message
