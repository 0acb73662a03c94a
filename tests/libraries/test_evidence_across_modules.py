"""Evidence across modules: a client made in one module of the tree and used in another gets the
evidence of that use (a stream, a model endpoint or body, a hand-over to an LLM SDK), named with
where it is; a client whose uses elsewhere show none keeps no streaming finding. Each shape by
which code reaches a client made elsewhere has a case: a module-level object (imported by name, as
a module attribute, relatively), a factory's return, a global filled in a function and returned by
a getter, and a setter that stores a client in a global another module reads through a getter."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from lunalint.config import Policy, Settings
from lunalint.engine import check_paths
from support.package import messages_in, write_package

CLIENTS = """
    import httpx

    client = httpx.AsyncClient(timeout=30)


    def make_client():
        return httpx.AsyncClient(timeout=20)


    _default = None
    _shared = None


    def set_default(c):
        global _default
        _default = c


    def get_default():
        return _default


    def get_shared():
        global _shared
        if _shared is None:
            _shared = httpx.AsyncClient(timeout=httpx.Timeout(40.0))
        return _shared


    async def make_async():
        return httpx.AsyncClient(timeout=50)
    """


# (uses in pkg/models.py, the file and line of the client, the read timeout, the evidence shown)
SHAPES = {
    "module-level object, streamed": ("""
        from pkg.clients import client

        async def chat(url):
            async with client.stream("POST", url) as response:
                async for line in response.aiter_lines():
                    print(line)
        """, "pkg/clients.py", 3, "30 s", "streams: `client.stream(...)` in pkg/models.py:4"),
    "module attribute, model body": ("""
        from pkg import clients

        async def complete(url, prompt):
            return await clients.client.post(url, json={"model": "m", "messages": prompt})
        """, "pkg/clients.py", 3, "30 s", "model-body: `json=` has `messages` in pkg/models.py:4"),
    "relative import, model endpoint": ("""
        from .clients import client as shared

        async def complete():
            return await shared.post("https://api.openai.com/v1/chat/completions")
        """, "pkg/clients.py", 3, "30 s",
        "model-endpoint: `https://api.openai.com/v1/chat/completions` in pkg/models.py:4"),
    "factory's return, handed to an SDK": ("""
        from openai import AsyncOpenAI
        from pkg.clients import make_client

        def sdk():
            return AsyncOpenAI(http_client=make_client())
        """, "pkg/clients.py", 7, "20 s", "sdk: handed to `AsyncOpenAI(...)` in pkg/models.py:5"),
    "factory's result bound to a name, then streamed": ("""
        from pkg.clients import make_client

        class Api:
            def __init__(self):
                self.http = make_client()

            async def events(self, url):
                async with self.http.stream("GET", url) as response:
                    return [line async for line in response.aiter_lines()]
        """, "pkg/clients.py", 7, "20 s", "streams: `self.http.stream(...)` in pkg/models.py:8"),
    "plain import with an alias": ("""
        import pkg.clients as shared

        async def chat(url):
            async with shared.client.stream("POST", url) as response:
                return await response.aread()
        """, "pkg/clients.py", 3, "30 s", "streams: `shared.client.stream(...)` in pkg/models.py:4"),
    "async factory, awaited": ("""
        from pkg.clients import make_async

        async def chat(url):
            client = await make_async()
            return await client.post(url, json={"prompt": "hi", "max_tokens": 9})
        """, "pkg/clients.py", 31, "50 s", "model-body: `json=` has `prompt`, `max_tokens` in pkg/models.py:5"),
    "global filled in a getter": ("""
        from pkg.clients import get_shared

        async def chat(url):
            client = get_shared()
            async with client.stream("POST", url) as response:
                return await response.aread()
        """, "pkg/clients.py", 26, "40 s", "streams: `client.stream(...)` in pkg/models.py:5"),
}


@pytest.mark.parametrize("uses, path, line, seconds, evidence", SHAPES.values(), ids=SHAPES.keys())
def test_a_client_gets_the_evidence_of_its_uses_in_other_modules(
        tmp_path: Path, uses: str, path: str, line: int, seconds: str, evidence: str) -> None:
    write_package(tmp_path, {"pkg/clients.py": CLIENTS, "pkg/models.py": uses})
    report = check_paths([tmp_path], Settings(root=tmp_path))
    found = messages_in(report, path)
    assert [found_line for found_line, _ in found] == [line]
    message = found[0][1]
    assert f"read timeout {seconds} is below the streaming minimum of 600 s" in message
    assert message.endswith(f"; {evidence}")


def test_a_client_handed_to_a_setter_gets_the_evidence_of_the_getter_uses(tmp_path: Path) -> None:
    """app.py makes a client and hands it to ``set_default``, which stores it in a global of
    pkg/clients.py; ``get_default()`` gives it to an SDK in pkg/models.py."""
    write_package(tmp_path, {"pkg/clients.py": CLIENTS, "pkg/models.py": """
        from openai import AsyncOpenAI
        from pkg.clients import get_default

        def sdk():
            params = {"api_key": "k"}
            params["http_client"] = get_default()
            return AsyncOpenAI(**params)
        """, "app.py": """
        import httpx
        from pkg.clients import set_default

        mine = httpx.AsyncClient(timeout=httpx.Timeout(45.0))
        set_default(mine)
        """})
    report = check_paths([tmp_path], Settings(root=tmp_path))
    [(line, message)] = messages_in(report, "app.py")
    assert line == 4
    assert "read timeout 45 s is below the streaming minimum" in message
    assert message.endswith("; sdk: handed to `AsyncOpenAI(...)` in pkg/models.py:7")


VALID = {
    "used elsewhere for a health check only": ("""
        from pkg.clients import client

        async def healthy(url):
            return (await client.get(url + "/health")).status_code == 200
        """),
    "not used elsewhere": ("""
        import os
        print(os.name)
        """),
    "the name imported from another module of the same name": ("""
        from other.clients import client

        async def chat(url):
            async with client.stream("POST", url) as response:
                return await response.aread()
        """),
}


@pytest.mark.parametrize("uses", VALID.values(), ids=VALID.keys())
def test_no_evidence_elsewhere_no_streaming_finding(tmp_path: Path, uses: str) -> None:
    write_package(tmp_path, {"pkg/clients.py": CLIENTS, "pkg/models.py": uses,
                     "other/__init__.py": "", "other/clients.py": "client = None\n"})
    report = check_paths([tmp_path], Settings(root=tmp_path))
    assert messages_in(report, "pkg/clients.py") == []
    strict = check_paths([tmp_path], Settings(root=tmp_path, policy=Policy(streaming_scope="all")))
    assert [line for line, _ in messages_in(strict, "pkg/clients.py")] == [3, 7, 26, 31]


def test_a_default_timeout_counts_only_where_requests_elsewhere_use_it(tmp_path: Path) -> None:
    """A stream elsewhere that passes its own timeout never uses the client's default one."""
    clients = "import httpx\n\nclient = httpx.Client()\n"
    own = "from pkg.clients import client\n\ndef run(url):\n    with client.stream('GET', url, timeout=None) as r:\n" \
          "        return r.read()\n"
    write_package(tmp_path, {"pkg/clients.py": clients, "pkg/models.py": own})
    assert messages_in(check_paths([tmp_path], Settings(root=tmp_path)), "pkg/clients.py", "LL303") == []
    (tmp_path / "pkg" / "models.py").write_text(own.replace(", timeout=None", ""), encoding="utf-8")
    [(line, message)] = messages_in(check_paths([tmp_path], Settings(root=tmp_path)), "pkg/clients.py", "LL303")
    assert line == 3 and "default read timeout of 5 s" in message
    assert message.endswith("; streams: `client.stream(...)` in pkg/models.py:4")


