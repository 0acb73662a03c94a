"""The openai and anthropic SDK clients: defaults, timeouts, http_client, per-request overrides."""

from __future__ import annotations

import pytest
from support.lint import lint_all as lint  # settings as read, judged strictly

KEEPALIVE = ("[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30), "
             "(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10), (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)]")
TRANSPORT = f"httpx2.HTTPTransport(limits=httpx2.Limits(keepalive_expiry=30), socket_options={KEEPALIVE})"
GOOD_TIMEOUT = "httpx2.Timeout(600, connect=10)"
GOOD_HTTP_CLIENT = f"{{sdk}}.DefaultHttpxClient(transport={TRANSPORT})"

HEADER = "import socket\nimport httpx2\nimport openai\nimport anthropic\nimport openai as oa\n"

OPENAI = ["openai.OpenAI", "openai.AsyncOpenAI", "openai.AzureOpenAI", "openai.AsyncAzureOpenAI", "oa.Client"]
ANTHROPIC = ["anthropic.Anthropic", "anthropic.AsyncAnthropic", "anthropic.AnthropicBedrock",
             "anthropic.AnthropicVertex", "anthropic.AsyncAnthropicVertex"]

# (id, arguments with {sdk} for the SDK module, expected code, message fragment)
BAD_BOTH = [
    ("timeout-none", "timeout=None", "LL301", "timeout=None removes every"),
    ("timeout-none-connect", "timeout=None", "LL401", "the 5 s connect timeout included"),
    ("number-below-minimum", "timeout=60", "LL302", "read timeout 60 s"),
    ("number-sets-connect", "timeout=600", "LL402", "sets every phase, connect included"),
    ("sdk-timeout-alias", "timeout={sdk}.Timeout(120, connect=5)", "LL302", "read timeout 120 s"),
    ("constant", "timeout=TIMEOUT", "LL302", "read timeout 45 s"),
    ("kwargs-dict", "**OPTIONS", "LL302", "read timeout 90 s"),
    ("adopted-from-http-client", "http_client=httpx2.Client(timeout=30)", "LL302",
     "adopted from http_client, since the SDK's timeout is not set"),
    ("adopted-none", "http_client=httpx2.Client(timeout=None)", "LL301", "adopted from http_client"),
    ("http-client-expiry-none", "timeout=" + GOOD_TIMEOUT + ", http_client=httpx2.Client(transport="
     "httpx2.HTTPTransport(limits=httpx2.Limits(keepalive_expiry=None)))", "LL101", "never expire"),
    ("plain-http-client-keepalive", "timeout=" + GOOD_TIMEOUT + ", http_client=httpx2.Client()", "LL201",
     "has no TCP keepalive"),
    ("default-client-short-timeout", "http_client={sdk}.DefaultHttpxClient(timeout=60)", "LL302", "60 s"),
]
BAD_ANTHROPIC = [
    ("http-client-drops-keepalive", "http_client=httpx2.Client(timeout=" + GOOD_TIMEOUT + ")", "LL201",
     "passing http_client= drops anthropic's default TCP keepalive"),
    ("default-client-with-transport-drops-keepalive",
     "http_client=anthropic.DefaultHttpxClient(transport=httpx2.HTTPTransport())", "LL201",
     "drops anthropic's default TCP keepalive"),
]
BAD_OPENAI = [
    ("default-no-keepalive", "", "LL201", "the openai SDK's default client sets no socket options"),
    ("default-httpx-client-no-keepalive", "http_client=openai.DefaultHttpxClient()", "LL201",
     "without transport= sets no socket options"),
    ("aiohttp-backend", "timeout=" + GOOD_TIMEOUT + ", http_client=openai.DefaultAioHttpClient()", "LL201",
     "never applies them"),
]
PRELUDE = "TIMEOUT = 45\nOPTIONS = {'timeout': httpx2.Timeout(90, connect=5)}\n"


def _cases() -> list[object]:
    cases = []
    for ctor in OPENAI + ANTHROPIC:
        sdk = ctor.split(".")[0] if not ctor.startswith("oa.") else "openai"
        table = BAD_BOTH + (BAD_OPENAI if sdk == "openai" else BAD_ANTHROPIC)
        for case, args, code, fragment in table:
            cases.append(pytest.param(ctor, args.format(sdk=sdk), code, fragment, id=f"{ctor}-{case}"))
    return cases


