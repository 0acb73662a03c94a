"""LL303 default-timeout-too-short: the library's default timeout kills long streams."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import default_source, evidence_field, long_response, short_timeouts, strict
from lunalint.spec import fmt_seconds

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class DefaultTimeoutTooShort(Rule):
    """
    ## What it does
    Checks for clients and requests that leave the timeout to a library default shorter than
    `streaming-min-timeout` (httpx's 5 s, aiohttp's 300 s whole-request `total`), where a long
    response is plausible (`streaming-scope = "llm"`, the default): an LLM SDK or a client handed
    to one, a request that streams or reads its body incrementally, a model endpoint or a body
    shaped like a model call. LL302 lists the evidence; the message names the one it found. A
    request with no such evidence (a health probe, an OAuth exchange, a metadata fetch, a webhook)
    and a client on an in-process transport are not reported, nor is the default of an http client
    handed to the openai or anthropic SDK, which sends its own timeout with every request;
    `streaming-scope = "all"` reports every short default.

    ## Why is this bad?
    The default looks like a safe choice and is not one for LLM traffic: httpx gives up after a 5 s
    pause between chunks (a slow first token with extended thinking is longer), and aiohttp ends
    every response after 300 s, including streams still producing tokens.

    ## Example
    ```python
    import httpx

    client = httpx.AsyncClient()  # streams: `client.stream(...)` at line 5

    async with client.stream("POST", "/v1/chat/completions", json=body) as response:
        ...
    ```

    ## Use instead
    ```python
    import httpx

    client = httpx.AsyncClient(timeout=httpx.Timeout(600, connect=10))

    httpx.get("https://example.com/version")  # not a stream: the 5 s default is not reported
    ```

    ```rust
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .connect_timeout(Duration::from_secs(10))
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
    - [aiohttp: ClientTimeout](https://docs.aiohttp.org/en/stable/client_quickstart.html#timeouts)
    """

    check_family = Check.TIMEOUT
    summary = "The library's default timeout is shorter than the streaming minimum"
    message = ("{label} uses the {source} {kind} of {value}, below the streaming minimum of {minimum}: "
               "{consequence}{evidence}")

    VALID = (
        Valid("import aiohttp\naiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=600, sock_connect=10))"),
        Valid("import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=5))"),
        Valid("import httpx\nhttpx.Client()", {"streaming_min_timeout": 5, "streaming_scope": "all"}),
        Valid("import httpx\nhttpx.Client(**options)", {"streaming_scope": "all"}),
        # No evidence of a long response: a version fetch, a one-shot OAuth exchange, a webhook.
        Valid("import httpx\nhttpx.get('https://example.com/version')"),
        Valid("import httpx\nasync def exchange(url, code):\n    async with httpx.AsyncClient() as client:\n"
              "        return await client.post(url, data={'code': code})"),
        Valid("import aiohttp\nasync def notify(url):\n    async with aiohttp.ClientSession() as session:\n"
              "        await session.post(url, json={'event': 'done'})"),
        # The openai and anthropic SDKs send their own timeout with every request through a client
        # handed to them, so its httpx default is never used.
        Valid("import httpx, openai\ndef build():\n    params = {'api_key': 'k'}\n"
              "    params['http_client'] = httpx.Client()\n    return openai.OpenAI(**params)"),
        # No network: an in-process transport.
        Valid("import httpx\nclient = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))\n"
              "async def chat():\n    return await client.post('/v1/chat/completions', json={'messages': []})"),
    )
    INVALID = (
        Invalid("import aiohttp\nasync def stream(url):\n    async with aiohttp.ClientSession() as session:\n"
                "        async with session.get(url) as resp:\n            async for line in resp.content:\n"
                "                print(line)", "uses the aiohttp default total timeout of 300 s", at="3:16",
                fixed='import aiohttp\nasync def stream(url):\n    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_read=600, sock_connect=10)) as session:\n        async with session.get(url) as resp:\n            async for line in resp.content:\n                print(line)'),
        Invalid("from aiohttp import ClientSession as S\ns = S(timeout=None)\nasync def f(url):\n"
                "    async with s.post(url) as resp:\n        return await resp.content.readline()",
                "streams: `resp.content.readline(...)` at line 5", at="2:7",
                fixed='from aiohttp import ClientSession as S\nimport aiohttp\ns = S(timeout=aiohttp.ClientTimeout(total=None, sock_read=600, sock_connect=10))\nasync def f(url):\n    async with s.post(url) as resp:\n        return await resp.content.readline()'),
        Invalid("import httpx\nclient = httpx.Client()\nwith client.stream('GET', '/v1/responses') as r:\n    pass",
                "uses the httpx default read timeout of 5 s", at="2:10",
                fixed="import httpx\nclient = httpx.Client(timeout=httpx.Timeout(600, connect=10))\nwith client.stream('GET', '/v1/responses') as r:\n    pass"),
        Invalid("from httpx2 import AsyncClient as AC\nAC(base_url='https://api.openai.com/v1')", "httpx2 default",
                at="2:1",
                fixed="from httpx2 import AsyncClient as AC\nimport httpx2\nAC(base_url='https://api.openai.com/v1', timeout=httpx2.Timeout(600, connect=10))"),
        Invalid("import httpx\nhttpx.post('http://localhost:11434/api/generate', json={'prompt': 'hi'})",
                "model-endpoint: `http://localhost:11434/api/generate` at line 2", at="2:1",
                fixed="import httpx\nhttpx.post('http://localhost:11434/api/generate', json={'prompt': 'hi'}, timeout=httpx.Timeout(600, connect=10))"),
        Invalid("import httpx\nhttpx.get('https://example.com')", "httpx.get()", {"streaming_scope": "all"}, at="2:1",
                fixed="import httpx\nhttpx.get('https://example.com', timeout=httpx.Timeout(600, connect=10))"),
    )

    RUST_VALID = (
        Valid('use reqwest::blocking;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<blocking::Client> {\n'
              '    blocking::Client::builder().timeout(Duration::from_secs(600)).build()\n'
              '}\n'),
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Ok(Client::new())\n'
              '}\n'),
    )
    RUST_INVALID = (
        Invalid('use reqwest::blocking;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<blocking::Client> {\n'
                '    Ok(blocking::Client::new())\n'
                '}\n',
                'uses the reqwest::blocking default read timeout of 30 s', at='4:8'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        evidence, lines = evidence_field(None if strict(policy) else long_response(spec, default_timeout=True))
        for short in short_timeouts(spec, policy, explicit=False):
            yield self.report(short.setting.anchor, label=spec.label, source=default_source(short.setting),
                              kind=short.kind, value=fmt_seconds(short.seconds),
                              minimum=fmt_seconds(policy.streaming_min_timeout), consequence=short.consequence,
                              evidence=evidence, lines=lines)
