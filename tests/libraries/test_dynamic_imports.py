"""Client modules bound in ways other than a plain import line: ``importlib.import_module`` with a
literal name, and one name imported on two paths (``try: import X as requests / except ImportError:
import requests``). The prefilter and the statement selection must keep such files and statements."""

from __future__ import annotations

import pytest
from support.lint import lint_all as lint  # judged strictly (streaming-scope all)

CASES = {
    "import_module at module level": ("""
        import importlib
        openai = importlib.import_module("openai")
        client = openai.OpenAI(timeout=None)
        """, "LL301", "openai.OpenAI read timeout is disabled (timeout=None removes every openai timeout"),
    "import_module inside a function": ("""
        def build():
            import importlib
            module = importlib.import_module("httpx")
            return module.Client(timeout=module.Timeout(45, connect=5))
        """, "LL302", "httpx.Client read timeout 45 s"),
    "__import__ with a literal name": ("""
        anthropic = __import__("anthropic")
        client = anthropic.Anthropic(timeout=20)
        """, "LL302", "anthropic.Anthropic read timeout 20 s"),
    "client module imported second on the fallback path": ("""
        try:
            import requests_unixsocket as requests
        except ImportError:
            import requests
        def fetch(url):
            return requests.post(url, json={})
        """, "LL401", "requests.post() connect timeout is disabled (no timeout= argument"),
    "client module imported first, then maybe replaced": ("""
        import requests
        try:
            import requests_unixsocket as requests
        except ImportError:
            pass
        def fetch(url):
            return requests.get(url, timeout=None)
        """, "LL301", "requests.get() read timeout is disabled"),
}


@pytest.mark.parametrize(("code", "rule", "fragment"), CASES.values(), ids=list(CASES))
def test_the_client_is_found_and_its_value_reported(code: str, rule: str, fragment: str) -> None:
    messages = [v.message for v in lint(code) if v.code == rule]
    assert any(fragment in message for message in messages), messages


def test_a_module_named_by_a_variable_is_not_guessed() -> None:
    assert lint("""
        import importlib
        def load(name):
            module = importlib.import_module(name)
            return module.OpenAI(timeout=None)
        """) == []
