"""What each library says about long responses: which requests stream, which transports are
in-process, which clients are opened for one request; judged with the default ``streaming-scope``."""

from __future__ import annotations

import pytest
from support.lint import lint


def _timeouts(source: str) -> list[str]:
    return [v.message for v in lint(source) if v.code in ("LL302", "LL303")]


STREAMING = {
    "httpx-client-stream": ("import httpx\nc = httpx.Client(timeout=30)\nwith c.stream('GET', '/x') as r:\n    pass",
                            "streams: `c.stream(...)` at line 3"),
    "httpx-send-stream-true": ("import httpx\nc = httpx.AsyncClient()\nasync def f(req):\n"
                               "    return await c.send(req, stream=True)",
                               "streams: `c.send(..., stream=True)` at line 4"),
    "httpx-stream-function": ("import httpx2\nwith httpx2.stream('POST', '/x', timeout=60) as r:\n    pass",
                              "streams: `httpx2.stream(...)` at line 2"),
    "httpx-build-request-body": ("import httpx\nc = httpx.Client(timeout=10)\n"
                                 "req = c.build_request('POST', '/x', json={'prompt': 'hi', 'stream': True})",
                                 "model-body: `json=` has `prompt`, `stream` at line 3"),
    "requests-stream-true": ("import requests\nrequests.get('https://example.com', stream=True, timeout=20)",
                             "streams: `requests.get(..., stream=True)` at line 2"),
    "requests-stream-iter-content": ("import requests\ns = requests.Session()\ndef f(url, body):\n"
                                     "    r = s.post(url, json=body, stream=True, timeout=20)\n"
                                     "    return b''.join(r.iter_content(1024))",
                                     "streams: `s.post(..., stream=True)` at line 4"),
    "requests-get-stream-iter-lines": ("import requests\ns = requests.Session()\ndef f(url):\n"
                                       "    r = s.get(url, stream=True, timeout=20)\n"
                                       "    return [line for line in r.iter_lines()]",
                                       "streams: `s.get(..., stream=True)` at line 4"),
    "urllib3-model-path": ("import urllib3\np = urllib3.PoolManager()\n"
                           "p.request('POST', 'http://localhost:8000/v1/chat/completions', timeout=30)",
                           "model-endpoint: `http://localhost:8000/v1/chat/completions` at line 3"),
    "local-server-generate-path": ("import httpx\nc = httpx.Client(timeout=30)\n"
                                   "c.post('http://localhost:30000/generate', json={'text': 'hi'})",
                                   "model-endpoint: `http://localhost:30000/generate` at line 3"),
    "sampling-params-body": ("import httpx\nc = httpx.Client(timeout=30)\n"
                             "c.post('/run', json={'input_ids': [1], 'sampling_params': {'temperature': 0}})",
                             "model-body: `json=` has `sampling_params` at line 3"),
    "url-joined": ("import httpx\nfrom urllib.parse import urljoin\nc = httpx.Client(timeout=30)\n"
                   "def f(base):\n    return c.post(urljoin(base, '/v1/chat/completions'))",
                   "model-endpoint: `{}/v1/chat/completions` at line 5"),
    "url-formatted": ("import httpx\nc = httpx.Client(timeout=30)\n"
                      "def f(base):\n    return c.post('{base}/v1/messages'.format(base=base))",
                      "model-endpoint: `{}/v1/messages` at line 4"),
    "url-percent": ("import httpx\nc = httpx.Client(timeout=30)\n"
                    "def f(host):\n    return c.post('http://%s:11434/api/chat' % host)",
                    "model-endpoint: `http://{}:11434/api/chat` at line 4"),
    "url-path-join": ("import os, httpx\nc = httpx.Client(timeout=30)\n"
                      "def f(base):\n    return c.post('/'.join([base.rstrip('/'), 'v1', 'responses']))",
                      "model-endpoint: `{}/v1/responses` at line 4"),
    "url-from-a-method": ("import httpx\nclass Api:\n    def __init__(self, base):\n        self.base = base\n"
                          "        self.client = httpx.Client(timeout=30)\n    def _url(self, path):\n"
                          "        return f'{self.base}/{path.lstrip(\"/\")}'\n    def chat(self, body):\n"
                          "        return self.client.post(self._url('/chat/completions'), json=body)",
                          "model-endpoint: `{}/chat/completions` at line 9"),
    "url-in-a-self-attribute": ("import httpx\nclass Api:\n    def __init__(self, base):\n"
                                "        self.client = httpx.Client(timeout=30)\n"
                                "        self.endpoint = f'{base}/v1/messages'\n    def chat(self, body):\n"
                                "        return self.client.post(self.endpoint, json=body)",
                                "model-endpoint: `{}/v1/messages` at line 7"),
    "url-from-a-table": ("import httpx\nPATHS = {'chat': '/v1/chat/completions', 'models': '/v1/models'}\n"
                         "c = httpx.Client(timeout=30)\ndef chat(body):\n    return c.post(PATHS['chat'], json=body)",
                         "model-endpoint: `/v1/chat/completions` at line 5"),
    "dashscope-generation-path": ("import requests\ndef f(base, body):\n"
                                  "    return requests.post(f'{base}/services/aigc/text-generation/generation', "
                                  "json=body, timeout=30)",
                                  "model-endpoint: `{}/services/aigc/text-generation/generation` at line 3"),
    "body-keys-one-level-down": ("import requests\ndef f(base, text):\n"
                                 "    return requests.post(f'{base}/run', json={'inputs': text, "
                                 "'parameters': {'max_new_tokens': 20}}, timeout=30)",
                                 "model-body: `json=` has `parameters.max_new_tokens` at line 3"),
    "url-unpacked-from-a-method": ("import requests\nclass Api:\n    def _request(self, text):\n"
                                   "        return f'{self.base}/v1/chat/completions', {'text': text}\n"
                                   "    def run(self, text):\n        url, body = self._request(text)\n"
                                   "        return requests.post(url, json=body, timeout=30)",
                                   "model-endpoint: `{}/v1/chat/completions` at line 7"),
    "body-unpacked-from-a-method": ("import requests\nclass Api:\n    def _request(self, text):\n"
                                    "        return '/run', {'input': {'messages': [text]}}\n"
                                    "    def run(self, text):\n        path, body = self._request(text)\n"
                                    "        return requests.post(self.base + path, json=body, timeout=30)",
                                    "model-body: `json=` has `input.messages` at line 4"),
    "url-assigned-twice": ("import httpx\nBASE = 'https://api.anthropic.com'\nc = httpx.Client(timeout=30)\n"
                           "def f(query):\n    url = f'{BASE}/v1/messages'\n    if query:\n"
                           "        url = f'{url}?{query}'\n    return c.post(url, content=b'')",
                           "model-endpoint: `https://api.anthropic.com/v1/messages` at line 8"),
    "body-assigned-again-after": ("import requests\ns = requests.Session()\ndef f(url, text):\n"
                                  "    data = {'prompt': text, 'steps': 20}\n"
                                  "    r = s.post(url, json=data, timeout=30)\n    data = r.json()['images']\n"
                                  "    return data", "model-body: `json=` has `prompt` at line 4"),
    "aiohttp-iter-chunked": ("import aiohttp\ns = aiohttp.ClientSession()\nasync def f(url):\n"
                             "    async with s.get(url) as r:\n"
                             "        async for chunk in r.content.iter_chunked(512):\n"
                             "            print(chunk)", "streams: `r.content.iter_chunked(...)` at line 5"),
    "aiohttp-request-function": ("import aiohttp\nasync def f():\n"
                                 "    async with aiohttp.request('POST',\n"
                                 "                               'https://api.groq.com/openai/v1/chat/completions')"
                                 " as r:\n        return await r.json()", "model-endpoint"),
    "openai-sdk": ("import openai\nopenai.OpenAI(timeout=60)", "sdk: `openai.OpenAI` client at line 2"),
    "anthropic-sdk-request": ("import anthropic\nc = anthropic.Anthropic()\n"
                              "c.messages.create(model='m', max_tokens=10, messages=[], timeout=30)",
                              "sdk: `anthropic.Anthropic` client at line 2"),
    "sdk-default-http-client": ("import openai\nopenai.DefaultHttpxClient(timeout=30)",
                                "sdk: `openai.DefaultHttpxClient` client at line 2"),
    # Handed over: through a helper's parameter, a factory, a ``**params`` dict built by a local function.
    "helper-parameter": ("import httpx\ndef complete(client, body):\n"
                         "    return client.post('/v1/chat/completions', json=body)\n"
                         "c = httpx.Client(timeout=30)\ncomplete(c, {})",
                         "model-endpoint: `/v1/chat/completions` at line 3"),
    "mcp-client-factory": ("import httpx\nfrom mcp.client.streamable_http import streamablehttp_client\n"
                           "def make(headers=None, timeout=None, auth=None):\n"
                           "    return httpx.AsyncClient(timeout=httpx.Timeout(30))\n"
                           "transport = streamablehttp_client('https://tools.example.com/mcp',\n"
                           "                                  httpx_client_factory=make)",
                           "streams: handed to `streamablehttp_client(...)` at line 5"),
    "sdk-params-builder": ("import httpx\nfrom anthropic import Anthropic\ndef params():\n"
                           "    kwargs = {'api_key': 'k'}\n    kwargs['http_client'] = httpx.Client(timeout=20)\n"
                           "    return kwargs\nclient = Anthropic(**params())",
                           "sdk: `anthropic.Anthropic` client at line 7"),
    "pytest-fixture": ("import httpx, pytest\n@pytest.fixture\ndef client():\n"
                       "    return httpx.Client(base_url='http://gateway', timeout=30)\n"
                       "def test_run(client):\n    client.post('/agui', json={'messages': []})",
                       "model-body: `json=` has `messages` at line 6"),
    "framework-model-class": ("import httpx\nfrom pydantic_ai.providers.openai import OpenAIProvider\n"
                              "provider = OpenAIProvider(http_client=httpx.AsyncClient(timeout=45))",
                              "sdk: handed to `OpenAIProvider(...)` at line 3"),
}


