"""Client objects bound to a name or to ``self.<attr>`` are followed to the calls made on them."""

from __future__ import annotations

import pytest
from support.lint import lint_all as lint  # which clients are followed, judged strictly


def found(source: str, code: str) -> list[int]:
    return [v.line for v in lint(source) if v.code == code]


FOLLOWED = [
    ("httpx-local-name", """
        import httpx
        def f():
            client = httpx.Client(timeout=httpx.Timeout(600, connect=5))
            return client.get("u", timeout=None)
     """, "LL301", 5),
    ("requests-session-in-function", """
        import requests
        def f():
            session = requests.Session()
            return session.get("u")
     """, "LL301", 5),
    ("requests-module-level-session", """
        import requests
        SESSION = requests.Session()
        def f():
            return SESSION.post("u", json={})
     """, "LL301", 5),
    ("requests-self-session", """
        import requests
        class Api:
            def __init__(self):
                self.session = requests.Session()
            def call(self):
                return self.session.get("u")
     """, "LL301", 7),
    ("requests-self-session-none-first", """
        import requests
        class Api:
            def __init__(self):
                self._session = None
            def connect(self):
                self._session = requests.Session()
            def call(self):
                return self._session.get("u")
     """, "LL301", 9),
    ("aiohttp-async-with", """
        import aiohttp
        async def f():
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=600, sock_connect=5)) as s:
                async with s.get("u", timeout=None) as r:
                    return await r.text()
     """, "LL301", 5),
    ("openai-with-options", """
        import openai
        class Llm:
            def __init__(self):
                self.client = openai.OpenAI()
            def ask(self):
                return self.client.with_options(timeout=30).chat.completions.create(model="m", messages=[])
     """, "LL302", 7),
    ("anthropic-chain-on-self", """
        import anthropic
        class Llm:
            def __init__(self):
                self.client = anthropic.AsyncAnthropic()
            async def ask(self):
                return await self.client.messages.create(model="m", max_tokens=1, messages=[], timeout=None)
     """, "LL301", 7),
    ("walrus-and-annotated", """
        import requests
        def f():
            session: requests.Session = requests.Session()
            return session.get("u")
     """, "LL301", 5),
]


@pytest.mark.parametrize(("case", "source", "code", "line"), FOLLOWED, ids=[c[0] for c in FOLLOWED])
def test_client_is_followed_to_its_calls(case: str, source: str, code: str, line: int) -> None:
    assert line in found(source, code), [(v.code, v.line, v.message) for v in lint(source)]


NOT_FOLLOWED = [
    ("rebound-name", """
        import requests
        def f(flag):
            session = requests.Session()
            if flag:
                session = make_other()
            return session.get("u")
     """),
    ("parameter", """
        import requests
        def f(session: requests.Session):
            return session.get("u")
     """),
    ("self-attr-assigned-twice", """
        import requests
        class Api:
            def __init__(self):
                self.session = requests.Session()
            def reset(self, other):
                self.session = other
            def call(self):
                return self.session.get("u")
     """),
    ("other-class-self", """
        import requests
        class A:
            def __init__(self):
                self.session = requests.Session()
        class B:
            def call(self):
                return self.session.get("u")
     """),
    ("dict-get-is-not-a-request", """
        import requests
        config = {}
        config.get("timeout")
     """),
    ("returned-from-unknown-factory", """
        import requests
        def f():
            session = build_session()
            return session.get("u")
     """),
]


@pytest.mark.parametrize(("case", "source"), NOT_FOLLOWED, ids=[c[0] for c in NOT_FOLLOWED])
def test_what_cannot_be_known_is_not_reported(case: str, source: str) -> None:
    assert found(source, "LL301") == []


def test_session_timeout_assignment_on_self() -> None:
    source = """
        import requests
        class Api:
            def __init__(self):
                self.session = requests.Session()
                self.session.timeout = 30
    """
    [violation] = [v for v in lint(source) if v.code == "LL301"]
    assert violation.line == 6 and "session.timeout = 30 is ignored" in violation.message


def test_assigning_timeout_on_other_objects_is_not_reported() -> None:
    source = """
        import requests
        class Config:
            pass
        c = Config()
        c.timeout = 30
    """
    assert lint(source) == []


def test_per_request_override_on_a_session_with_a_good_timeout_is_judged_on_its_own() -> None:
    source = """
        import httpx
        client = httpx.Client(timeout=httpx.Timeout(600, connect=5),
                              transport=httpx.HTTPTransport(limits=httpx.Limits(keepalive_expiry=30)))
        client.post("u", timeout=httpx.Timeout(600, connect=5))
        client.post("u", timeout=5)
    """
    assert found(source, "LL302") == [6]
