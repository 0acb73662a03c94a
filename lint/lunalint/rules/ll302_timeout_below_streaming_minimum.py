"""LL302 timeout-below-streaming-minimum: a timeout written in code kills long streams."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import evidence_field, long_response, short_timeouts, strict
from lunalint.spec import fmt_seconds

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class TimeoutBelowStreamingMinimum(Rule):
    """
    ## What it does
    Checks for read timeouts and whole-request deadlines, set in code, that are shorter than
    `streaming-min-timeout`, where a long response is plausible (`streaming-scope = "llm"`, the
    default). The evidence is named in the message:

    - `sdk`: an LLM SDK client (openai, anthropic), or an http client handed to an LLM SDK call
      (`groq.AsyncGroq(http_client=client)`, `OpenAI(**params)` with `params["http_client"]`);
    - `streams`: a request that streams (`client.stream(...)`, `send(..., stream=True)`,
      `stream=True`), an aiohttp request whose body the same function reads incrementally
      (`resp.content.iter_any()`, `async for ... in resp.content`, `iter_lines`, SSE event
      sources), a client handed to an SSE helper (`httpx_sse.connect_sse`) or to an MCP SSE or
      streamable-HTTP transport. (httpx and requests read the whole body before a request without
      `stream` returns, so `iter_bytes()` on its response streams nothing);
    - `model-endpoint`: a URL on a model path (`/chat/completions`, `/v1/messages`, `/v1/responses`,
      `/api/generate`, `/generate`, `/api/chat`, `:generateContent` ...) or a `base_url` on a model
      API host (`https://api.openai.com/v1`, not `https://api.openai.com/v1/{endpoint}`);
    - `model-body`: a `json=`/`data=` body with the keys of a model call (`messages`, `prompt`,
      `max_tokens`, `sampling_params`, `stream` ...).

    Evidence counts wherever the project uses the client: a module-level client imported by other
    modules, a factory's result, a client handed to a setter that a getter returns elsewhere, a
    client a class stores in `self.client` and leaves to its subclasses in other modules; the
    message then names the module and line ("streams: `client.stream(...)` in pkg/models.py:40").
    It also counts through calls: a client handed to a helper or a method (directly, through
    `functools.partial` or a retry wrapper applied by hand) gets the evidence of its requests
    there, and a request method handed to a caller (`asyncio.to_thread(client.post, url, json=...)`)
    is that request; a URL, body or `stream=` that is a parameter of a helper
    (`def _post(self, path, payload)`) gets what the helper's calls pass, in this module or in
    the modules that import it ("model-body: `json=` has `messages` (the `payload` passed)"); a
    body built by a method (`json=self._create_payload(...)`, abstract in a base class) gets what
    the method's implementations in the class and its subclasses return, in other modules too; a
    name assigned several times (`url = ...`, then `url = f"{url}?{query}"`) counts with each of
    its values.

    A short timeout on a request with none of these (a health probe, an OAuth exchange, a metadata
    or version fetch, a webhook, a non-generation path on a model host such as `/v1/models`) is not
    reported, nor is a client whose transport is in-process (`httpx.ASGITransport`,
    `WSGITransport`, `MockTransport`). Neither is what only looks like a model call: a `GET`,
    `HEAD`, `OPTIONS` or `DELETE` (a generation call is a `POST`), a `GET` that streams a file and
    reads it as bytes (`iter_content`, `aiter_bytes`, `.raw`: a download), a `messages` path of a
    chat app (`/channels/{id}/messages`; `messages` counts after a version, an agent, or on a base
    made elsewhere) or one whose known body lacks `messages`, a bare `/generate` request that
    sends no body, and an SDK client whose every use is a request that generates nothing
    (`client.embeddings.create(...)`, `files`, `batches`, `moderations`).
    `streaming-scope = "all"` reports every short timeout.

    ## Why is this bad?
    LLM responses with extended thinking or long generations stream for 3-10 minutes or more and
    can pause for long stretches before the first token. A read timeout shorter than that pause,
    or a total deadline shorter than the whole stream, kills the response midway: the tokens are
    paid for and lost. In httpx the read timeout is per read (the clock restarts on every chunk);
    in aiohttp `total` covers the whole body.

    ## Example
    ```python
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(60))  # streams: `client.stream(...)` at line 5

    with client.stream("POST", "/v1/messages", json={"messages": messages}) as response:
        ...

    requests.post(url, json={"model": model, "messages": messages}, timeout=30)  # model-body
    httpx.post("https://api.anthropic.com/v1/messages", timeout=60)  # model-endpoint


    class Api:
        def _post(self, path, payload):
            return self.session.post(self.base + path, json=payload, timeout=60)

        def chat(self, messages):  # model-endpoint: `{}/chat/completions` at line 7
            return self._post("/chat/completions", {"model": self.model, "messages": messages})
    ```

    ## Use instead
    ```python
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(600, connect=10))

    httpx.get("https://example.com/health", timeout=5)  # not a stream: not reported
    requests.post(token_url, data={"code": code}, timeout=10)  # an OAuth exchange: not reported
    ```

    ```rust
    let client = reqwest::Client::builder()
        .read_timeout(Duration::from_secs(600)) // per read: long streams live on
        .build()?;
    ```

    ## Options
    - `streaming-min-timeout` (default 600 s)
    - `streaming-scope` (default `"llm"`; `"all"` judges every client, as if each one streamed)

    ## Fix safety
    Sets the library's timeout with a read timeout of the streaming minimum (at least 600 s) and
    a 10 s connect timeout: `timeout=httpx.Timeout(600, connect=10)` (httpx, httpx2), the
    `httpx2.Timeout` the openai and anthropic SDKs use, `aiohttp.ClientTimeout(total=None,
    sock_read=600, sock_connect=10)`, `timeout=(10, 600)` on each requests call and
    `urllib3.Timeout(connect=10, read=600)`. The fix is safe when the code passed no timeout (a
    library default becomes an explicit value) and unsafe when it replaces a timeout the code
    wrote. There is no fix when `**kwargs` may hold the timeout, or for `session.timeout = ...`
    (requests ignores it: every call needs its own `timeout=`).

    ## References
    - [httpx: Timeouts](https://www.python-httpx.org/advanced/timeouts/)
    - [Anthropic: Long requests](https://docs.anthropic.com/en/api/errors#long-requests)
    """

    check_family = Check.TIMEOUT
    summary = "Timeout is shorter than the streaming minimum and kills long streams"
    message = "{label} {kind} {value}{note} is below the streaming minimum of {minimum}: {consequence}{evidence}"

    VALID = (
        Valid("import openai, httpx2\nopenai.OpenAI(http_client=httpx2.Client(timeout=5))"),
        Valid("import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))"),
        Valid("import httpx\nhttpx.Client(timeout=60)", {"streaming_min_timeout": 60, "streaming_scope": "all"}),
        Valid("import httpx\nhttpx.Client(timeout=httpx.Timeout(10, read=900))"),
        # Requests with no evidence of a long response: a health probe, an OAuth exchange, a
        # metadata fetch on a one-shot client, a webhook, a non-generation path on a model host.
        Valid("import httpx\nhttpx.get('https://example.com/health', timeout=5)"),
        Valid("import requests\ndef token(code):\n"
              "    return requests.post('https://github.com/login/oauth/access_token',\n"
              "                         data={'code': code}, timeout=10)"),
        Valid("import httpx\ndef version():\n    with httpx.Client(timeout=10) as c:\n"
              "        return c.get('https://pypi.org/pypi/lunalint/json').json()['info']['version']"),
        Valid("import requests\nrequests.post(HOOK_URL, json={'text': 'deployed'}, timeout=5)"),
        Valid("import httpx\nhttpx.get('https://api.openai.com/v1/models', timeout=10)"),
        # Only looks like a model call: a GET download read as bytes, a chat app's messages, a
        # token request to a /generate path that sends no body.
        Valid("import requests\ndef download(url, out):\n"
              "    r = requests.get(url, stream=True, timeout=30)\n"
              "    for chunk in r.iter_content(8192):\n        out.write(chunk)"),
        Valid("import httpx\nhttpx.post(f'https://discord.com/api/v10/channels/{channel}/messages',\n"
              "           json={'content': 'deployed'}, timeout=10)"),
        Valid("import httpx\nhttpx.post(f'{bot_endpoint}/tokens/generate', headers=headers, timeout=10)"),
        # No network: an in-process transport, even for a stream.
        Valid("import httpx\nclient = httpx.Client(transport=httpx.MockTransport(handler), timeout=5)\n"
              "with client.stream('GET', '/events') as r:\n    pass"),
    )
    INVALID = (
        # sdk
        Invalid("import openai, httpx2\nopenai.OpenAI(http_client=httpx2.Client(timeout=30))",
                "adopted from http_client", at="2:41",
                fixed='import openai, httpx2\nopenai.OpenAI(http_client=httpx2.Client(timeout=30), timeout=httpx2.Timeout(600, connect=10))'),
        Invalid("import openai\nc = openai.AsyncOpenAI()\nc.with_options(timeout=60)",
                "sdk: `openai.AsyncOpenAI` client at line 2", at="3:16",
                fixed='import openai\nimport httpx2\nc = openai.AsyncOpenAI()\nc.with_options(timeout=httpx2.Timeout(600, connect=10))'),
        Invalid("import groq, httpx\nhttp = httpx.AsyncClient(timeout=30)\nllm = groq.AsyncGroq(http_client=http)",
                "sdk: handed to `groq.AsyncGroq(...)` at line 3", at="2:26",
                fixed='import groq, httpx\nhttp = httpx.AsyncClient(timeout=httpx.Timeout(600, connect=10))\nllm = groq.AsyncGroq(http_client=http)'),
        # streams
        Invalid("import httpx\nclient = httpx.Client(timeout=httpx.Timeout(60))\n"
                "with client.stream('POST', '/generate') as response:\n    pass",
                "streams: `client.stream(...)` at line 3", at="2:45",
                fixed="import httpx\nclient = httpx.Client(timeout=httpx.Timeout(600, connect=10))\nwith client.stream('POST', '/generate') as response:\n    pass"),
        Invalid("import requests\nrequests.post('https://example.com', stream=True, timeout=(3.05, 27))",
                "read timeout 27 s", at="2:66",
                fixed="import requests\nrequests.post('https://example.com', stream=True, timeout=(10, 600))"),
        Invalid("import aiohttp\nsession = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))\n"
                "async def events(url):\n    async with session.get(url) as response:\n"
                "        async for line in response.content:\n            print(line)",
                "streams: `async for ... in response.content` at line 5", at="2:63",
                fixed='import aiohttp\nsession = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_read=600, sock_connect=10))\nasync def events(url):\n    async with session.get(url) as response:\n        async for line in response.content:\n            print(line)'),
        Invalid("import aiohttp\nsession = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))\n"
                "async def chunks(url):\n    async with session.post(url) as response:\n"
                "        return [c async for c in response.content.iter_chunked(1024)]",
                "streams: `response.content.iter_chunked(...)` at line 5", at="2:63",
                fixed='import aiohttp\nsession = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_read=600, sock_connect=10))\nasync def chunks(url):\n    async with session.post(url) as response:\n        return [c async for c in response.content.iter_chunked(1024)]'),
        Invalid("import httpx, httpx_sse\nclient = httpx.Client(timeout=20)\n"
                "with httpx_sse.connect_sse(client, 'GET', '/sse') as source:\n    pass",
                "streams: `httpx_sse.connect_sse(...)` at line 3", at="2:23",
                fixed="import httpx, httpx_sse\nclient = httpx.Client(timeout=httpx.Timeout(600, connect=10))\nwith httpx_sse.connect_sse(client, 'GET', '/sse') as source:\n    pass"),
        # model-endpoint
        Invalid("import httpx\nhttpx.post('https://api.anthropic.com/v1/messages', timeout=60)",
                "model-endpoint: `https://api.anthropic.com/v1/messages` at line 2", at="2:53",
                fixed="import httpx\nhttpx.post('https://api.anthropic.com/v1/messages', timeout=httpx.Timeout(600, connect=10))"),
        Invalid("import httpx\nasync def chat(base):\n"
                "    return await httpx.AsyncClient(timeout=45).post(f'{base}/chat/completions')",
                "model-endpoint: `{}/chat/completions`", at="3:36",
                fixed="import httpx\nasync def chat(base):\n    return await httpx.AsyncClient(timeout=httpx.Timeout(600, connect=10)).post(f'{base}/chat/completions')"),
        Invalid("import httpx\napi = httpx.Client(base_url='https://api.openai.com/v1', timeout=60)",
                "model-endpoint: `https://api.openai.com/v1` at line 2", at="2:58",
                fixed="import httpx\napi = httpx.Client(base_url='https://api.openai.com/v1', timeout=httpx.Timeout(600, connect=10))"),
        Invalid("import requests\nclass Api:\n    def __init__(self, base):\n        self.base = base\n"
                "    def _post(self, path, payload):\n"
                "        return requests.post(self.base + path, json=payload, timeout=60)\n"
                "    def chat(self, messages):\n"
                "        return self._post('/chat/completions', {'model': 'm', 'messages': messages})",
                "model-endpoint: `{}/chat/completions` at line 8", at="6:70",
                fixed="import requests\nclass Api:\n    def __init__(self, base):\n        self.base = base\n"
                      "    def _post(self, path, payload):\n"
                      "        return requests.post(self.base + path, json=payload, timeout=(10, 600))\n"
                      "    def chat(self, messages):\n"
                      "        return self._post('/chat/completions', {'model': 'm', 'messages': messages})"),
        # model-body
        Invalid("import requests\nbody = {'model': 'm', 'messages': [], 'max_tokens': 8192}\n"
                "requests.post(URL, json=body, timeout=30)", "model-body: `json=` has `messages`, `max_tokens`",
                at="3:39",
                fixed="import requests\nbody = {'model': 'm', 'messages': [], 'max_tokens': 8192}\nrequests.post(URL, json=body, timeout=(10, 600))"),
        # streaming-scope = "all": every short timeout, evidence or not
        Invalid("import httpx\nhttpx.Client(timeout=httpx.Timeout(60))",
                "read timeout 60 s is below the streaming minimum of 600 s", {"streaming_scope": "all"}, at="2:36",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
        Invalid("import httpx\nT = 30\nhttpx.AsyncClient(timeout=T)", "read timeout 30 s", {"streaming_scope": "all"},
                at="3:27",
                fixed='import httpx\nT = 30\nhttpx.AsyncClient(timeout=httpx.Timeout(600, connect=10))'),
        Invalid("import httpx\nhttpx.Client(timeout=(5, 120))", "read timeout 120 s", {"streaming_scope": "all"},
                at="2:26",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
        Invalid("import os, httpx\nhttpx.Client(timeout=float(os.getenv('HTTP_TIMEOUT', '60')))",
                "environment default of HTTP_TIMEOUT", {"streaming_scope": "all"}, at="2:14",
                fixed='import os, httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
        Invalid("import httpx\nhttpx.post('https://example.com', timeout=httpx.Timeout(600, read=59.5))",
                "59.5 s", {"streaming_scope": "all"}, at="2:62",
                fixed="import httpx\nhttpx.post('https://example.com', timeout=httpx.Timeout(600, connect=10))"),
    )

    RUST_VALID = (
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().read_timeout(Duration::from_secs(600)).build()\n'
              '}\n'),
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().timeout(Duration::from_secs(10 * 60)).build()\n'
              '}\n'),
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().timeout(Duration::from_secs(60)).build()\n'
              '}\n', {'streaming_min_timeout': 60}),
    )
    RUST_INVALID = (
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Client::builder().timeout(Duration::from_secs(60)).build()\n'
                '}\n',
                'total timeout 60 s is below the streaming minimum', at='4:23'),
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Client::builder().read_timeout(Duration::from_millis(30_000)).build()\n'
                '}\n',
                'read timeout 30 s', at='4:23'),
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make(t: Option<u64>) -> reqwest::Result<Client> {\n'
                '    Client::builder().timeout(Duration::from_secs(t.unwrap_or(60))).build()\n'
                '}\n',
                '60 s (the .unwrap_or() fallback)', at='4:23'),
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'async fn ask(client: &Client) -> reqwest::Result<reqwest::Response> {\n'
                '    client.post("https://example.com").timeout(Duration::from_secs(30)).send().await\n'
                '}\n',
                "reqwest::RequestBuilder total timeout 30 s (a per-request timeout replaces the client's)", at='4:40'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        evidence, lines = evidence_field(None if strict(policy) else long_response(spec))
        for short in short_timeouts(spec, policy, explicit=True):
            yield self.report(short.setting.anchor, label=spec.label, kind=short.kind, value=fmt_seconds(short.seconds),
                              note=short.setting.note, minimum=fmt_seconds(policy.streaming_min_timeout),
                              consequence=short.consequence, evidence=evidence, lines=lines)