@pytest.mark.parametrize(("source", "evidence"), STREAMING.values(), ids=STREAMING.keys())
def test_each_library_says_which_requests_may_be_long(source: str, evidence: str) -> None:
    messages = _timeouts(source)
    assert messages and all(evidence in message for message in messages), messages


SHORT = {
    "httpx-get": "import httpx\nc = httpx.Client(timeout=10)\nc.get('https://example.com/api/v1/users')",
    "httpx-post-form": "import httpx\n"
                       "httpx.post('https://oauth2.example.com/token', data={'grant_type': 'x'}, timeout=5)",
    "requests-session": "import requests\ns = requests.Session()\n"
                        "s.post('https://hooks.example.com/x', json={'ok': 1}, timeout=5)",
    "aiohttp-json": "import aiohttp\ns = aiohttp.ClientSession()\nasync def f(url):\n"
                    "    async with s.get(url) as r:\n        return await r.json()",
    # Without ``stream``, httpx and requests have read the whole body when the request returns.
    "httpx-iter-bytes-after-get": "import httpx\ndef f(url):\n    r = httpx.get(url)\n    return list(r.iter_bytes())",
    "requests-iter-content-after-get": "import requests\ndef f(url):\n    r = requests.get(url, timeout=20)\n"
                                       "    return b''.join(r.iter_content(1024))",
    "model-host-other-path": "import httpx\nhttpx.get('https://api.anthropic.com/v1/models', timeout=5)",
    # A GET that streams a file in chunks, or reads it whole: a download, not a model's stream.
    "download-iter-content": "import requests\ns = requests.Session()\ndef f(url, path):\n"
                             "    r = s.get(url, stream=True, timeout=20)\n    with open(path, 'wb') as out:\n"
                             "        for chunk in r.iter_content(8192):\n            out.write(chunk)",
    "download-aiter-bytes": "import httpx\nc = httpx.AsyncClient(timeout=20)\nasync def f(url):\n"
                            "    async with c.stream('GET', url) as r:\n"
                            "        return b''.join([b async for b in r.aiter_bytes()])",
    "download-raw": "import requests, shutil\ns = requests.Session()\ndef f(url, out):\n"
                    "    r = s.get(url, stream=True, timeout=20)\n    shutil.copyfileobj(r.raw, out)",
    "post-without-body-to-generate": "import httpx\nc = httpx.Client(timeout=20)\n"
                                     "def token(base):\n    return c.post(f'{base}/tokens/generate')",
    # An SDK client used only for requests that generate nothing.
    "sdk-embeddings-only": "import openai\nclass Embedder:\n    def __init__(self):\n"
                           "        self._client = openai.OpenAI(timeout=30)\n    def embed(self, texts):\n"
                           "        return self._client.embeddings.create(input=texts, model='m')",
    "sdk-batches-in-a-function": "import anthropic\ndef poll(batch):\n    c = anthropic.Anthropic(timeout=20)\n"
                                 "    return c.messages.batches.create(requests=batch)",
    "url-from-a-table-short-entry": "import httpx\nPATHS = {'chat': '/v1/chat/completions', 'models': '/v1/models'}\n"
                                    "c = httpx.Client(timeout=30)\ndef models():\n    return c.get(PATHS['models'])",
}


