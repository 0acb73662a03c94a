"""requests and urllib3: per-call timeouts, sessions, adapters and pool managers."""

from __future__ import annotations

import pytest
from support.lint import lint_all as lint  # settings as read, judged strictly

ADAPTER = '''
class KeepAliveAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        kwargs["socket_options"] = HTTPConnection.default_socket_options + [
            (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
            (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30),
            (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),
            (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3),
        ]
        super().init_poolmanager(*args, **kwargs)
'''

HEADERS = {
    "plain": "import socket\nimport requests\nimport urllib3\nfrom requests.adapters import HTTPAdapter\n"
             "from urllib3.connection import HTTPConnection\n",
    "alias": "import socket\nimport requests as rq\nimport urllib3 as u3\nfrom requests import adapters\n"
             "from urllib3.connection import HTTPConnection\nHTTPAdapter = adapters.HTTPAdapter\n",
}
NAMES = {"plain": {"r": "requests", "u": "urllib3"}, "alias": {"r": "rq", "u": "u3"}}

# (id, body with {r} for requests and {u} for urllib3, expected code, message fragment)
BAD = [
    ("get-without-timeout", "{r}.get('https://x')", "LL301", "no timeout= argument: requests waits forever"),
    ("request-without-timeout", "{r}.request('POST', 'https://x', json={{}})", "LL301", "requests.request()"),
    ("timeout-none", "{r}.post('https://x', timeout=None)", "LL301", "timeout=None waits forever"),
    ("timeout-none-connect", "{r}.post('https://x', timeout=None)", "LL401", "connect timeout is disabled"),
    ("tuple-read-60", "{r}.post('https://x', timeout=(5, 60))", "LL302", "read timeout 60 s"),
    ("tuple-read-none", "{r}.post('https://x', timeout=(5, None))", "LL301", "read timeout is disabled"),
    ("tuple-connect-none", "{r}.post('https://x', timeout=(None, 600))", "LL401", "connect timeout is disabled"),
    ("single-number-sets-connect", "{r}.get('https://x', timeout=600)", "LL402", "sets connect and read"),
    ("three-tuple", "{r}.get('https://x', timeout=(5, 600, 1))", "LL901", "raises ValueError"),
    ("constant-tuple", "TIMEOUT = (3.05, 27)\n{r}.get('https://x', timeout=TIMEOUT)", "LL302", "read timeout 27 s"),
    ("kwargs-dict", "OPTS = {{'timeout': 30}}\n{r}.get('https://x', **OPTS)", "LL302", "read timeout 30 s"),
    ("urllib3-timeout-object", "{r}.get('https://x', timeout={u}.Timeout(connect=5, read=120))", "LL302", "120 s"),
    ("urllib3-timeout-total-caps-read", "{r}.get('https://x', timeout={u}.Timeout(total=60, connect=5, read=600))",
     "LL302", "total caps the read timeout"),
    ("session-keepalive", "s = {r}.Session()", "LL201", "urllib3 pools cannot expire idle connections"),
    ("lowercase-session", "s = {r}.session()", "LL201", "requests.Session has no TCP keepalive"),
    ("session-get-without-timeout", "s = {r}.Session()\ns.get('https://x')", "LL301",
     "requests.Session has no timeout setting"),
    ("with-session", "with {r}.Session() as s:\n    s.post('https://x', timeout=(5, 30))", "LL302", "Session.post()"),
    ("session-timeout-attribute", "s = {r}.Session()\ns.timeout = 600", "LL301",
     "session.timeout = 600 is ignored"),
    ("plain-adapter", "s = {r}.Session()\na = HTTPAdapter(max_retries=3)\ns.mount('http://', a)\n"
     "s.mount('https://', a)", "LL201", "HTTPAdapter passes no socket_options"),
    ("adapter-subclass-without-options", "class Retrying(HTTPAdapter):\n    pass\n"
     "s = {r}.Session()\ns.mount('https://', Retrying())", "LL201", "Retrying (an HTTPAdapter subclass)"),
    ("adapter-subclass-idle-too-long", ADAPTER.replace("30", "300").replace("KeepAliveAdapter", "SlowProbe")
     + "s = {r}.Session()\ns.mount('https://', SlowProbe())", "LL203", "300 s exceeds the maximum"),
    ("pool-manager-no-keepalive", "pm = {u}.PoolManager(timeout={u}.Timeout(connect=5, read=600))", "LL201",
     "urllib3.PoolManager without socket_options"),
    ("pool-manager-request-forever", "pm = {u}.PoolManager(socket_options=[])\npm.request('GET', 'https://x')",
     "LL301", "neither the call nor the PoolManager sets a timeout"),
    ("pool-manager-short", "pm = {u}.PoolManager(timeout=30.0)", "LL302", "read timeout 30 s"),
    ("connection-pool-positional", "p = {u}.HTTPSConnectionPool('h', 443, {u}.Timeout(connect=5, read=60))",
     "LL302", "urllib3.HTTPSConnectionPool read timeout 60 s"),
    ("pool-urlopen-override", "p = {u}.HTTPConnectionPool('h', timeout=600)\np.urlopen('GET', '/', timeout=None)",
     "LL301", "HTTPConnectionPool.urlopen()"),
    ("urllib3-request-default", "{u}.request('GET', 'https://x')", "LL303",
     "urllib3.request() default read timeout of 3 s"),
    ("toolbelt-idle", "from requests_toolbelt.adapters.socket_options import TCPKeepAliveAdapter\n"
     "s = {r}.Session()\ns.mount('https://', TCPKeepAliveAdapter(idle=120))", "LL203", "120 s exceeds"),
]