# The cache: the result of clients.py depends on models.py --------------------------------------------
STREAMING = "from pkg.clients import client\n\nasync def chat(url):\n    async with client.stream('POST', url) as r:\n" \
            "        return await r.aread()\n"
PROBING = STREAMING.replace("async with client.stream('POST', url) as r:\n        return await r.aread()",
                            "return await client.get(url)")


def _backdate(root: Path) -> None:
    old = time.time() - 60
    for directory, _, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(directory, name), (old, old))


@pytest.mark.parametrize("jobs, fillers", [(1, 0), (2, 64)], ids=["one process", "workers"])
def test_a_change_in_a_module_using_the_client_invalidates_the_result(tmp_path: Path, jobs: int,
                                                                     fillers: int) -> None:
    files = {"pkg/clients.py": "import httpx\n\nclient = httpx.AsyncClient(timeout=30)\n", "pkg/models.py": STREAMING}
    files.update({f"pkg/filler{index}.py": "import os\n" for index in range(fillers)})
    write_package(tmp_path, files)
    _backdate(tmp_path)
    settings, cache = Settings(root=tmp_path), tmp_path / ".cache"
    assert [line for line, _ in messages_in(check_paths([tmp_path], settings, jobs=jobs, cache_dir=cache),
                                          "pkg/clients.py")] == [3]
    assert len(messages_in(check_paths([tmp_path], settings, jobs=jobs, cache_dir=cache), "pkg/clients.py")) == 1
    (tmp_path / "pkg" / "models.py").write_text(PROBING, encoding="utf-8")
    _backdate(tmp_path)
    assert messages_in(check_paths([tmp_path], settings, jobs=jobs, cache_dir=cache), "pkg/clients.py") == []
    (tmp_path / "pkg" / "models.py").write_text(STREAMING, encoding="utf-8")
    _backdate(tmp_path)
    assert len(messages_in(check_paths([tmp_path], settings, jobs=jobs, cache_dir=cache), "pkg/clients.py")) == 1