@pytest.mark.parametrize("source", SHORT.values(), ids=SHORT.keys())
def test_short_requests_are_not_judged_on_the_streaming_minimum(source: str) -> None:
    assert _timeouts(source) == []
    assert _timeouts(source.replace("import ", "import os, ", 1)) == []  # the same with another import


SDK_USED_ELSEWHERE = {
    "also-chat": "    def chat(self, messages):\n        return self._client.chat.completions.create(messages=messages)",
    "handed-out": "    def client(self):\n        return self._client",
    "checked": "    def ready(self):\n        return self._client is not None",
}


@pytest.mark.parametrize("use", SDK_USED_ELSEWHERE.values(), ids=SDK_USED_ELSEWHERE.keys())
def test_an_sdk_client_with_a_use_besides_side_requests_keeps_its_evidence(use: str) -> None:
    source = ("import openai\nclass Embedder:\n    def __init__(self):\n"
              "        self._client = openai.OpenAI(timeout=30)\n    def embed(self, texts):\n"
              "        return self._client.embeddings.create(input=texts, model='m')\n" + use)
    [message] = _timeouts(source)
    assert message.startswith("openai.OpenAI read timeout 30 s")
    assert message.endswith("sdk: `openai.OpenAI` client at line 4")


def test_an_sdk_that_sends_its_own_timeout_makes_the_handed_clients_default_irrelevant() -> None:
    source = ("import httpx, anthropic, groq\ndef build(timeout):\n    params = {'api_key': 'k'}\n"
              "    params['http_client'] = httpx.Client(timeout=timeout)\n    return anthropic.Anthropic(**params)\n"
              "def build_default():\n    params = {}\n    params['http_client'] = httpx.Client()\n"
              "    return anthropic.Anthropic(**params)\n"
              "def other():\n    return groq.Groq(http_client=httpx.Client())")
    messages = _timeouts(source)  # the groq SDK's semantics are not known: its client's default is judged
    assert len(messages) == 1 and "sdk: handed to `groq.Groq(...)` at line 11" in messages[0]
    explicit = _timeouts(source.replace("timeout=timeout", "timeout=30"))  # a timeout written in code is adopted
    assert any(m.endswith("sdk: `anthropic.Anthropic` client at line 5") for m in explicit)


