"""``**kwargs`` defaults and keys that reach a client through a dict: ``kwargs.setdefault("timeout",
25)`` is what a caller who passes no timeout gets (judged "by default", as a parameter default is),
and a ``base_url`` given through a dict is evidence of model calls as one written inline is."""

from __future__ import annotations

from support.lint import lint, lint_all


def messages(code: str, rule: str, *, strict: bool = True) -> list[str]:
    found = lint_all(code) if strict else lint(code)
    return [v.message for v in found if v.code == rule]


def test_setdefault_on_kwargs_is_the_default_a_caller_gets() -> None:
    [message] = messages("""
        import openai
        def make(**kwargs):
            kwargs.setdefault("timeout", 25)
            return openai.OpenAI(**kwargs)
        """, "LL302")
    assert "read timeout 25 s (by default: `timeout` not passed, so `setdefault` gives 25)" in message


def test_setdefault_on_kwargs_of_an_httpx_client() -> None:
    [message] = messages("""
        import httpx
        def make(**kwargs):
            kwargs.setdefault("timeout", httpx.Timeout(45, connect=5))
            return httpx.Client(**kwargs)
        """, "LL302")
    assert "read timeout 45 s" in message


def test_setdefault_after_an_update_not_followed_is_unknown() -> None:
    assert messages("""
        import openai
        def make(options, **kwargs):
            kwargs.update(options)
            kwargs.setdefault("timeout", 25)
            return openai.OpenAI(**kwargs)
        """, "LL302") == []


def test_setdefault_judges_the_timeout_and_leaves_the_pool_unknown() -> None:
    found = lint_all("""
        import openai
        def make(**kwargs):
            kwargs.setdefault("timeout", 900)
            return openai.OpenAI(**kwargs)
        """)
    # A caller may pass http_client=: pool and keepalive stay unknown; the timeout is judged.
    assert [(v.code, "connect timeout 900 s" in v.message) for v in found] == [("LL402", True)]


def test_base_url_in_a_kwargs_dict_is_model_endpoint_evidence() -> None:
    [message] = messages("""
        import httpx
        def make():
            kw = {"base_url": "https://api.anthropic.com"}
            kw.update(timeout=httpx.Timeout(20.0))
            return httpx.AsyncClient(**kw)
        """, "LL302", strict=False)
    assert "read timeout 20 s" in message
    assert message.endswith("model-endpoint: `https://api.anthropic.com` at line 6")


def test_base_url_in_a_dict_off_model_hosts_is_no_evidence() -> None:
    assert messages("""
        import httpx
        def make():
            kw = {"base_url": "https://auth.example.com/oauth"}
            return httpx.AsyncClient(timeout=20, **kw)
        """, "LL302", strict=False) == []