def test_a_using_module_rewritten_within_the_timestamp_granularity_is_seen(tmp_path: Path) -> None:
    """The racy-stat rule holds for the modules evidence was read from: same size, same time,
    other content."""
    streaming_post = STREAMING.replace("'POST'", "'PUT'")
    write_package(tmp_path, {"pkg/clients.py": "import httpx\n\nclient = httpx.AsyncClient(timeout=30)\n",
                     "pkg/models.py": streaming_post})
    old = time.time() - 60
    os.utime(tmp_path / "pkg" / "clients.py", (old, old))
    settings, cache = Settings(root=tmp_path), tmp_path / ".cache"
    assert len(messages_in(check_paths([tmp_path], settings, cache_dir=cache), "pkg/clients.py")) == 1
    models = tmp_path / "pkg" / "models.py"
    stat = models.stat()
    same_size = streaming_post.replace("stream('PUT', url)", "patch(url, json=1)")
    assert len(same_size) == len(streaming_post)
    models.write_text(same_size, encoding="utf-8")
    os.utime(models, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert messages_in(check_paths([tmp_path], settings, cache_dir=cache), "pkg/clients.py") == []


def test_a_client_in_a_package_init_is_followed_from_its_importers(tmp_path: Path) -> None:
    write_package(tmp_path, {"pkg/__init__.py": "import httpx\n\nclient = httpx.Client(timeout=15)\n",
                     "app/__init__.py": "", "app/main.py": """
        from pkg import client

        def run(url):
            with client.stream("GET", url) as response:
                return list(response.iter_lines())
        """})
    report = check_paths([tmp_path], Settings(root=tmp_path))
    [(line, message)] = messages_in(report, "pkg/__init__.py")
    assert line == 3 and "read timeout 15 s" in message
    assert message.endswith("; streams: `client.stream(...)` in app/main.py:4")


def test_an_example_of_a_monorepo_reaches_the_package_it_imports(tmp_path: Path) -> None:
    """examples/demo.py imports ``mylib``, which lives in libs/mylib/mylib (a project of the
    repository with its own pyproject.toml), not in a directory above the example."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "libs" / "mylib" / "pyproject.toml").parent.mkdir(parents=True)
    (root / "libs" / "mylib" / "pyproject.toml").write_text("[project]\nname = 'mylib'\n", encoding="utf-8")
    write_package(root / "libs" / "mylib", {"mylib/__init__.py": "", "mylib/http.py": CLIENTS, "mylib/models.py": """
        from anthropic import Anthropic
        from mylib.http import get_default

        def claude():
            return Anthropic(http_client=get_default())
        """, "pkg/__init__.py": ""})
    write_package(root, {"examples/demo.py": """
        import httpx
        from mylib.http import set_default

        set_default(httpx.AsyncClient(timeout=30.0))
        """, "pkg/__init__.py": ""})
    report = check_paths([root / "examples"], Settings(root=root))
    [(line, message)] = messages_in(report, "examples/demo.py")
    assert line == 4
    assert message.endswith("; sdk: handed to `Anthropic(...)` in libs/mylib/mylib/models.py:5")


def test_the_project_root_is_never_above_a_hidden_directory(tmp_path: Path) -> None:
    """A tree under a hidden directory (a tool's work area inside a repository) is its own project:
    its modules are found, though a walk of the repository would never enter it."""
    (tmp_path / ".git").mkdir()
    inner = tmp_path / ".work" / "corpus"
    (inner / "pyproject.toml").parent.mkdir(parents=True)
    (inner / "pyproject.toml").write_text("", encoding="utf-8")
    write_package(inner, {"pkg/clients.py": CLIENTS, "pkg/models.py": SHAPES["module-level object, streamed"][0]})
    report = check_paths([inner], Settings(root=inner))
    assert [line for line, _ in messages_in(report, "pkg/clients.py")] == [3]
