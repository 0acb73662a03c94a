"""LL201 tcp-keepalive-missing: a pooled client whose sockets have no TCP keepalive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import judges_keepalive
from lunalint.spec import KeepaliveState

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec

GOOD_OPTIONS = ("[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30),"
                " (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10), (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)]")


class TcpKeepaliveMissing(Rule):
    """
    ## What it does
    Checks for pooled HTTP clients whose sockets do not enable TCP keepalive (`SO_KEEPALIVE`).

    With `streaming-scope = "llm"` (the default), a client opened for one request and closed
    (`with httpx.Client() as c: return c.get(url)`, `async with ClientSession() as s:` around one
    request, or a client bound in a function that makes one request on it and closes it with
    `close()`/`aclose()`, in a `finally` or after) is reported only when that request may be long: it streams, or it is a model call
    (the evidence LL302 lists). Such a client never reuses a pooled connection, but during a long
    pause between chunks keepalive keeps a NAT from dropping the connection and finds a dead
    peer, so the message says why. A client on an in-process transport (`httpx.ASGITransport`,
    `WSGITransport`, `MockTransport`) has no socket and is not reported.

    ## Why is this bad?
    When a NAT gateway, firewall or load balancer silently forgets a connection, neither end is
    told. Without keepalive probes the client only finds out when a request on that connection
    times out, after the full read timeout. Keepalive probes keep middlebox idle timers fresh
    during long silent waits (extended thinking) and make the kernel fail a dead connection, so
    the pool discards it before reuse.

    ## Example
    ```python
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(600, connect=10))
    ```

    ## Use instead
    ```python
    import socket
    import httpx

    transport = httpx.HTTPTransport(
        limits=httpx.Limits(keepalive_expiry=60),
        socket_options=[
            (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
            (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30),
            (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),
            (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3),
        ],
    )
    client = httpx.Client(transport=transport, timeout=httpx.Timeout(600, connect=10))
    ```
    Passing `transport=` turns off httpx's environment proxies; add them back with `mounts=` if
    you rely on `HTTPS_PROXY`.

    ```rust
    // reqwest 0.12.23 and later default to 15 s (Cargo.lock decides); before that, set it:
    let client = reqwest::Client::builder()
        .tcp_keepalive(Duration::from_secs(30))
        .build()?;
    ```

    ## Options
    - `max-keepalive-idle` (default 60 s)
    - `streaming-scope` (default `"llm"`; `"all"` also reports one-shot clients whose one request is short,
      and in-process transports)

    ## Fix safety
    Adds TCP keepalive with SO_KEEPALIVE, TCP_KEEPIDLE 60 s (or the policy's maximum),
    TCP_KEEPINTVL 10 s and TCP_KEEPCNT 5, listed once per module in `KEEPALIVE_SOCKET_OPTIONS`:
    httpx `socket_options=` on the transport (safe when the transport exists; when a transport is
    added, the client's transport arguments move into it, and the fix is unsafe because a transport
    turns off httpx's environment proxies, unless `proxy=` or `trust_env=False` already decides
    them); openai/anthropic `http_client=<sdk>.DefaultHttpxClient(transport=httpx2.HTTPTransport(...))`
    with the SDK's pool sizes (unsafe: environment proxies); aiohttp
    `TCPConnector(socket_factory=keepalive_socket)` with a helper inserted once (safe; aiohttp 3.12 or
    later); urllib3 `socket_options=HTTPConnection.default_socket_options + ...` (safe, TCP_NODELAY
    kept); a requests session assigned to a name gets a `KeepAliveAdapter` mounted for https:// and
    http:// (safe). `socket.TCP_KEEPIDLE` does not exist on macOS.

    ## References
    - [httpx: Transports, socket_options](https://www.python-httpx.org/advanced/transports/)
    - [tcp(7): TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT](https://man7.org/linux/man-pages/man7/tcp.7.html)
    """

    check_family = Check.TCP_KEEPALIVE
    summary = "Pooled connections have no TCP keepalive"
    message = ("{label} has no TCP keepalive{note}: a connection silently dropped by a NAT or load balancer "
               "hangs until the read timeout")
    variants = {"one-shot": ("{label} has no TCP keepalive{note}: it is opened for one request, and that request may "
                             "be long ({evidence}); without keepalive a NAT may drop the connection during a long "
                             "pause between chunks, and a dead peer is noticed only at the read timeout")}

    VALID = (
        Valid("import anthropic\nanthropic.Anthropic()"),
        Valid("import requests\nfrom requests_toolbelt.adapters.socket_options import TCPKeepAliveAdapter\n"
              "s = requests.Session()\ns.mount('https://', TCPKeepAliveAdapter(idle=30))"),
        Valid("import aiohttp, socket\ndef sock(addr):\n    s = socket.socket()\n"
              "    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)\n"
              "    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30)\n    return s\n"
              "aiohttp.ClientSession(connector=aiohttp.TCPConnector(socket_factory=sock))"),
        Valid(f"import httpx, socket\nhttpx.Client(transport=httpx.HTTPTransport(socket_options={GOOD_OPTIONS}))"),
        Valid("import httpx\nhttpx.get('https://example.com', timeout=httpx.Timeout(600, connect=5))"),
        Valid("import httpx\ndef make(t):\n    return httpx.Client(transport=t)"),
        # One-shot clients whose one request is short, in each library; and in-process transports.
        Valid("import httpx\ndef health(url):\n    with httpx.Client(timeout=5) as c:\n        return c.get(url)"),
        Valid("import aiohttp\nasync def token(url, code):\n    async with aiohttp.ClientSession() as s:\n"
              "        async with s.post(url, data={'code': code}) as r:\n            return await r.json()"),
        Valid("import requests\ndef meta(url):\n    with requests.Session() as s:\n"
              "        return s.get(url, timeout=5)"),
        Valid("import httpx\ndef fetch(method, url):\n    with httpx.Client() as c:\n        if method == 'GET':\n"
              "            return c.get(url)\n        else:\n            return c.post(url)"),
        Valid("import httpx\nhttpx.AsyncClient(transport=httpx.ASGITransport(app=app))"),
        Valid("import httpx\nhttpx.Client(transport=httpx.WSGITransport(app=app))"),
    )
    INVALID = (
        Invalid("import openai\nopenai.OpenAI()", "the openai SDK's default client sets no socket options", at="2:1",
                fixed='import openai\nimport httpx2\nimport socket\n\n\nKEEPALIVE_SOCKET_OPTIONS = [\n    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5),\n]\n\nopenai.OpenAI(http_client=openai.DefaultHttpxClient(transport=httpx2.HTTPTransport(limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=100), socket_options=KEEPALIVE_SOCKET_OPTIONS)))'),
        Invalid("import anthropic, httpx2\nanthropic.Anthropic(http_client=httpx2.Client())",
                "drops anthropic's default TCP keepalive", at="2:33",
                fixed='import anthropic, httpx2\nimport socket\n\n\nKEEPALIVE_SOCKET_OPTIONS = [\n    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5),\n]\n\nanthropic.Anthropic(http_client=httpx2.Client(transport=httpx2.HTTPTransport(socket_options=KEEPALIVE_SOCKET_OPTIONS)))'),
        Invalid("import requests\nsession = requests.Session()", "no adapter with socket_options", at="2:11",
                fixed='import requests\nfrom requests.adapters import HTTPAdapter\nfrom urllib3.connection import HTTPConnection\nimport socket\n\n\nKEEPALIVE_SOCKET_OPTIONS = [\n    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5),\n]\n\n\nclass KeepAliveAdapter(HTTPAdapter):\n    """An HTTPAdapter whose connections use TCP keepalive (and keep urllib3\'s TCP_NODELAY)."""\n\n    def init_poolmanager(self, *args, **kwargs):\n        kwargs["socket_options"] = HTTPConnection.default_socket_options + KEEPALIVE_SOCKET_OPTIONS\n        super().init_poolmanager(*args, **kwargs)\n\nsession = requests.Session()\nsession.mount("https://", KeepAliveAdapter())\nsession.mount("http://", KeepAliveAdapter())'),
        Invalid("import urllib3\nhttp = urllib3.PoolManager(num_pools=4)", "urllib3.PoolManager without socket_options",
                at="2:8",
                fixed='import urllib3\nfrom urllib3.connection import HTTPConnection\nimport socket\n\n\nKEEPALIVE_SOCKET_OPTIONS = [\n    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5),\n]\n\nhttp = urllib3.PoolManager(num_pools=4, socket_options=HTTPConnection.default_socket_options + KEEPALIVE_SOCKET_OPTIONS)'),
        Invalid("import requests\nrequests.Session()", "urllib3 pools cannot expire idle connections", at="2:1"),
        Invalid("import aiohttp\naiohttp.ClientSession()", "without TCPConnector(socket_factory=...)", at="2:1",
                fixed='import aiohttp\nimport socket\n\n\ndef keepalive_socket(addr_info):\n    """A socket as aiohttp makes one, with TCP keepalive (TCPConnector(socket_factory=...))."""\n    family, type_, proto, _, _ = addr_info\n    sock = socket.socket(family=family, type=type_, proto=proto)\n    sock.setblocking(False)\n    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)\n    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60)\n    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10)\n    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5)\n    return sock\n\naiohttp.ClientSession(connector=aiohttp.TCPConnector(socket_factory=keepalive_socket))'),
        Invalid("import httpx\nhttpx.Client()", "has no TCP keepalive", at="2:1",
                fixed='import httpx\nimport socket\n\n\nKEEPALIVE_SOCKET_OPTIONS = [\n    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5),\n]\n\nhttpx.Client(transport=httpx.HTTPTransport(socket_options=KEEPALIVE_SOCKET_OPTIONS))'),
        # One-shot, but the one request may be long; or several requests; or the strict scope.
        Invalid("import httpx\ndef chat(body):\n    with httpx.Client(timeout=600) as c:\n"
                "        with c.stream('POST', '/v1/chat/completions', json=body) as r:\n"
                "            return list(r.iter_lines())",
                "it is opened for one request, and that request may be long (streams: `c.stream(...)` at line 4)",
                at="3:10",
                fixed="import httpx\nimport socket\n\n\nKEEPALIVE_SOCKET_OPTIONS = [\n    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5),\n]\n\ndef chat(body):\n    with httpx.Client(timeout=600, transport=httpx.HTTPTransport(socket_options=KEEPALIVE_SOCKET_OPTIONS)) as c:\n        with c.stream('POST', '/v1/chat/completions', json=body) as r:\n            return list(r.iter_lines())"),
        Invalid("import httpx\ndef fetch_all(urls):\n    with httpx.Client() as c:\n        for url in urls:\n"
                "            c.get(url)", "has no TCP keepalive", at="3:10",
                fixed='import httpx\nimport socket\n\n\nKEEPALIVE_SOCKET_OPTIONS = [\n    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5),\n]\n\ndef fetch_all(urls):\n    with httpx.Client(transport=httpx.HTTPTransport(socket_options=KEEPALIVE_SOCKET_OPTIONS)) as c:\n        for url in urls:\n            c.get(url)'),
        Invalid("import httpx\ndef health(url):\n    with httpx.Client(timeout=5) as c:\n        return c.get(url)",
                "has no TCP keepalive", {"streaming_scope": "all"}, at="3:10",
                fixed='import httpx\nimport socket\n\n\nKEEPALIVE_SOCKET_OPTIONS = [\n    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5),\n]\n\ndef health(url):\n    with httpx.Client(timeout=5, transport=httpx.HTTPTransport(socket_options=KEEPALIVE_SOCKET_OPTIONS)) as c:\n        return c.get(url)'),
        Invalid("import httpx\nhttpx.AsyncClient(transport=httpx.AsyncHTTPTransport(retries=2))",
                "without socket_options", at="2:29",
                fixed='import httpx\nimport socket\n\n\nKEEPALIVE_SOCKET_OPTIONS = [\n    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5),\n]\n\nhttpx.AsyncClient(transport=httpx.AsyncHTTPTransport(retries=2, socket_options=KEEPALIVE_SOCKET_OPTIONS))'),
        Invalid("import httpx, socket\nOPTS = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]\n"
                "httpx.Client(transport=httpx.HTTPTransport(socket_options=OPTS))", "do not include SO_KEEPALIVE",
                at="3:59"),
    )

    RUST_VALID = (
        Valid('// Cargo.lock: reqwest 0.12.28\n'
              'use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Ok(Client::new())\n'
              '}\n'),
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().tcp_keepalive(Duration::from_secs(30)).build()\n'
              '}\n'),
    )
    RUST_INVALID = (
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Ok(Client::new())\n'
                '}\n',
                'no Cargo.lock found', at='4:8'),
        Invalid('// Cargo.lock: reqwest 0.12.22\n'
                'use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Client::builder().build()\n'
                '}\n',
                'reqwest 0.12.22 in Cargo.lock sets none by default', at='5:5'),
        Invalid('// Cargo.lock: reqwest 0.12.22\n'
                'use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Client::builder().tcp_keepalive(None).build()\n'
                '}\n',
                'tcp_keepalive(None)', at='5:23'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        keepalive = spec.keepalive
        judged, long_request = judges_keepalive(spec, policy)
        if not judged or keepalive is None or keepalive.state is not KeepaliveState.OFF:
            return
        if long_request is not None:
            yield self.report(keepalive.anchor, variant="one-shot", lines=(long_request.anchor,), label=spec.label,
                              note=keepalive.note, evidence=long_request.describe())
        else:
            yield self.report(keepalive.anchor, label=spec.label, note=keepalive.note)
