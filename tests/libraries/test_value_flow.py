"""Values followed where real framework code puts them: each numbered pattern of the value-flow
work, as INVALID cases (the code, and a fragment of the message that names the value and how it
was chosen) and VALID cases (the same shape, well configured: no finding of those families)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lunalint.config import Policy, Settings
from lunalint.engine import check_paths
from lunalint.report import Violation
from support.lint import lint_all as lint  # what is read, judged strictly (streaming-scope all)

INVALID = {
    # 1. defaults of parameters and fields
    "parameter default None": ("""
        import openai
        def make_client(timeout: float | None = None) -> openai.OpenAI:
            return openai.OpenAI(timeout=timeout)
        """, "LL301", "by default: parameter `timeout` defaults to None"),
    "pydantic field default": ("""
        import httpx
        from pydantic import BaseModel, Field
        class Settings(BaseModel):
            request_timeout: float = Field(default=60.0)
            def client(self) -> httpx.Client:
                return httpx.Client(timeout=httpx.Timeout(self.request_timeout, connect=5))
        """, "LL302", "read timeout 60 s (by default: field `request_timeout` defaults to 60)"),
    "default object keeps its origin": ("""
        import httpx
        DEFAULT_TIMEOUT = httpx.Timeout(60, connect=5.0)
        def make(timeout=DEFAULT_TIMEOUT) -> httpx.Client:
            return httpx.Client(timeout=timeout)
        """, "LL302", "60 s (by default: parameter `timeout` defaults to DEFAULT_TIMEOUT)"),
    # 2. names bound on several paths
    "environment unset": ("""
        import os
        import openai
        if os.getenv("OPENAI_TIMEOUT"):
            TIMEOUT = float(os.environ["OPENAI_TIMEOUT"])
        else:
            TIMEOUT = None
        client = openai.OpenAI(timeout=TIMEOUT)
        """, "LL301", "with OPENAI_TIMEOUT unset"),
    "every value below the minimum": ("""
        import httpx
        def make(fast: bool) -> httpx.Client:
            if fast:
                timeout = 30
            else:
                timeout = 60
            return httpx.Client(timeout=httpx.Timeout(timeout, connect=5))
        """, "LL302", "read timeout 60 s (30 or 60 on different paths)"),
    "conditional expression, every value below": ("""
        import httpx
        def make(fast: bool) -> httpx.Client:
            return httpx.Client(timeout=httpx.Timeout(30 if fast else 60, connect=5))
        """, "LL302", "30 or 60 on different paths"),
    "every connect value too long": ("""
        import httpx
        def make(slow: bool) -> httpx.Client:
            return httpx.Client(timeout=httpx.Timeout(900, connect=45 if slow else 60))
        """, "LL402", "connect timeout 45 s (45 or 60 on different paths)"),
    "optional import rebound to None": ("""
        try:
            import httpx2
        except ImportError:
            httpx2 = None
        client = httpx2.Client()
        """, "LL303", "httpx2 default read timeout of 5 s"),
    "module from a lazy import helper": ("""
        from typing import Any
        def _import_aiohttp() -> Any:
            try:
                import aiohttp
                return aiohttp
            except ImportError as e:
                raise ImportError("pip install aiohttp") from e
        class Pty:
            async def open(self, url: str) -> None:
                aiohttp = _import_aiohttp()
                self.session = aiohttp.ClientSession()
        """, "LL303", "aiohttp default total timeout of 300 s"),
    # 3. keyword dictionaries built elsewhere
    "dict filled in a helper": ("""
        import httpx
        def kwargs(fast: bool) -> dict:
            kw = {"follow_redirects": True}
            if fast:
                kw["timeout"] = 30
            else:
                kw["timeout"] = 45
            return kw
        client = httpx.Client(**kwargs(True))
        """, "LL302", "read timeout 30 s"),
    # 4 and 10. client subclasses, the real value in the message
    "subclass sends no timeout": ("""
        from typing import Any
        import httpx
        class Api(httpx.AsyncClient):
            def __init__(self, **kwargs: Any) -> None:
                super().__init__(timeout=None, **kwargs)
        api = Api(base_url="https://x")
        """, "LL301", "Api (httpx.AsyncClient subclass) read timeout is disabled"),
    "subclass through a TYPE_CHECKING alias": ("""
        from typing import TYPE_CHECKING, Any
        import httpx
        DEFAULT_TIMEOUT = httpx.Timeout(timeout=60, connect=5.0)
        class _DefaultHttpxClient(httpx.Client):
            def __init__(self, **kwargs: Any) -> None:
                kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
                super().__init__(**kwargs)
        if TYPE_CHECKING:
            DefaultHttpxClient = httpx.Client
        else:
            DefaultHttpxClient = _DefaultHttpxClient
        class SyncHttpxClientWrapper(DefaultHttpxClient):
            def __del__(self) -> None:
                self.close()
        def build(timeout: "float | httpx.Timeout" = DEFAULT_TIMEOUT) -> httpx.Client:
            return SyncHttpxClientWrapper(base_url="https://x", timeout=timeout)
        """, "LL302", "_DefaultHttpxClient (httpx.Client subclass) read timeout 60 s"),
    # 6. transports in mounts=
    "mounted transport without expiry": ("""
        import httpx
        client = httpx.Client(timeout=httpx.Timeout(900, connect=5),
                              mounts={"all://": httpx.HTTPTransport(limits=httpx.Limits(keepalive_expiry=None))})
        """, "LL101", "pool idle expiry is unbounded"),
    # 7. requests without timeout=
    "requests call without timeout": ("""
        import requests
        r = requests.get("https://example.com")
        """, "LL401", "connect timeout is disabled (no timeout= argument: requests waits forever)"),
    "kwargs.pop default beside **kwargs": ("""
        import requests
        class Remote:
            def __init__(self, timeout: int = 30) -> None:
                self.timeout = timeout
                self.session = requests.Session()
            def _request(self, method: str, url: str, **kwargs: object) -> requests.Response:
                for _ in range(3):
                    return self.session.request(method, url, timeout=kwargs.pop("timeout", self.timeout), **kwargs)
                raise RuntimeError
        """, "LL302", "read timeout 30 s (by default: parameter `timeout` defaults to 30)"),
    "getattr default on self": ("""
        import requests
        from abc import ABC
        class Tool(ABC):
            name = "search"
        class Search(Tool):
            def search(self, q: str) -> requests.Response:
                return requests.post("https://x", json={"q": q}, timeout=getattr(self, "timeout", 30))
        """, "LL302", "read timeout 30 s (by default: `timeout` is not set, so getattr gives 30)"),
    "getattr finds the class attribute": ("""
        import requests
        class Search:
            timeout = 45
            def search(self) -> requests.Response:
                return requests.get("https://x", timeout=getattr(self, "timeout", 900))
        """, "LL402", "connect timeout 45 s"),
    "sentinel default tested by a predicate of another function": ("""
        from typing import cast
        import httpx
        class NotGiven:
            pass
        not_given = NotGiven()
        def is_given(obj: object) -> bool:
            return not isinstance(obj, NotGiven)
        DEFAULT_TIMEOUT = httpx.Timeout(timeout=60, connect=5.0)
        class Base:
            def __init__(self, timeout: "float | NotGiven" = not_given, http_client: httpx.Client | None = None):
                if not is_given(timeout):
                    if http_client and http_client.timeout != httpx.Timeout(5.0):
                        timeout = http_client.timeout
                    else:
                        timeout = DEFAULT_TIMEOUT
                self._client = http_client or httpx.Client(timeout=cast(httpx.Timeout, timeout))
        """, "LL302", "read timeout 60 s (when `timeout` is not passed"),
    "field default of an object passed in": ("""
        import httpx
        from pydantic import BaseModel
        class SSEServerParams(BaseModel):
            url: str
            timeout: float = 5
        class MCPClient:
            def __init__(self, sse_params: SSEServerParams) -> None:
                self._sse_params = sse_params
            def requires_auth(self) -> bool:
                return httpx.get(self._sse_params.url, timeout=self._sse_params.timeout).status_code == 401
        """, "LL302", "read timeout 5 s (by default: field `timeout` defaults to 5)"),
    "settings object passed in, with an `or` fallback": ("""
        import requests
        class ClientConfig:
            timeout: float | None = 600
        class Requestor:
            def __init__(self, client: ClientConfig | None) -> None:
                self.timeout = client.timeout or 30
                self.session = requests.Session()
            def get(self, url: str) -> requests.Response:
                return self.session.get(url, timeout=self.timeout)
        """, "LL402", "connect timeout 600 s (a single timeout value sets connect and read, by default: "
                     "field `timeout` defaults to 600)"),
    "shared pool made once, handed to the SDK": ("""
        import httpx2
        from openai import AsyncOpenAI, DefaultAsyncHttpx2Client
        _http_client: httpx2.AsyncClient | None = None
        def shared_http_client() -> httpx2.AsyncClient:
            global _http_client
            if _http_client is None:
                _http_client = DefaultAsyncHttpx2Client()
            return _http_client
        class Provider:
            def client(self) -> AsyncOpenAI:
                return AsyncOpenAI(api_key="k", http_client=shared_http_client())
        """, "LL201", "openai.AsyncOpenAI has no TCP keepalive (openai.DefaultAsyncHttpx2Client without transport="),
    "pool made on first use in an attribute": ("""
        import httpx
        from openai import AsyncOpenAI
        class Provider:
            def __init__(self) -> None:
                self._http: httpx.AsyncClient | None = None
            def http(self) -> httpx.AsyncClient:
                if self._http is None:
                    self._http = httpx.AsyncClient(timeout=30)
                return self._http
            def client(self) -> AsyncOpenAI:
                return AsyncOpenAI(http_client=self.http())
        """, "LL302", "openai.AsyncOpenAI read timeout 30 s (adopted from http_client"),
    "http_client built when the caller passes None": ("""
        import httpx2
        from openai import AsyncOpenAI
        def create_client(timeout: int = 600) -> httpx2.AsyncClient:
            return httpx2.AsyncClient(timeout=httpx2.Timeout(timeout, connect=5))
        class Provider:
            def _get_http_client(self, http_client: httpx2.AsyncClient | None) -> httpx2.AsyncClient:
                if http_client is None:
                    http_client = create_client()
                return http_client
            def _create(self, api_key: str, http_client: httpx2.AsyncClient | None) -> AsyncOpenAI:
                http_client = self._get_http_client(http_client)
                return AsyncOpenAI(api_key=api_key, http_client=http_client)
        """, "LL201", "openai.AsyncOpenAI has no TCP keepalive (httpx2.AsyncClient without transport="),
    "base class stores what the subclass passes to super().__init__": ("""
        from typing import Any, Optional, cast
        import requests
        class Toolkit:
            def __init__(self, name: str = "", timeout: Optional[int] = None, **kwargs: Any) -> None:
                if timeout is not None or not hasattr(self, "timeout"):
                    self.timeout = cast(Any, timeout)
        class Calendar(Toolkit):
            def __init__(self, timeout: int = 30, **kwargs: Any) -> None:
                super().__init__(name="calendar", timeout=timeout, **kwargs)
            def slots(self) -> requests.Response:
                return requests.get("https://x", timeout=self.timeout)
        """, "LL302", "read timeout 30 s (by default: parameter `timeout` defaults to 30)"),
    "keyword dict rebound from the parameter, passed to super().__init__": ("""
        from typing import Any
        import openai
        class OpenAIModel:
            def __init__(self, api_key: str | None = None, client_kwargs: dict[str, Any] | None = None) -> None:
                self.client_kwargs = {**(client_kwargs or {}), "api_key": api_key}
        class AzureModel(OpenAIModel):
            def __init__(self, api_version: str | None = None, client_kwargs: dict[str, Any] | None = None) -> None:
                client_kwargs = client_kwargs or {}
                client_kwargs.update({"api_version": api_version})
                super().__init__(client_kwargs=client_kwargs)
            def create_client(self) -> openai.AzureOpenAI:
                return openai.AzureOpenAI(**self.client_kwargs)
        """, "LL201", "openai.AzureOpenAI has no TCP keepalive"),
    "name rebound from a helper given its own default": ("""
        import httpx2
        from openai import AsyncOpenAI
        class Provider:
            def _get_http_client(self, http_client: httpx2.AsyncClient | None) -> httpx2.AsyncClient:
                if http_client is None:
                    http_client = httpx2.AsyncClient(timeout=httpx2.Timeout(600, connect=5))
                return http_client
            def __init__(self, http_client: httpx2.AsyncClient | None = None) -> None:
                http_client = self._get_http_client(http_client)
                self._client = AsyncOpenAI(http_client=http_client)
        """, "LL201", "openai.AsyncOpenAI has no TCP keepalive (httpx2.AsyncClient without transport="),
    # 8. SDK models: http_client from a helper
    "http_client from a helper": ("""
        import httpx2
        import openai
        def http_client() -> httpx2.Client:
            return httpx2.Client(timeout=30)
        client = openai.OpenAI(http_client=http_client())
        """, "LL302", "read timeout 30 s (adopted from http_client"),
    # 9. a request sent by hand, not built with a timeout: the client's default applies
    "send of a hand-built request": ("""
        import httpx
        class Api:
            def __init__(self) -> None:
                self._client = httpx.Client(base_url="https://x")
            def _send(self, method: str, url: str) -> httpx.Response:
                return self._client.send(httpx.Request(method, url))
        """, "LL303", "httpx default read timeout of 5 s"),
}

VALID = {
    "parameter default long enough": ("""
        import httpx
        def make(timeout: float = 900.0) -> httpx.Client:
            return httpx.Client(timeout=httpx.Timeout(timeout, connect=5))
        """, ("LL3", "LL4")),
    "one path long enough": ("""
        import httpx
        def make(fast: bool) -> httpx.Client:
            return httpx.Client(timeout=httpx.Timeout(30 if fast else 900, connect=5))
        """, ("LL3", "LL4")),
    "one connect path short enough": ("""
        import httpx
        def make(slow: bool) -> httpx.Client:
            return httpx.Client(timeout=httpx.Timeout(900, connect=60 if slow else 10))
        """, ("LL3", "LL4")),
    "unknown value on one path": ("""
        import httpx
        def make(fast: bool, given: float) -> httpx.Client:
            if fast:
                timeout = 30
            else:
                timeout = given
            return httpx.Client(timeout=httpx.Timeout(timeout, connect=5))
        """, ("LL3", "LL4")),
    "dict with the timeout in both arms": ("""
        import httpx
        def make(fast: bool) -> httpx.Client:
            kw = {}
            if fast:
                kw["timeout"] = httpx.Timeout(900, connect=5)
            else:
                kw["timeout"] = httpx.Timeout(900, connect=5)
            return httpx.Client(**kw)
        """, ("LL3", "LL4")),
    "session mounted twice: one keepalive finding": ("""
        import requests
        from requests.adapters import HTTPAdapter
        session = requests.Session()
        session.mount("https://", HTTPAdapter(max_retries=3))
        session.mount("http://", HTTPAdapter(max_retries=3))
        """, ("LL1", "LL3", "LL4")),
    # 9. every request goes through a wrapper that passes its own timeout
    "wrapper passes timeout on every request": ("""
        import httpx
        class Api:
            def __init__(self, timeout: float = 900.0) -> None:
                self._timeout = httpx.Timeout(timeout, connect=5)
                self._client = httpx.Client(base_url="https://x")
            def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
                return self._client.request(method, url, timeout=self._timeout, **kwargs)
            def get(self, url: str) -> httpx.Response:
                return self.request("GET", url)
        """, ("LL3", "LL4")),
    "requests built with a timeout, then sent": ("""
        import httpx
        class Api:
            def __init__(self) -> None:
                self._client = httpx.Client(base_url="https://x")
            def _send(self, method: str, url: str) -> httpx.Response:
                request = self._client.build_request(method, url, timeout=httpx.Timeout(900, connect=5))
                return self._client.send(request)
        """, ("LL3", "LL4")),
    "getattr on a class with a base lunalint cannot read": ("""
        import requests
        from somewhere import Base
        class Search(Base):
            def search(self) -> requests.Response:
                return requests.get("https://x", timeout=getattr(self, "timeout", 30))
        """, ("LL3", "LL4")),
    "sentinel default, the argument given long enough": ("""
        import httpx
        class NotGiven:
            pass
        not_given = NotGiven()
        def is_given(obj: object) -> bool:
            return not isinstance(obj, NotGiven)
        def make(timeout: "float | NotGiven" = 900.0) -> httpx.Client:
            if not is_given(timeout):
                timeout = 60
            return httpx.Client(timeout=httpx.Timeout(timeout, connect=5))
        """, ("LL3", "LL4")),
    "annotated with a class lunalint cannot read": ("""
        import httpx
        from somewhere import Settings
        def ping(cfg: Settings) -> httpx.Response:
            return httpx.get("https://x", timeout=cfg.timeout)
        """, ("LL3", "LL4")),
    "base class default replaced by the subclass's argument": ("""
        from typing import Any, Optional, cast
        import requests
        class Toolkit:
            def __init__(self, timeout: Optional[int] = None) -> None:
                self.timeout = cast(Any, timeout)
        class Search(Toolkit):
            def __init__(self, timeout: int = 900) -> None:
                super().__init__(timeout=timeout)
            def search(self) -> requests.Response:
                return requests.get("https://x", timeout=(5, self.timeout))
        """, ("LL3", "LL4")),
    "unknown parameter stays unknown": ("""
        import openai
        def make(timeout: float) -> openai.OpenAI:
            return openai.OpenAI(timeout=timeout)
        """, ("LL3", "LL4")),
}


@pytest.mark.parametrize(("code", "rule", "fragment"), INVALID.values(), ids=list(INVALID))
def test_invalid_reports_the_value(code: str, rule: str, fragment: str) -> None:
    messages = [v.message for v in lint(code) if v.code == rule]
    assert any(fragment in message for message in messages), messages


@pytest.mark.parametrize(("code", "families"), VALID.values(), ids=list(VALID))
def test_valid_has_no_finding(code: str, families: tuple[str, ...]) -> None:
    found = [v for v in lint(code) if v.code.startswith(families)]
    assert not found, [(v.code, v.message) for v in found]


def test_session_with_two_mounts_has_one_keepalive_finding() -> None:
    code = VALID["session mounted twice: one keepalive finding"][0]
    assert [v.code for v in lint(code) if v.code.startswith("LL2")] == ["LL201"]


# 5. across modules of the same project ------------------------------------------------------------
def _checked(root: Path) -> list[Violation]:
    """The findings in ``app/client.py`` of a run on the tree (imports of the tree are followed)."""
    report = check_paths([root], Settings(root=root, policy=Policy(streaming_scope="all")), jobs=1)
    return [v for v in report.violations if v.path.endswith("client.py")]


def _project(tmp_path: Path, client: str) -> Path:
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "config.py").write_text("REQUEST_TIMEOUT = 45\n")
    (package / "helpers.py").write_text(
        "import httpx\n\n"
        "def make_timeout(read: float, connect: float = 5.0) -> httpx.Timeout:\n"
        "    return httpx.Timeout(read, connect=connect)\n")
    path = package / "client.py"
    path.write_text(client)
    return path


@pytest.mark.parametrize(("client", "rule", "fragment"), [
    ("import httpx\nfrom .config import REQUEST_TIMEOUT\nc = httpx.Client(timeout=REQUEST_TIMEOUT)\n",
     "LL302", "read timeout 45 s"),
    ("import httpx\nfrom .helpers import make_timeout\nc = httpx.Client(timeout=make_timeout(30))\n",
     "LL302", "read timeout 30 s"),
    ("import httpx\nfrom .helpers import make_timeout\nc = httpx.Client(timeout=make_timeout(900, connect=60))\n",
     "LL402", "connect timeout 60 s"),
], ids=["constant", "helper with an argument", "helper with a keyword argument"])
def test_values_from_other_modules(tmp_path: Path, client: str, rule: str, fragment: str) -> None:
    _project(tmp_path, client)
    messages = [v.message for v in _checked(tmp_path) if v.code == rule]
    assert any(fragment in message for message in messages), messages


def test_helper_of_another_module_with_a_long_timeout_passes(tmp_path: Path) -> None:
    client = "import httpx\nfrom .helpers import make_timeout\nc = httpx.Client(timeout=make_timeout(900))\n"
    _project(tmp_path, client)
    assert not [v for v in _checked(tmp_path) if v.code.startswith(("LL3", "LL4"))]


def test_helpers_calling_helpers_are_followed_once_per_argument(tmp_path: Path) -> None:
    """A helper calling helpers, called from many places with the same argument: followed once per
    argument value (and within the nesting bound), so the value comes out for each client."""
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    levels = 3
    lines = ["import httpx\n\n", "def level0(read):\n    return httpx.Timeout(read, connect=5)\n\n"]
    for level in range(1, levels):
        lines.append(f"def level{level}(read):\n    a = level{level - 1}(read)\n    b = level{level - 1}(read)\n"
                     f"    return level{level - 1}(read)\n\n")
    (package / "helpers.py").write_text("".join(lines))
    clients = "".join(f"c{index} = httpx.Client(timeout=level{levels - 1}(45))\n" for index in range(100))
    (package / "client.py").write_text(f"import httpx\nfrom .helpers import level{levels - 1}\n{clients}")
    messages = [v.message for v in _checked(tmp_path) if v.code == "LL302"]
    assert len([m for m in messages if "read timeout 45 s" in m]) == 100, messages
