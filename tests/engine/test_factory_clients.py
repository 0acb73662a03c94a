"""Clients returned by a local factory (``make()``, ``self.get_client()``) are followed to their calls."""

from __future__ import annotations

import pytest
from support.lint import lint_all as lint  # which clients are followed, judged strictly


def found(source: str, code: str) -> list[int]:
    return [v.line for v in lint(source) if v.code == code]


# The vendored ``httpx_aiohttp/transport.py`` of the openai and anthropic SDKs, cut down: the session
# is built by ``get_client()`` (whose other returns give back what the caller passed in), stored on
# ``self.client`` (also set from a parameter), and every request passes its own ``timeout=``.
TRANSPORT = """
    import aiohttp
    from aiohttp import ClientTimeout
    from aiohttp.client import ClientSession

    class AiohttpTransport:
        def __init__(self, limits, client=None):
            self.limits = limits
            self.client = client

        def get_client(self) -> ClientSession:
            if callable(self.client):
                return self.client()
            elif isinstance(self.client, ClientSession):
                return self.client
            else:
                connector = aiohttp.TCPConnector(keepalive_timeout=self.limits.keepalive_expiry)
                return ClientSession(connector=connector)

        async def handle_async_request(self, request):
            if not isinstance(self.client, ClientSession):
                self.client = self.get_client()
            timeout = request.extensions.get("timeout", {})
            response = await self.client.request(
                method=request.method,
                url=str(request.url),
                timeout=ClientTimeout(sock_connect=timeout.get("connect"), sock_read=timeout.get("read")),
            ).__aenter__()
            return response
        # more methods
        async def aclose(self):
            if isinstance(self.client, ClientSession):
                await self.client.close()
"""
SESSION_LINE = 18
REQUEST_TIMEOUT = 'timeout=ClientTimeout(sock_connect=timeout.get("connect"), sock_read=timeout.get("read"))'


def transport(extra: str = "", request_timeout: str = REQUEST_TIMEOUT) -> str:
    """The transport, with ``extra`` methods (indented as in ``TRANSPORT``) and another request timeout."""
    methods = extra.rstrip() + "\n" if extra else ""
    return TRANSPORT.replace("        # more methods\n", methods).replace(REQUEST_TIMEOUT, request_timeout)


def test_sdk_transport_session_default_timeout_is_not_judged() -> None:
    violations = lint(transport())
    assert "LL303" not in [v.code for v in violations], violations
    # What the construction itself sets is still judged: no TCP keepalive on the connector.
    assert ("LL201", SESSION_LINE) in [(v.code, v.line) for v in violations]


def test_sdk_transport_session_default_timeout_is_judged_when_one_request_relies_on_it() -> None:
    extra = """
        async def health(self):
            return await self.client.get("https://example.com/health")
    """
    assert found(transport(extra), "LL303") == [SESSION_LINE]


def test_a_call_on_a_receiver_that_may_be_something_else_is_not_judged_as_a_call_on_the_client() -> None:
    # ``self.client`` may be the caller's session: its ``timeout=None`` is not reported as the client's.
    source = transport(request_timeout="timeout=None")
    assert found(source, "LL301") == []
    assert found(source, "LL303") == []  # the call still passes its own timeout


# The call on the factory's result is judged as a call on the client built in the factory.
FOLLOWED = [
    ("module-level-factory", """
        import httpx
        def make():
            return httpx.Client(timeout=5)
        c = make()
        c.get("u", timeout=None)
     """, 6),
    ("factory-returns-a-local-name", """
        import httpx
        def make():
            client = httpx.Client(timeout=httpx.Timeout(600, connect=5))
            return client
        def fetch():
            c = make()
            return c.get("u", timeout=None)
     """, 8),
    ("result-used-directly", """
        import httpx
        def make():
            return httpx.Client()
        make().get("u", timeout=None)
     """, 5),
    ("method-of-the-same-class-none-first", """
        import requests
        class Api:
            def __init__(self):
                self.session = None
            def _make(self):
                return requests.Session()
            def call(self):
                if self.session is None:
                    self.session = self._make()
                return self.session.get("u")
     """, 11),
    ("staticmethod-factory", """
        import requests
        class Api:
            @staticmethod
            def _make():
                return requests.Session()
            def call(self):
                session = self._make()
                return session.get("u")
     """, 9),
    ("cached-factory", """
        import functools
        import httpx
        @functools.lru_cache(maxsize=1)
        def get_client():
            return httpx.Client()
        get_client().get("u", timeout=None)
     """, 7),
    ("async-factory-awaited", """
        import aiohttp
        async def make():
            return aiohttp.ClientSession()
        async def fetch():
            session = await make()
            async with session.get("u", timeout=None) as response:
                return await response.text()
     """, 7),
    ("with-target", """
        import httpx
        def make():
            return httpx.Client()
        with make() as client:
            client.get("u", timeout=None)
     """, 6),
    ("other-return-is-none", """
        import httpx
        def make(url):
            if not url:
                return None
            return httpx.Client()
        make("u").get("u", timeout=None)
     """, 7),
    ("recursive-factory", """
        import httpx
        def make(retries):
            if retries:
                return make(retries - 1)
            return httpx.Client()
        make(3).get("u", timeout=None)
     """, 7),
]


@pytest.mark.parametrize(("case", "source", "line"), FOLLOWED, ids=[c[0] for c in FOLLOWED])
def test_client_from_a_factory_is_followed_to_its_calls(case: str, source: str, line: int) -> None:
    assert line in found(source, "LL301"), [(v.code, v.line, v.message) for v in lint(source)]


