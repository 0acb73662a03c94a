"""httpx and httpx2: each misconfiguration, through every way of writing it."""

from __future__ import annotations

import pytest
from support.lint import codes_all as codes, lint_all as lint  # settings as read, judged strictly

KEEPALIVE_OPTIONS = ("[({s}.SOL_SOCKET, {s}.SO_KEEPALIVE, 1), ({s}.IPPROTO_TCP, {s}.TCP_KEEPIDLE, 30), "
                     "({s}.IPPROTO_TCP, {s}.TCP_KEEPINTVL, 10), ({s}.IPPROTO_TCP, {s}.TCP_KEEPCNT, 3)]")

# (id, callee, keyword arguments as source with {m} for the module, expected code, message fragment)
BAD = [
    ("default-client", "Client", {}, "LL303", "default read timeout of 5 s"),
    ("default-client-keepalive", "Client", {}, "LL201", "has no TCP keepalive"),
    ("timeout-none", "AsyncClient", {"timeout": "None"}, "LL301", "read timeout is disabled"),
    ("timeout-none-connect", "AsyncClient", {"timeout": "None"}, "LL401", "connect timeout is disabled"),
    ("timeout-60", "Client", {"timeout": "{m}.Timeout(60)"}, "LL302",
     "read timeout 60 s is below the streaming minimum of 600 s"),
    ("connect-none", "Client", {"timeout": "{m}.Timeout(900, connect=None)"}, "LL401", "connect timeout is disabled"),
    ("expiry-none", "Client", {"limits": "{m}.Limits(keepalive_expiry=None)"}, "LL101", "unbounded"),
    ("expiry-300", "Client", {"limits": "{m}.Limits(keepalive_expiry=300)"}, "LL102",
     "pool idle expiry 300 s exceeds the maximum of 90 s"),
    ("limits-beside-transport", "Client",
     {"transport": "{m}.HTTPTransport()", "limits": "{m}.Limits(keepalive_expiry=30)"}, "LL104", "limits= is ignored"),
    ("so-keepalive-only", "Client",
     {"transport": "{m}.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)])"},
     "LL202", "kernel default of 7200 s"),
    ("stream-timeout-none", "stream", {"timeout": "None"}, "LL301", "read timeout is disabled"),
]

GOOD_KWARGS = {
    "timeout": "{m}.Timeout(600, connect=10)",
    "transport": ("{m}.AsyncHTTPTransport(limits={m}.Limits(keepalive_expiry=60), socket_options="
                  + KEEPALIVE_OPTIONS.format(s="socket") + ")"),
}


def _call_args(callee: str) -> str:
    return '"GET", "https://api.example.com", ' if callee == "stream" else ""


def render(style: str, callee: str, kwargs: dict[str, str]) -> str:
    """The same construction written in one of several styles."""
    module = "httpx2" if style == "httpx2" else "httpx"
    alias = {"alias": "hx", "from-import": "hx"}.get(style, module)
    header = "import socket\n"
    header += f"import {module} as {alias}\n" if alias != module else f"import {module}\n"
    values = {key: value.format(m=alias) for key, value in kwargs.items()}
    callee_expr = f"{alias}.{callee}"
    if style == "from-import":
        header += f"from {module} import {callee} as Made\n"
        callee_expr = "Made"
    prefix = _call_args(callee)
    if style == "constant":
        lines = [f"{key.upper()}_SETTING = {value}" for key, value in values.items()]
        args = ", ".join(f"{key}={key.upper()}_SETTING" for key in values)
        return header + "\n".join(lines) + f"\nclient = {callee_expr}({prefix}{args})\n"
    if style == "kwargs-dict":
        body = ", ".join(f"{key!r}: {value}" for key, value in values.items())
        return header + f"OPTIONS = {{{body}}}\nclient = {callee_expr}({prefix}**OPTIONS)\n"
    if style == "dict-call":
        body = ", ".join(f"{key}={value}" for key, value in values.items())
        return header + f"client = {callee_expr}({prefix}**dict({body}))\n"
    if style == "function-local":
        lines = [f"    {key}_value = {value}" for key, value in values.items()]
        args = ", ".join(f"{key}={key}_value" for key in values)
        return header + "def make():\n" + "\n".join(lines) + f"\n    return {callee_expr}({prefix}{args})\n"
    args = ", ".join(f"{key}={value}" for key, value in values.items())
    return header + f"client = {callee_expr}({prefix}{args})\n"