IN_PROCESS = {
    "asgi": "import httpx\nc = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=None)\n"
            "async def f():\n    return await c.get('/v1/chat/completions', timeout=3)",
    "wsgi": "import httpx\nhttpx.Client(transport=httpx.WSGITransport(app=app), base_url='https://api.openai.com/v1')",
    "mock": "import httpx2\nhttpx2.Client(transport=httpx2.MockTransport(handler), timeout=None)",
    "wrapped-mock": "import httpx\nhttpx.Client(transport=Retrying(httpx.MockTransport(handler)))",
    "sdk-on-mock": "import openai, httpx\n"
                   "openai.OpenAI(http_client=httpx.Client(transport=httpx.MockTransport(handler), timeout=5))",
}


@pytest.mark.parametrize("source", IN_PROCESS.values(), ids=IN_PROCESS.keys())
def test_in_process_transports_get_no_finding(source: str) -> None:
    assert lint(source) == []


def test_the_strict_scope_judges_in_process_timeouts_as_before() -> None:
    assert [v.code for v in lint(IN_PROCESS["mock"], streaming_scope="all")] == ["LL301", "LL401"]


ONE_SHOT = {
    "httpx": "import httpx\ndef f(url):\n    with httpx.Client() as c:\n        return c.get(url, timeout=5)",
    "httpx-async": "import httpx\nasync def f(url):\n    async with httpx.AsyncClient(timeout=5) as c:\n"
                   "        r = await c.post(url, data={'a': 1})\n        r.raise_for_status()\n"
                   "        return r.json()",
    "aiohttp": "import aiohttp\nasync def f(url):\n    async with aiohttp.ClientSession() as s, s.get(url) as r:\n"
               "        return await r.text()",
    "requests": "import requests\ndef f(url):\n    with requests.Session() as s:\n        return s.get(url, timeout=5)",
    "match-branches": "import httpx\ndef f(method, url):\n    with httpx.Client(timeout=5) as c:\n"
                      "        match method:\n            case 'GET':\n                return c.get(url)\n"
                      "            case _:\n                return c.post(url)",
    "retry-loop-returning": "import httpx\nasync def f(url):\n    async with httpx.AsyncClient(timeout=5) as c:\n"
                            "        for attempt in range(3):\n            try:\n"
                            "                r = await c.get(url)\n                return r.json()\n"
                            "            except httpx.HTTPError:\n                continue",
    "closed-in-finally": "import httpx\nasync def f(url):\n    client = httpx.AsyncClient(timeout=5)\n    try:\n"
                         "        r = await client.get(url)\n        return r.json()\n    finally:\n"
                         "        await client.aclose()",
    "closed-after": "import requests\ndef f(url):\n    s = requests.Session()\n    r = s.get(url, timeout=5)\n"
                    "    s.close()\n    return r",
}