def test_attribute_assignment_on_a_factory_built_session() -> None:
    source = """
        import requests
        def make():
            return requests.Session()
        session = make()
        session.timeout = 30
    """
    [violation] = [v for v in lint(source) if v.code == "LL301"]
    assert violation.line == 6 and "session.timeout = 30 is ignored" in violation.message


@pytest.mark.parametrize("timeouts", [
    pytest.param(('timeout=httpx.Timeout(600, connect=5)',) * 2, id="every-call-passes-a-timeout"),
    pytest.param(('timeout=httpx.Timeout(600, connect=5)', 'params={}'), id="one-call-without"),
])
def test_factory_client_default_timeout_is_judged_only_when_a_call_relies_on_it(timeouts: tuple[str, str]) -> None:
    source = f"""
        import httpx
        def make():
            return httpx.Client()
        client = make()
        client.get("u", {timeouts[0]})
        client.post("u", {timeouts[1]})
    """
    expected = [] if all("timeout" in t for t in timeouts) else [4]
    assert found(source, "LL303") == expected


def test_findings_stay_on_the_construction_and_on_the_call() -> None:
    source = """
        import httpx
        def make():
            return httpx.Client(timeout=5)
        c = make()
        c.get("u", timeout=600)
    """
    where = {(v.code, v.line, v.column) for v in lint(source)}
    assert ("LL302", 4, 25) in where  # the client's own timeout=5, inside the factory
    assert ("LL402", 6, 12) in where  # the call's timeout=600, judged as a call on that client


def test_factory_whose_result_is_never_used_is_judged_like_any_construction() -> None:
    source = """
        import httpx
        def make():
            return httpx.Client()
        client = make()
        print(client)
    """
    assert found(source, "LL303") == [4]


# Not followed: the call is not judged as a call on the client (no LL301 for its ``timeout=None``),
# and every client keeps its default timeout judged (LL303 at the construction).
NOT_FOLLOWED = [
    ("two-returns", """
        import httpx
        def make(flag):
            if flag:
                return httpx.Client()
            return httpx.Client(http2=True)
        make(True).get("u", timeout=None)
     """, [5, 6]),
    ("generator", """
        import httpx
        def make():
            yield 1
            return httpx.Client()
        make().get("u", timeout=None)
     """, [5]),
    ("unknown-decorator", """
        import httpx
        from somewhere import wrap
        @wrap
        def make():
            return httpx.Client()
        make().get("u", timeout=None)
     """, [6]),
    ("async-factory-not-awaited", """
        import httpx
        async def make():
            return httpx.AsyncClient()
        make().get("u", timeout=None)
     """, [4]),
    ("factory-defined-twice", """
        import httpx
        def make():
            return httpx.Client()
        if FAST:
            def make():
                return httpx.Client(http2=True)
        make().get("u", timeout=None)
     """, [4, 7]),
    ("global-rebinding", """
        import httpx
        _client = None
        def make():
            return httpx.Client()
        def fetch():
            global _client
            _client = make()
            return _client.get("u", timeout=None)
     """, [5]),
    ("method-shadowed-by-an-instance-attribute", """
        import httpx
        class Api:
            def __init__(self, factory):
                self.make = factory
            def make(self):
                return httpx.Client()
            def call(self):
                return self.make().get("u", timeout=None)
     """, [7]),
    ("same-method-name-in-another-class", """
        import httpx
        class A:
            def get_client(self):
                return httpx.Client()
        class B(Base):
            def call(self):
                self.client = self.get_client()
                return self.client.get("u", timeout=None)
     """, [5]),
    ("same-method-name-on-another-object", """
        import httpx
        class A:
            def get_client(self):
                return httpx.Client()
            def call(self, other):
                return other.get_client().get("u", timeout=None)
     """, [5]),
]


@pytest.mark.parametrize(("case", "source", "defaults"), NOT_FOLLOWED, ids=[c[0] for c in NOT_FOLLOWED])
def test_what_is_ambiguous_is_not_followed(case: str, source: str, defaults: list[int]) -> None:
    violations = lint(source)
    assert [v.line for v in violations if v.code == "LL301"] == []
    assert [v.line for v in violations if v.code == "LL303"] == defaults


def test_same_method_name_in_another_class_does_not_drop_the_first_class_default() -> None:
    source = """
        import httpx
        class A:
            def get_client(self):
                return httpx.Client()
        class B:
            def get_client(self):
                return build_client()
            def call(self):
                self.client = self.get_client()
                return self.client.get("u", timeout=httpx.Timeout(600, connect=5))
    """
    assert found(source, "LL303") == [5]


def test_mutually_recursive_factories_end() -> None:
    source = """
        import httpx
        def a():
            return b()
        def b():
            return a()
        class C:
            def one(self):
                return self.two()
            def two(self):
                return self.one()
            def call(self):
                self.client = self.one()
                return self.client.get("u", timeout=None)
        a().get("u", timeout=None)
        httpx.Client().get("u", timeout=None)
    """
    assert found(source, "LL301") == [16]


def test_a_long_chain_of_factories_is_no_error() -> None:
    chain = "\n".join(f"def f{i}():\n    return f{i + 1}()" for i in range(2000))
    source = f"import httpx\n{chain}\ndef f2000():\n    return httpx.Client()\nf0().get('u')\n"
    assert found(source, "LL303") == [source.splitlines().index("    return httpx.Client()") + 1]