STYLES = ["plain", "alias", "from-import", "constant", "kwargs-dict", "dict-call", "function-local", "httpx2"]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("case", "callee", "kwargs", "code", "fragment"), BAD, ids=[c[0] for c in BAD])
def test_bad_constructions_are_reported(style: str, case: str, callee: str, kwargs: dict[str, str],
                                        code: str, fragment: str) -> None:
    source = render(style, callee, kwargs)
    found = [v for v in lint(source) if v.code == code]
    assert found, f"{code} not reported for:\n{source}"
    assert any(fragment in v.message for v in found), [v.message for v in found]
    expected_library = "httpx2" if style == "httpx2" else "httpx"
    assert {v.library for v in found} == {expected_library}


@pytest.mark.parametrize("style", STYLES)
def test_the_reference_design_passes(style: str) -> None:
    source = render(style, "AsyncClient", GOOD_KWARGS)
    assert lint(source) == [], source


def test_the_reference_design_with_portable_keepalive_options_passes() -> None:
    source = """
        import socket, sys
        import httpx

        def _socket_options():
            return None

        OPTIONS = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
        if hasattr(socket, "TCP_KEEPIDLE"):
            OPTIONS.append((socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30))
        elif sys.platform == "darwin":
            OPTIONS.append((socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPALIVE", 0x10), 30))
        OPTIONS += [(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10)]

        client = httpx.Client(
            timeout=httpx.Timeout(10 * 60, connect=10),
            transport=httpx.HTTPTransport(limits=httpx.Limits(keepalive_expiry=60), socket_options=OPTIONS),
        )
    """
    assert lint(source) == []


def test_local_names_that_look_like_clients_are_not_reported() -> None:
    source = """
        import httpx

        def Client():
            return None

        class AsyncClient:
            pass

        Client()
        AsyncClient()

        def get(url):
            return url

        get("https://example.com")
    """
    assert lint(source) == []


def test_shadowed_module_name_is_not_reported() -> None:
    source = """
        import httpx

        def make(httpx):
            return httpx.Client()
    """
    assert lint(source) == []


def test_rebound_value_is_unknown_not_guessed() -> None:
    source = """
        import httpx
        TIMEOUT = 5
        TIMEOUT = 600
        client = httpx.Client(timeout=TIMEOUT)
    """
    found = codes(source)
    assert "LL302" not in found and "LL303" not in found and "LL402" not in found


def test_unresolved_kwargs_are_unknown() -> None:
    source = """
        import httpx
        def make(**options):
            return httpx.Client(**options)
    """
    assert lint(source) == []


def test_timeout_is_reported_on_the_most_specific_node() -> None:
    source = "import httpx\nclient = httpx.Client(\n    timeout=httpx.Timeout(\n        600,\n        connect=None,\n    ),\n)\n"
    [violation] = [v for v in lint(source) if v.code == "LL401"]
    assert (violation.line, violation.column) == (5, 9)
    assert violation.end_line == 5


def test_single_number_sets_connect_too() -> None:
    [violation] = [v for v in lint("import httpx\nhttpx.Client(timeout=600)") if v.code == "LL402"]
    assert "600 s" in violation.message and "every phase" in violation.message


def test_two_tuple_leaves_write_and_pool_unbounded() -> None:
    messages = [v.message for v in lint("import httpx\nhttpx.Client(timeout=(5, 600))") if v.code == "LL304"]
    assert len(messages) == 2
    assert any("write timeout" in m for m in messages) and any("pool timeout" in m for m in messages)