@pytest.mark.parametrize(("ctor", "args", "code", "fragment"), _cases())
def test_bad_configurations_are_reported(ctor: str, args: str, code: str, fragment: str) -> None:
    source = HEADER + PRELUDE + f"client = {ctor}({args})\n"
    found = [v for v in lint(source) if v.code == code]
    assert found, f"{code} not reported for:\n{source}"
    assert any(fragment in v.message for v in found), [v.message for v in found]
    assert {v.library for v in found} <= {"openai", "anthropic"}


@pytest.mark.parametrize("ctor", ANTHROPIC)
def test_anthropic_default_client_passes(ctor: str) -> None:
    assert lint(HEADER + f"client = {ctor}()\n") == []


@pytest.mark.parametrize("ctor", OPENAI + ANTHROPIC)
def test_fully_configured_client_passes(ctor: str) -> None:
    sdk = "anthropic" if ctor.startswith("anthropic") else "openai"
    source = HEADER + f"client = {ctor}(timeout={GOOD_TIMEOUT}, http_client={GOOD_HTTP_CLIENT.format(sdk=sdk)})\n"
    assert lint(source) == [], source
    assert lint(source, require_explicit=True) == [], source


@pytest.mark.parametrize("ctor", OPENAI + ANTHROPIC)
def test_inner_http_client_is_absorbed_when_the_sdk_timeout_is_set(ctor: str) -> None:
    """The SDK passes its own timeout on every request: the http_client's 5 s default never applies."""
    sdk = "anthropic" if ctor.startswith("anthropic") else "openai"
    inner = f"httpx2.Client(timeout=5, transport={TRANSPORT})"
    source = HEADER + f"http = {inner}\nclient = {ctor}(timeout={GOOD_TIMEOUT}, http_client=http)\n"
    assert lint(source) == [], source
    source = HEADER + f"client = {ctor}(timeout={GOOD_TIMEOUT}, http_client=httpx2.Client(transport={TRANSPORT}))\n"
    assert lint(source) == [], source
    del sdk


def test_http_client_with_default_timeout_keeps_the_sdk_default() -> None:
    source = HEADER + f"client = openai.OpenAI(http_client=httpx2.Client(timeout=5, transport={TRANSPORT}))\n"
    assert lint(source) == []


PER_REQUEST_BAD = [
    ("with-options", "client.with_options(timeout=30)", "LL302", "OpenAI.with_options() read timeout 30 s"),
    ("with-options-none", "client.with_options(timeout=None).chat.completions.create(model='m', messages=[])",
     "LL301", "OpenAI.with_options()"),
    ("chat-create-none", "client.chat.completions.create(model='m', messages=[], timeout=None)", "LL301",
     "OpenAI.chat.completions.create()"),
    ("responses-create", "client.responses.create(model='m', input='hi', timeout=120)", "LL302",
     "OpenAI.responses.create() read timeout 120 s"),
    ("raw-response", "client.chat.completions.with_raw_response.create(model='m', messages=[], timeout=20)",
     "LL302", "20 s"),
    ("beta-parse", "client.beta.chat.completions.parse(model='m', messages=[], timeout=httpx2.Timeout(30))",
     "LL302", "30 s"),
]
PER_REQUEST_BAD_ANTHROPIC = [
    ("messages-create", "client.messages.create(model='m', max_tokens=1, messages=[], timeout=60)", "LL302",
     "Anthropic.messages.create() read timeout 60 s"),
    ("messages-stream", "client.messages.stream(model='m', max_tokens=1, messages=[], timeout=None)", "LL301",
     "Anthropic.messages.stream()"),
]


@pytest.mark.parametrize(("case", "call", "code", "fragment"),
                         [c for c in PER_REQUEST_BAD], ids=[c[0] for c in PER_REQUEST_BAD])
