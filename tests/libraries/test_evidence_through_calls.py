"""Evidence that reaches a request through calls: a body built by a method that subclasses
implement (in the module or in other modules of the tree), and a client handed to a method of
its class directly, inside a comprehension, through a retry wrapper applied by hand or through
``functools.partial``. Each case asserts the timeout and the evidence in the message; each
negative case asserts that the strict scope still reports the timeout, so that the default
scope's silence is the evidence's doing."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest
from lunalint.config import Policy, Settings
from lunalint.engine import check_paths
from support.lint import lint
from support.package import messages_in, write_package

BASE = """
    import abc

    import requests


    class TemplateAPI(abc.ABC):
        def __init__(self, url, timeout: int = 300):
            self.url = url
            self.timeout = int(timeout)

        @abc.abstractmethod
        def _create_payload(self, messages, *, generate=True, **kwargs) -> dict:
            raise NotImplementedError

        def model_call(self, messages):
            response = requests.post(self.url, json=self._create_payload(messages), timeout=self.timeout)
            return response.json()
    """


# Bodies built by a method: (the subclass module, the evidence shown) ----------------------------------
SUBCLASSES = {
    "subclass in another module": ("""
        from pkg.base import TemplateAPI


        class Completions(TemplateAPI):
            def _create_payload(self, messages, generate=False, **kwargs):
                return {"prompt": messages, "max_tokens": 256, "logprobs": 1}
        """, "`Completions._create_payload` returns `prompt`, `max_tokens` in pkg/chat.py:5"),
    "imported under another name, body built in steps": ("""
        from pkg.base import TemplateAPI as Base


        class Chat(Base):
            def _create_payload(self, messages, generate=False, **kwargs):
                body = {"model": "m"}
                body["messages"] = messages
                return body
        """, "`Chat._create_payload` returns `messages` in pkg/chat.py:5"),
    "subclass of a subclass": ("""
        from pkg.base import TemplateAPI


        class Local(TemplateAPI):
            def _create_payload(self, messages, generate=False, **kwargs):
                return {"input": messages}


        class LocalChat(Local):
            def _create_payload(self, messages, generate=False, **kwargs):
                return {"messages": messages, "stream": False}
        """, "`LocalChat._create_payload` returns `messages`, `stream` in pkg/chat.py:10"),
    "module imported, class named through it": ("""
        from pkg import base


        class Chat(base.TemplateAPI):
            def _create_payload(self, messages, **kwargs):
                return dict(messages=messages, max_tokens=8)
        """, "`Chat._create_payload` returns `messages`, `max_tokens` in pkg/chat.py:5"),
}


@pytest.mark.parametrize(("subclass", "evidence"), SUBCLASSES.values(), ids=SUBCLASSES.keys())
def test_a_body_a_subclass_builds_elsewhere_is_evidence(tmp_path: Path, subclass: str, evidence: str) -> None:
    write_package(tmp_path, {"pkg/base.py": BASE, "pkg/chat.py": subclass})
    [(line, message)] = messages_in(check_paths([tmp_path], Settings(root=tmp_path)), "pkg/base.py")
    assert line == 16
    assert "read timeout 300 s" in message
    assert message.endswith(f"model-body: `json=` is `self._create_payload(...)`; {evidence}")


def test_a_subclass_in_the_same_module_is_read_too() -> None:
    source = textwrap.dedent("""
        import httpx


        class Base:
            def __init__(self):
                self.http = httpx.Client(timeout=45)

            def payload(self, prompt):
                return {"input": prompt}

            def send(self, prompt):
                body = self.payload(prompt)
                return self.http.post("/run", json=body)


        class Generation(Base):
            def payload(self, prompt):
                return {"prompt": prompt, "max_new_tokens": 64}
        """)
    [message] = [v.message for v in lint(source) if v.code == "LL302"]
    assert message.startswith("httpx.Client read timeout 45 s is below the streaming minimum of 600 s")
    assert message.endswith("model-body: `json=` is `self.payload(...)`; "
                            "`Generation.payload` returns `prompt`, `max_new_tokens` at line 18")


SHORT_BODIES = {
    "subclass returns a search body": """
        from pkg.base import TemplateAPI


        class Search(TemplateAPI):
            def _create_payload(self, messages, **kwargs):
                return {"query": messages, "limit": 10}
        """,
    "same class name in a module that does not import the base": """
        import abc


        class TemplateAPI(abc.ABC):
            pass


        class Chat(TemplateAPI):
            def _create_payload(self, messages, **kwargs):
                return {"messages": messages}
        """,
}


@pytest.mark.parametrize("subclass", SHORT_BODIES.values(), ids=SHORT_BODIES.keys())
def test_implementations_without_a_model_body_are_no_evidence(tmp_path: Path, subclass: str) -> None:
    write_package(tmp_path, {"pkg/base.py": BASE, "pkg/chat.py": subclass})
    assert messages_in(check_paths([tmp_path], Settings(root=tmp_path)), "pkg/base.py") == []
    [(_, strict)] = messages_in(check_paths([tmp_path], Settings(root=tmp_path, policy=Policy(streaming_scope="all"))),
                              "pkg/base.py")
    assert "read timeout 300 s" in strict


def test_a_change_in_a_subclass_module_invalidates_the_result(tmp_path: Path) -> None:
    write_package(tmp_path, {"pkg/base.py": BASE, "pkg/chat.py": SUBCLASSES["subclass in another module"][0]})
    settings, cache = Settings(root=tmp_path), tmp_path / ".cache"
    assert len(messages_in(check_paths([tmp_path], settings, cache_dir=cache), "pkg/base.py")) == 1
    time.sleep(0.01)
    write_package(tmp_path, {"pkg/chat.py": SHORT_BODIES["subclass returns a search body"]})
    assert messages_in(check_paths([tmp_path], settings, cache_dir=cache), "pkg/base.py") == []


# Clients handed to a method: the session is a parameter of the method that makes the request ----------
METHOD = """
    import asyncio
    import functools

    from aiohttp import ClientSession, ClientTimeout
    from tenacity import retry, stop_after_attempt


    class Api:
        async def call(self, session, messages):
            async with session.post("http://localhost:8000/run", json={"messages": messages}) as r:
                return await r.json()

        async def run(self, items):
            async with ClientSession(timeout=ClientTimeout(total=120)) as session:
                {}
    """
HANDED = {
    "retry wrapper applied by hand": """retry_ = retry(stop=stop_after_attempt(3))(self.call)
                return await asyncio.gather(*[retry_(session=session, messages=m) for m in items])""",
    "functools.partial": """send = functools.partial(self.call, session)
                return await asyncio.gather(*[send(m) for m in items])""",
    "partial called with the session": """return await asyncio.gather(
                    *[functools.partial(self.call, session, m)() for m in items])""",
    "method called in a comprehension": """return await asyncio.gather(*[self.call(session, m) for m in items])""",
    "method awaited in a loop": """for m in items:
                    await self.call(session, messages=m)""",
}


@pytest.mark.parametrize("body", HANDED.values(), ids=HANDED.keys())
def test_a_session_handed_to_a_method_gets_the_evidence_of_its_requests(body: str) -> None:
    source = textwrap.dedent(METHOD.replace("{}", body))
    [message] = [v.message for v in lint(source) if v.code == "LL302"]
    assert message.startswith("aiohttp.ClientSession total timeout 120 s is below the streaming minimum")
    assert message.endswith("model-body: `json=` has `messages` at line 11")


def test_a_partial_that_fills_the_first_parameter_shifts_the_others() -> None:
    source = textwrap.dedent("""
        import functools

        import httpx


        def post(url, client, body):
            return client.post(url, json={"prompt": body})


        def search(url, client):
            return client.get(url)


        def run(items):
            with httpx.Client(timeout=25) as client:
                send = functools.partial(post, "http://localhost/run")
                find = functools.partial(search, "http://localhost/find")
                return [send(client, item) for item in items] + [find(client) for item in items]
        """)
    [message] = [v.message for v in lint(source) if v.code == "LL302"]
    assert message.startswith("httpx.Client read timeout 25 s")
    assert message.endswith("model-body: `json=` has `prompt` at line 8")


# URLs and bodies that are parameters of a helper: what the helper's calls pass ---------------------------
HELPER = """
    import requests


    class Api:
        def __init__(self, base):
            self.base = base
            self.session = requests.Session()

        def _post(self, path, payload=None, *, stream=False):
            response = self.session.post(self.base + path, json=payload, timeout=60)
            return response.json()

        def {}
    """
THROUGH_HELPER = {
    "path passed": ("""chat(self, messages):
            return self._post("/chat/completions", {"model": "m"})""",
                    "model-endpoint: `{}/chat/completions` at line 15"),
    "body passed by keyword": ("""complete(self, text):
            return self._post("/run", payload={"prompt": text, "max_tokens": 5})""",
                               "model-body: `json=` has `prompt`, `max_tokens` (the `payload` passed) at line 15"),
    "body named before the call": ("""complete(self, text):
            body = {"messages": [{"role": "user", "content": text}]}
            return self._post("/agent", body)""", "model-body: `json=` has `messages` (the `payload` passed) at line 16"),
}


@pytest.mark.parametrize(("caller", "evidence"), THROUGH_HELPER.values(), ids=THROUGH_HELPER.keys())
def test_what_a_helpers_callers_pass_is_evidence_of_its_request(caller: str, evidence: str) -> None:
    source = textwrap.dedent(HELPER.replace("{}", caller))
    [message] = [v.message for v in lint(source) if v.code == "LL302"]
    assert message.startswith("Session.post() read timeout 60 s")
    assert message.endswith(evidence)


def test_a_helper_whose_callers_pass_short_requests_gives_no_evidence() -> None:
    source = textwrap.dedent(HELPER.replace("{}", """search(self, q):
            return self._post("/search", {"q": q}) or self._post("/v1/models")"""))
    assert [v.code for v in lint(source) if v.code == "LL302"] == []
    [strict] = [v.message for v in lint(source, streaming_scope="all") if v.code == "LL302"]
    assert "read timeout 60 s" in strict


def test_a_parameter_default_counts_for_calls_that_pass_nothing() -> None:
    source = textwrap.dedent("""
        import httpx


        def send(client, body, path="/v1/messages"):
            return client.post(path, json=body)


        def run():
            client = httpx.Client(timeout=62)
            send(client, {"x": 1})
            send(client, {"y": 2})
        """)
    [message] = [v.message for v in lint(source) if v.code == "LL302"]
    assert message.startswith("httpx.Client read timeout 62 s")
    assert message.endswith("model-endpoint: `/v1/messages` at line 6")


def test_a_static_method_called_on_self_fills_no_parameter() -> None:
    source = textwrap.dedent("""
        import httpx


        class Api:
            client = httpx.Client(timeout=63)

            @staticmethod
            def send(path, body):
                return Api.client.post(path, json=body)

            def chat(self):
                return self.send("/x", {"messages": []})
        """)
    [message] = [v.message for v in lint(source) if v.code == "LL302"]
    assert message.endswith("model-body: `json=` has `messages` (the `body` passed) at line 13")


# A client a base class stores on self, used by subclasses in other modules ------------------------------
STORED = """
    import httpx


    class Base:
        shared = httpx.Client(timeout=40)

        def __init__(self, base_url):
            self.client = httpx.AsyncClient(base_url=base_url, timeout=60)
    """
USERS = {
    "subclass streams on self.client": ("""
        from pkg.base import Base


        class Chat(Base):
            async def events(self, body):
                async with self.client.stream("POST", "/v1/chat/completions", json=body) as response:
                    return [line async for line in response.aiter_lines()]
        """, 8, "60 s", "streams: `self.client.stream(...)` in pkg/chat.py:6"),
    "subclass of a subclass, class attribute": ("""
        from pkg import base


        class Middle(base.Base):
            pass


        class Generate(Middle):
            def run(self, prompt):
                return self.shared.post("/generate", json={"prompt": prompt})
        """, 5, "40 s", "model-endpoint: `/generate` in pkg/chat.py:10"),
}


@pytest.mark.parametrize(("uses", "line", "seconds", "evidence"), USERS.values(), ids=USERS.keys())
def test_a_client_stored_on_self_gets_the_evidence_of_subclasses_elsewhere(
        tmp_path: Path, uses: str, line: int, seconds: str, evidence: str) -> None:
    write_package(tmp_path, {"pkg/base.py": STORED, "pkg/chat.py": uses})
    [(found, message)] = messages_in(check_paths([tmp_path], Settings(root=tmp_path)), "pkg/base.py")
    assert found == line
    assert f"read timeout {seconds}" in message
    assert message.endswith(evidence)


def test_subclasses_that_make_short_requests_give_no_evidence(tmp_path: Path) -> None:
    write_package(tmp_path, {"pkg/base.py": STORED, "pkg/chat.py": """
        from pkg.base import Base


        class Health(Base):
            async def ping(self):
                return await self.client.get("/health")
        """})
    assert messages_in(check_paths([tmp_path], Settings(root=tmp_path)), "pkg/base.py") == []
    strict = messages_in(check_paths([tmp_path], Settings(root=tmp_path, policy=Policy(streaming_scope="all"))),
                       "pkg/base.py")
    assert sorted(line for line, _ in strict) == [5, 8]


# A request method handed to a function that calls it ---------------------------------------------------
HANDED_METHODS = {
    "helper of the class": ("""
        import httpx


        class Model:
            def __init__(self, url):
                self.url = url
                self.client = httpx.Client(timeout=180)

            def _call_client(self, call, *args, **kwargs):
                return call(*args, **kwargs)

            def run(self, prompt):
                data = {"model": "m", "prompt": prompt, "stream": False}
                return self._call_client(self.client.post, f"{self.url}/api/generate", json=data)
        """, "httpx.Client", 15),
    "a thread": ("""
        import asyncio

        import requests


        class Model:
            def __init__(self, url):
                self.url = url
                self.client = requests.Session()

            async def run(self, prompt):
                return await asyncio.to_thread(self.client.post, f"{self.url}/api/generate",
                                               json={"prompt": prompt}, timeout=180)
        """, "Session.post()", 13),
}


@pytest.mark.parametrize(("source", "label", "line"), HANDED_METHODS.values(), ids=HANDED_METHODS.keys())
def test_a_request_method_handed_to_a_caller_is_a_request(source: str, label: str, line: int) -> None:
    [message] = [v.message for v in lint(textwrap.dedent(source)) if v.code == "LL302"]
    assert message.startswith(f"{label} read timeout 180 s is below the streaming minimum")
    assert message.endswith(f"model-endpoint: `{{}}/api/generate` at line {line}")


def test_a_read_method_handed_to_a_caller_is_no_evidence() -> None:
    source = textwrap.dedent("""
        import asyncio

        import httpx

        client = httpx.AsyncClient(timeout=30)


        async def health(url):
            return await asyncio.to_thread(client.get, f"{url}/api/generate")
        """)
    assert [v.code for v in lint(source) if v.code == "LL302"] == []
    [strict] = [v.message for v in lint(source, streaming_scope="all") if v.code == "LL302"]
    assert "read timeout 30 s" in strict


# A request helper of one module called from others --------------------------------------------------
HELPERS = """
    import requests


    class HttpClient:
        def __init__(self, base):
            self.base = base

        def request(self, method, path, json_body=None, stream=False):
            return requests.request(method, self.base + path, json=json_body, stream=stream, timeout=(5, 60))


    def post(url, payload):
        return requests.post(url, json=payload, timeout=30)
    """
CALLS = {
    "method on a parameter annotated with the class": ("""
        from pkg.helpers import HttpClient


        def chat(client: HttpClient, chat_id, payload):
            return client.request("POST", f"/openai/{chat_id}/chat/completions", json_body=payload)
        """, 9, "read timeout 60 s", "model-endpoint: `{}/openai/{}/chat/completions` in pkg/app.py:5"),
    "method on an instance, stream passed": ("""
        from pkg import helpers


        def events(run):
            client = helpers.HttpClient("http://localhost:8283")
            return client.request("GET", f"/v1/runs/{run}/stream", stream=True)
        """, 9, "read timeout 60 s", "streams: `stream=True` (the `stream` passed) in pkg/app.py:6"),
    "function, body passed": ("""
        from pkg.helpers import post


        def complete(text):
            return post("http://localhost:8080/run", {"prompt": text, "max_tokens": 5})
        """, 13, "read timeout 30 s", "model-body: `json=` has `prompt`, `max_tokens` (the `payload` passed) in "
                                      "pkg/app.py:5"),
}


@pytest.mark.parametrize(("app", "line", "timeout", "evidence"), CALLS.values(), ids=CALLS.keys())
def test_what_other_modules_pass_to_a_request_helper_is_evidence(
        tmp_path: Path, app: str, line: int, timeout: str, evidence: str) -> None:
    write_package(tmp_path, {"pkg/helpers.py": HELPERS, "pkg/app.py": app})
    [(found, message)] = messages_in(check_paths([tmp_path], Settings(root=tmp_path)), "pkg/helpers.py")
    assert found == line
    assert timeout in message
    assert message.endswith(evidence)


def test_short_requests_through_a_helper_elsewhere_are_no_evidence(tmp_path: Path) -> None:
    write_package(tmp_path, {"pkg/helpers.py": HELPERS, "pkg/app.py": """
        from pkg.helpers import HttpClient, post


        def users(client: HttpClient):
            return client.request("POST", "/api/users", json_body={"name": "x"})


        def hook():
            return post("https://hooks.example.com/x", {"text": "deployed"})
        """})
    assert messages_in(check_paths([tmp_path], Settings(root=tmp_path)), "pkg/helpers.py") == []
    strict = messages_in(check_paths([tmp_path], Settings(root=tmp_path, policy=Policy(streaming_scope="all"))),
                       "pkg/helpers.py")
    assert sorted(line for line, _ in strict) == [9, 13]
