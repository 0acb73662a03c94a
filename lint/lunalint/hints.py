"""Fix hints: for a finding's library and rule code, the change that fixes it, and a whole clean client.

``hint(library, code, policy)`` gives a ``Hint``: ``help``, the one-line change that ``--format
full`` prints, and ``example``, a complete client for that library that contains the change and
passes every lunalint rule under ``policy`` (a test checks both). ``lunalint explain`` shows the
examples of every library a rule applies to. The numbers are those the automatic fixes write
(``libraries/fixkit.py``): the streaming minimum (at least 600 s) for the read timeout, at most 10 s
to connect, at most 90 s of pool idle expiry and at most 60 s of keepalive idle time.

The table is keyed by library (``Violation.library``) and rule code; it can later move into each
library's entry in ``lunalint.libraries``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from lunalint.config import Policy

__all__ = ["Hint", "LIBRARIES", "hint", "hints_for_code"]


@dataclass(frozen=True)
class Hint:
    help: str  # the change, as one line of prose with code
    fragment: str  # the code of the change; it appears verbatim in ``example``
    example: str  # a whole client that passes lunalint


class _Numbers(NamedTuple):
    read: str
    connect: str
    idle: str
    keepidle: str


def _numbers(policy: Policy) -> _Numbers:
    """The values the automatic fixes write (``fix.fix_values``), so hint and fix agree."""
    from lunalint.fix import fix_values, number

    return _Numbers(*(number(value) for value in fix_values(policy)))


POOL, KEEPALIVE, TIMEOUT, CONNECT, LIMITS = "pool", "keepalive", "timeout", "connect", "limits"
_FAMILY = {
    "LL101": POOL, "LL102": POOL, "LL103": POOL, "LL104": LIMITS,
    "LL201": KEEPALIVE, "LL202": KEEPALIVE, "LL203": KEEPALIVE, "LL204": KEEPALIVE,
    "LL301": TIMEOUT, "LL302": TIMEOUT, "LL303": TIMEOUT, "LL304": TIMEOUT, "LL305": TIMEOUT, "LL901": TIMEOUT,
    "LL401": CONNECT, "LL402": CONNECT, "LL403": CONNECT,
}


def _keepalive_list(n: _Numbers, indent: str) -> str:
    return (f"{indent}(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),\n"
            f"{indent}(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, {n.keepidle}),\n")


def _httpx(module: str) -> Callable[[_Numbers], tuple[str, dict[str, tuple[str, str]]]]:
    def build(n: _Numbers) -> tuple[str, dict[str, tuple[str, str]]]:
        timeout = f"timeout={module}.Timeout({n.read}, connect={n.connect})"
        limits = f"limits={module}.Limits(keepalive_expiry={n.idle})"
        options = "socket_options=KEEPALIVE"
        example = (f"import socket\nimport {module}\n\nKEEPALIVE = [\n{_keepalive_list(n, '    ')}]\n"
                   f"client = {module}.Client(\n    {timeout},\n"
                   f"    transport={module}.HTTPTransport({limits}, {options}),\n)\n")
        where = f"on the transport (`{module}.HTTPTransport`, or `AsyncHTTPTransport` for an async client)"
        return example, {
            TIMEOUT: (f"pass `{timeout}` (a read timeout of at least {n.read} s, a short connect timeout)", timeout),
            CONNECT: (f"pass `{timeout}`: a short connect timeout (a bare number would set it too)", timeout),
            POOL: (f"set `{limits}` {where}", limits),
            LIMITS: (f"move the limits {where}: `{limits}`; the client's `limits=` is ignored when "
                     "`transport=` is given", limits),
            KEEPALIVE: (f"pass `{options}` {where}, with `KEEPALIVE` holding SO_KEEPALIVE and "
                        f"TCP_KEEPIDLE {n.keepidle}", options),
        }
    return build


def _sdk(sdk: str, cls: str) -> Callable[[_Numbers], tuple[str, dict[str, tuple[str, str]]]]:
    def build(n: _Numbers) -> tuple[str, dict[str, tuple[str, str]]]:
        timeout = f"timeout=httpx2.Timeout({n.read}, connect={n.connect})"
        transport = f"transport=httpx2.HTTPTransport(limits=httpx2.Limits(keepalive_expiry={n.idle}), " \
                    "socket_options=KEEPALIVE)"
        example = (f"import socket\nimport httpx2\nimport {sdk}\n\nKEEPALIVE = [\n{_keepalive_list(n, '    ')}]\n"
                   f"client = {sdk}.{cls}(\n    {timeout},\n"
                   f"    http_client={sdk}.DefaultHttpxClient(\n        {transport},\n    ),\n)\n")
        custom = f"give `http_client={sdk}.DefaultHttpxClient({transport})`"
        return example, {
            TIMEOUT: (f"pass `{timeout}` (not a bare number: it would set a {n.read} s connect timeout too)", timeout),
            CONNECT: (f"pass `{timeout}`", timeout),
            POOL: (f"{custom} with `KEEPALIVE` holding SO_KEEPALIVE and TCP_KEEPIDLE {n.keepidle}", transport),
            LIMITS: (f"{custom}: limits belong on the transport", transport),
            KEEPALIVE: (f"{custom} with `KEEPALIVE` holding SO_KEEPALIVE and TCP_KEEPIDLE {n.keepidle}", transport),
        }
    return build


def _aiohttp(n: _Numbers) -> tuple[str, dict[str, tuple[str, str]]]:
    timeout = f"timeout=aiohttp.ClientTimeout(total=None, sock_read={n.read}, sock_connect={n.connect})"
    connector = f"connector=aiohttp.TCPConnector(keepalive_timeout={n.idle}, socket_factory=keepalive_socket)"
    example = ("import socket\nimport aiohttp\n\n\ndef keepalive_socket(addr_info):\n"
               "    family, type_, proto, _, _ = addr_info\n"
               "    sock = socket.socket(family=family, type=type_, proto=proto)\n"
               "    sock.setblocking(False)\n"
               "    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)\n"
               f"    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, {n.keepidle})\n"
               "    return sock\n\n\n"
               f"session = aiohttp.ClientSession(\n    {timeout},\n    {connector},\n)\n")
    return example, {
        TIMEOUT: (f"pass `{timeout}`: `total` would end long streams, `sock_read` limits each read", timeout),
        CONNECT: (f"pass `{timeout}`", timeout),
        POOL: (f"pass `{connector}`", connector),
        KEEPALIVE: (f"pass `{connector}`, with `keepalive_socket` setting SO_KEEPALIVE and TCP_KEEPIDLE "
                    f"{n.keepidle} (aiohttp 3.12 or later)", connector),
    }


def _requests(n: _Numbers) -> tuple[str, dict[str, tuple[str, str]]]:
    timeout = f"timeout=({n.connect}, {n.read})"
    mount = 'session.mount("https://", KeepAliveAdapter())'
    example = ("import socket\nimport requests\nfrom requests.adapters import HTTPAdapter\n"
               "from urllib3.connection import HTTPConnection\n\n"
               f"KEEPALIVE = [\n{_keepalive_list(n, '    ')}]\n\n\n"
               "class KeepAliveAdapter(HTTPAdapter):\n"
               "    def init_poolmanager(self, *args, **kwargs):\n"
               '        kwargs["socket_options"] = HTTPConnection.default_socket_options + KEEPALIVE\n'
               "        super().init_poolmanager(*args, **kwargs)\n\n\n"
               "session = requests.Session()\n"
               f"{mount}\n"
               'session.mount("http://", KeepAliveAdapter())\n'
               f'session.post("https://api.example.com/v1/messages", json={{}}, {timeout}, stream=True)\n')
    keepalive = (f"mount an adapter that adds SO_KEEPALIVE and TCP_KEEPIDLE {n.keepidle} to "
                 f"`HTTPConnection.default_socket_options`: `{mount}`")
    return example, {
        TIMEOUT: (f"pass `{timeout}` (connect, read) to every call: a Session has no timeout of its own", timeout),
        CONNECT: (f"pass `{timeout}` (connect, read)", timeout),
        POOL: (f"urllib3 never expires idle connections; {keepalive}", mount),
        KEEPALIVE: (keepalive, mount),
    }


def _urllib3(n: _Numbers) -> tuple[str, dict[str, tuple[str, str]]]:
    timeout = f"timeout=urllib3.Timeout(connect={n.connect}, read={n.read})"
    options = "socket_options=HTTPConnection.default_socket_options + KEEPALIVE"
    example = ("import socket\nimport urllib3\nfrom urllib3.connection import HTTPConnection\n\n"
               f"KEEPALIVE = [\n{_keepalive_list(n, '    ')}]\n"
               f"http = urllib3.PoolManager(\n    {timeout},\n    {options},\n)\n")
    keepalive = (f"pass `{options}`, with `KEEPALIVE` holding SO_KEEPALIVE and TCP_KEEPIDLE {n.keepidle} "
                 "(keeping the defaults keeps TCP_NODELAY)")
    return example, {
        TIMEOUT: (f"pass `{timeout}`", timeout),
        CONNECT: (f"pass `{timeout}`", timeout),
        POOL: (f"urllib3 never expires idle connections; {keepalive}", options),
        KEEPALIVE: (keepalive, options),
    }


_BUILDERS: dict[str, Callable[[_Numbers], tuple[str, dict[str, tuple[str, str]]]]] = {
    "httpx": _httpx("httpx"),
    "httpx2": _httpx("httpx2"),
    "aiohttp": _aiohttp,
    "requests": _requests,
    "urllib3": _urllib3,
    "openai": _sdk("openai", "OpenAI"),
    "anthropic": _sdk("anthropic", "Anthropic"),
}
LIBRARIES = tuple(_BUILDERS)


def hint(library: str, code: str, policy: Policy | None = None) -> Hint | None:
    """The fix for a ``code`` finding on a ``library`` client, or None when there is none to give."""
    builder = _BUILDERS.get(library)
    family = _FAMILY.get(code)
    if builder is None or family is None:
        return None
    example, changes = builder(_numbers(policy or Policy()))
    if family not in changes:
        return None
    text, fragment = changes[family]
    return Hint(text, fragment, example)


def hints_for_code(code: str, policy: Policy | None = None) -> Iterator[tuple[str, Hint]]:
    """``(library, hint)`` for every library that has a fix for ``code``."""
    for library in LIBRARIES:
        found = hint(library, code, policy)
        if found is not None:
            yield library, found