def test_per_request_overrides_openai(case: str, call: str, code: str, fragment: str) -> None:
    source = HEADER + f"client = openai.OpenAI(timeout={GOOD_TIMEOUT}, http_client=" \
        f"{GOOD_HTTP_CLIENT.format(sdk='openai')})\n{call}\n"
    found = [v for v in lint(source) if v.code == code]
    assert any(fragment in v.message for v in found), [v.message for v in lint(source)]


@pytest.mark.parametrize(("case", "call", "code", "fragment"), PER_REQUEST_BAD_ANTHROPIC,
                         ids=[c[0] for c in PER_REQUEST_BAD_ANTHROPIC])
def test_per_request_overrides_anthropic(case: str, call: str, code: str, fragment: str) -> None:
    source = HEADER + f"client = anthropic.Anthropic()\n{call}\n"
    found = [v for v in lint(source) if v.code == code]
    assert any(fragment in v.message for v in found), [v.message for v in lint(source)]


PER_REQUEST_GOOD = [
    "client.chat.completions.create(model='m', messages=[])",
    "client.messages.create(model='m', max_tokens=1, messages=[], timeout=httpx2.Timeout(900, connect=5))",
    "client.with_options(max_retries=5).messages.create(model='m', max_tokens=1, messages=[])",
    "client.with_options(timeout=600.0 if FAST else 1)",
    "client.models.list()",
    "def f(t):\n    return client.messages.create(model='m', max_tokens=1, messages=[], timeout=t)",
]


@pytest.mark.parametrize("call", PER_REQUEST_GOOD)
def test_per_request_good(call: str) -> None:
    source = HEADER + f"client = anthropic.Anthropic()\n{call}\n"
    assert lint(source) == [], source


@pytest.mark.parametrize("source", [
    "import openai\ndef make(**kw):\n    return openai.OpenAI(**kw)",
    "import openai\ndef make(http):\n    return openai.OpenAI(http_client=http)",
    "import openai\nimport helpers\nclient = openai.OpenAI(http_client=helpers.make_client())",
    "import anthropic\nclass Anthropic:\n    pass\nAnthropic(timeout=None)",
    "from mylib import OpenAI\nOpenAI(timeout=None)",
])
def test_unknown_is_silent(source: str) -> None:
    assert lint(source) == []


def test_fully_configured_examples() -> None:
    source = '''
        import socket
        import httpx2
        import anthropic
        import openai

        KEEPALIVE = [
            (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
            (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30),
            (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),
            (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3),
        ]

        def transport():
            return None

        openai_client = openai.OpenAI(
            timeout=httpx2.Timeout(600, connect=10),
            http_client=openai.DefaultHttpxClient(
                transport=httpx2.HTTPTransport(
                    limits=httpx2.Limits(keepalive_expiry=30), socket_options=KEEPALIVE),
            ),
        )
        anthropic_client = anthropic.Anthropic(timeout=httpx2.Timeout(600, connect=10))

        def ask(prompt):
            with anthropic_client.messages.stream(model="m", max_tokens=64000,
                                                  messages=[{"role": "user", "content": prompt}]) as stream:
                return stream.get_final_message()
    '''
    assert lint(source) == []


DROP_INS = {
    "client imported from the drop-in": ("from langfuse.openai import AsyncOpenAI\nc = AsyncOpenAI(timeout=180)",
                                         "openai.AsyncOpenAI read timeout 180 s"),
    "module imported from the drop-in": ("from langfuse.openai import openai\nc = openai.OpenAI(timeout=181)",
                                         "openai.OpenAI read timeout 181 s"),
    "drop-in module by its path": ("import langfuse.openai\nc = langfuse.openai.AzureOpenAI(timeout=182)",
                                   "openai.AzureOpenAI read timeout 182 s"),
}


@pytest.mark.parametrize(("source", "expected"), DROP_INS.values(), ids=DROP_INS.keys())
def test_a_tracing_drop_in_is_the_sdk_it_re_exports(source: str, expected: str) -> None:
    [message] = [v.message for v in lint(source) if v.code == "LL302"]
    assert message.startswith(f"{expected} is below the streaming minimum of 600 s")


def test_other_names_of_the_tracing_library_are_not_clients() -> None:
    assert lint("from langfuse import Langfuse\nclient = Langfuse(timeout=5)") == []