@pytest.mark.parametrize("style", ["plain", "alias"])
@pytest.mark.parametrize(("case", "body", "code", "fragment"), BAD, ids=[c[0] for c in BAD])
def test_bad_configurations_are_reported(style: str, case: str, body: str, code: str, fragment: str) -> None:
    source = HEADERS[style] + ADAPTER + body.format(**NAMES[style]) + "\n"
    found = [v for v in lint(source) if v.code == code]
    assert found, f"{code} not reported for:\n{source}"
    assert any(fragment in v.message for v in found), [v.message for v in found]


GOOD = [
    ("tuple", "{r}.get('https://x', timeout=(5, 600))"),
    ("urllib3-timeout", "{r}.post('https://x', timeout={u}.Timeout(connect=5, read=900))"),
    ("unknown-timeout", "def f(t):\n    return {r}.get('https://x', timeout=t)"),
    ("unknown-kwargs", "def f(**kw):\n    return {r}.get('https://x', **kw)"),
    ("mounted-keepalive-adapter", "s = {r}.Session()\ns.mount('https://', KeepAliveAdapter())\n"
     "s.post('https://x', timeout=(5, 600))"),
    ("toolbelt-default", "from requests_toolbelt.adapters.socket_options import TCPKeepAliveAdapter\n"
     "s = {r}.Session()\ns.mount('https://', TCPKeepAliveAdapter(idle=30))"),
    ("unknown-adapter", "def f(adapter):\n    s = {r}.Session()\n    s.mount('https://', adapter)"),
    ("session-parameter", "def f(s: {r}.Session):\n    return s.get('https://x')"),
    ("pool-with-timeout-and-keepalive", "OPTS = HTTPConnection.default_socket_options + "
     "[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30)]\n"
     "pm = {u}.PoolManager(timeout={u}.Timeout(connect=5, read=600), socket_options=OPTS)\n"
     "pm.request('GET', 'https://x')"),
    ("look-alike", "class Session:\n    def get(self, url):\n        return url\nSession().get('https://x')"),
    ("dict-get", "d = {{}}\nd.get('timeout')"),
    ("positional-session-request-timeout", "s = {r}.Session()\ns.mount('https://', KeepAliveAdapter())\n"
     "s.request('GET', 'u', None, None, None, None, None, None, (5, 600))"),
]


@pytest.mark.parametrize("style", ["plain", "alias"])
@pytest.mark.parametrize(("case", "body"), GOOD, ids=[c[0] for c in GOOD])
def test_good_configurations_pass(style: str, case: str, body: str) -> None:
    source = HEADERS[style] + ADAPTER + body.format(**NAMES[style]) + "\n"
    assert lint(source) == [], source


def test_missing_idle_expiry_is_one_keepalive_finding_per_session() -> None:
    """urllib3 cannot expire idle connections: no LL1xx finding, one LL201 per session instead."""
    source = HEADERS["plain"] + "s = requests.Session()\na = HTTPAdapter()\ns.mount('http://', a)\ns.mount('https://', a)\n"
    found = lint(source, require_explicit=True)
    assert not [v for v in found if v.code.startswith("LL1")]
    assert len([v for v in found if v.code == "LL201"]) == 1


def test_fully_configured_example() -> None:
    source = '''
        import socket
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.connection import HTTPConnection

        KEEPALIVE = [
            (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
            (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30),
            (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),
            (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3),
        ]

        class KeepAliveAdapter(HTTPAdapter):
            def init_poolmanager(self, *args, **kwargs):
                kwargs["socket_options"] = HTTPConnection.default_socket_options + KEEPALIVE
                super().init_poolmanager(*args, **kwargs)

        TIMEOUT = (10, 600)  # (connect, read); read is per read, so long streams survive

        session = requests.Session()
        session.mount("https://", KeepAliveAdapter())
        session.mount("http://", KeepAliveAdapter())

        def complete(payload):
            return session.post("https://api.example.com/v1/messages", json=payload, timeout=TIMEOUT, stream=True)
    '''
    assert lint(source) == []
    assert lint(source, require_explicit=True) == []


def test_fully_configured_urllib3_example() -> None:
    source = '''
        import socket
        import urllib3
        from urllib3.connection import HTTPConnection

        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=10, read=600),
            socket_options=HTTPConnection.default_socket_options + [
                (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
                (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30),
            ],
        )
        response = http.request("POST", "https://api.example.com/v1/messages", body=b"{}")
    '''
    assert lint(source) == []