@pytest.mark.parametrize("source", ONE_SHOT.values(), ids=ONE_SHOT.keys())
def test_one_shot_clients_with_a_short_request_get_no_pool_or_keepalive_finding(source: str) -> None:
    assert [v.code for v in lint(source) if v.code[:3] in ("LL1", "LL2")] == []
    assert "LL201" in [v.code for v in lint(source, streaming_scope="all")]


NOT_ONE_SHOT = {
    "two-requests": "import httpx\ndef f(url):\n    with httpx.Client() as c:\n        c.get(url)\n        c.get(url)",
    "loop": "import httpx\ndef f(urls):\n    with httpx.Client() as c:\n        for url in urls:\n"
            "            c.get(url)",
    "handed-on": "import httpx\ndef f(url):\n    with httpx.Client() as c:\n        return fetch_all(c, url)",
    "not-with": "import httpx\ndef f(url):\n    c = httpx.Client()\n    return c.get(url)",
    "loop-without-exit": "import httpx\ndef f(urls):\n    with httpx.Client() as c:\n        for url in urls:\n"
                         "            r = c.get(url)\n            print(r)",
    "closed-after-a-loop": "import httpx\ndef f(urls):\n    c = httpx.Client()\n    try:\n"
                           "        return [c.get(url) for url in urls]\n    finally:\n        c.close()",
    "closed-but-returned": "import httpx\ndef f(url):\n    c = httpx.Client()\n    c.get(url)\n"
                           "    if url:\n        c.close()\n    return c",
    "closed-module-client": "import httpx\nc = httpx.Client()\nc.get('https://example.com')\nc.close()",
    "nested-function": "import httpx\ndef f(url):\n    with httpx.Client() as c:\n        def g():\n"
                       "            return c.get(url)\n        return g()",
}


@pytest.mark.parametrize("source", NOT_ONE_SHOT.values(), ids=NOT_ONE_SHOT.keys())
def test_clients_that_may_make_several_requests_keep_their_keepalive_finding(source: str) -> None:
    assert "LL201" in [v.code for v in lint(source)]


def test_a_one_shot_client_whose_request_may_be_long_keeps_keepalive_and_says_why() -> None:
    source = ("import aiohttp\nasync def f(url, body):\n    async with aiohttp.ClientSession() as s:\n"
              "        async with s.post(url, json=body) as r:\n            async for line in r.content:\n"
              "                print(line)")
    [keepalive] = [v for v in lint(source) if v.code == "LL201"]
    assert "it is opened for one request, and that request may be long (streams: `async for ... in r.content` " \
           "at line 5)" in keepalive.message
    assert [v.code for v in lint(source) if v.code[:3] == "LL1"] == []