def test_timeout_from_environment_default_says_so() -> None:
    source = "import os, httpx\nhttpx.Client(timeout=int(os.environ.get('LLM_TIMEOUT', 60)))"
    [violation] = [v for v in lint(source) if v.code == "LL302"]
    assert "environment default of LLM_TIMEOUT" in violation.message


def test_environment_without_default_is_unknown() -> None:
    source = "import os, httpx\nhttpx.Client(timeout=float(os.environ['LLM_TIMEOUT']))"
    assert "LL302" not in codes(source) and "LL303" not in codes(source)


def test_transport_bound_to_a_name_is_followed() -> None:
    source = """
        import httpx, socket
        transport = httpx.HTTPTransport(limits=httpx.Limits(keepalive_expiry=None))
        client = httpx.Client(transport=transport, timeout=httpx.Timeout(600, connect=5))
    """
    found = lint(source)
    assert [v.code for v in found] == ["LL101", "LL201"]
    assert all(v.line == 4 for v in found)  # reported where the client uses the transport


def test_unknown_transport_is_not_judged() -> None:
    source = """
        import httpx
        def make(transport):
            return httpx.Client(transport=transport, timeout=httpx.Timeout(600, connect=5))
    """
    assert lint(source) == []


def test_client_method_timeout_override() -> None:
    source = """
        import httpx

        class Service:
            def __init__(self):
                self.client = httpx.AsyncClient(timeout=httpx.Timeout(600, connect=5))

            async def call(self):
                return await self.client.post("https://x", timeout=30)
    """
    found = lint(source, select=("LL3",))
    assert [(v.code, v.line) for v in found] == [("LL302", 9)]
    assert "AsyncClient.post()" in found[0].message


def test_star_import_resolves() -> None:
    assert "LL301" in codes("from httpx import *\nClient(timeout=None)")


def test_value_arithmetic_and_unary_minus() -> None:
    assert "LL901" in codes("import httpx\nhttpx.Client(timeout=-(2 * 30))")
    assert lint("import httpx, socket\nhttpx.get('u', timeout=httpx.Timeout(2 ** 10 - 24, connect=60 / 4))") == []


def test_transport_wrapped_by_another_transport_is_followed() -> None:
    source = """
        import httpx
        from mypkg.transports import RetryTransport

        client = httpx.AsyncClient(
            timeout=httpx.Timeout(600, connect=5),
            transport=RetryTransport(httpx.AsyncHTTPTransport(limits=httpx.Limits(keepalive_expiry=None)), retries=3),
        )
    """
    assert sorted(v.code for v in lint(source)) == ["LL101", "LL201"]


def test_wrapper_with_two_transports_is_not_guessed() -> None:
    source = """
        import httpx
        from mypkg.transports import Fallback

        client = httpx.Client(
            timeout=httpx.Timeout(600, connect=5),
            transport=Fallback(httpx.HTTPTransport(), httpx.HTTPTransport(http2=True)),
        )
    """
    assert lint(source) == []


def test_client_default_timeout_is_not_judged_when_every_call_passes_its_own() -> None:
    source = """
        import httpx

        def fetch(url, timeout):
            with httpx.Client() as client:
                first = client.get(url, timeout=httpx.Timeout(600, connect=5))
                return client.post(url, timeout=timeout), first
    """
    found = [v.code for v in lint(source)]
    assert "LL303" not in found
    assert "LL201" in found  # the pool itself is still judged


def test_client_default_timeout_is_judged_when_one_call_relies_on_it() -> None:
    source = """
        import httpx

        def fetch(url):
            with httpx.Client() as client:
                client.get(url, timeout=httpx.Timeout(600, connect=5))
                return client.get(url)
    """
    assert "LL303" in [v.code for v in lint(source)]


def test_explicit_client_timeout_is_judged_even_when_calls_override_it() -> None:
    source = """
        import httpx
        client = httpx.Client(timeout=30)
        client.get("https://example.com", timeout=httpx.Timeout(600, connect=5))
    """
    assert "LL302" in [v.code for v in lint(source)]
