"""Extract: evidence that a client or request may carry a long response, and one-shot clients.

A short timeout only kills something when a response can be long. Extraction collects, for every
followed request and client, why a long response is plausible (``spec.Evidence``):

- ``sdk``: an LLM SDK client, or an http client handed to one (any argument of a call into an LLM
  SDK package, ``groq.AsyncGroq(http_client=client)``);
- ``streams``: a request that streams (the library says which: ``client.stream(...)``,
  ``stream=True``), an SSE helper given the client (``httpx_sse.connect_sse(client, ...)``), or a
  function that reads a response incrementally (``iter_lines``, ``aiter_bytes``, ``content.iter_*``,
  ``async for ... in resp.content``, SSE event sources) around the request;
- ``model-endpoint``: a URL (or ``base_url=``) on a model API host or path (``/chat/completions``,
  ``/v1/messages``, ``/api/generate`` ...), read from literals, f-strings and concatenations;
- ``model-body``: a ``json=``/``data=`` body with the keys of a model call (``messages``,
  ``prompt``, ``max_tokens``, ``stream`` ...).

How clients are used (one-shot, or only for requests that generate nothing) is in ``uses.py``.

The patterns are data in this module; nothing here is a guess about values: an expression that does
not resolve to text says nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

import libcst as cst

from lunalint.receivers import bindings_of
from lunalint.scope import Param, Unpacked, ValueOf
from lunalint.spec import Evidence, EvidenceKind
from lunalint.values import Bool, Dict, Obj, Str

if TYPE_CHECKING:
    from lunalint.callers import Callers
    from lunalint.usages import ForeignCall
    from lunalint.values import Value
    from lunalint.overrides import Implementation
    from lunalint.project import Project
    from lunalint.resolve import Resolver
    from lunalint.scope import Scope

__all__ = ["LLM_PACKAGES", "SSE_CLIENT_HELPERS", "EvidenceFinder", "body_evidence", "endpoint_evidence",
           "is_llm_call", "is_streaming_service", "model_keys", "url_argument", "walk"]

# Hosts of model APIs (a URL or base_url on one is a model endpoint).
MODEL_HOSTS = re.compile(
    r"(?:^|[/.@])(?:api\.openai\.com|api\.anthropic\.com|generativelanguage\.googleapis\.com"
    r"|[\w-]*aiplatform\.googleapis\.com|api\.mistral\.ai|api\.groq\.com|api\.together\.(?:xyz|ai)"
    r"|api\.deepseek\.com|openrouter\.ai|api\.cohere\.(?:ai|com)|api\.fireworks\.ai|api\.perplexity\.ai"
    r"|api\.x\.ai|bedrock-runtime\.[\w.-]*amazonaws\.com|[\w-]+\.openai\.azure\.com"
    r"|[\w-]+\.services\.ai\.azure\.com|api-inference\.huggingface\.co|router\.huggingface\.co"
    r"|api\.moonshot\.(?:cn|ai)|dashscope[\w-]*\.aliyuncs\.com|api\.cerebras\.ai|api\.sambanova\.ai"
    r"|api\.deepinfra\.com|api\.replicate\.com|api\.voyageai\.com)(?:[:/?]|$)")
# Paths of generation calls (chat, completions, messages, responses; the generate, completion and chat
# paths of local servers: Ollama, TGI, SGLang, llama.cpp; DashScope's text and multimodal generation).
# ``messages`` and ``responses`` alone name
# resources of many other APIs (a chat app's channel messages, a form's responses): they count after
# a version (``/v1/messages``), an agent (``/agents/{id}/messages``), or alone on a base made elsewhere
# (``/messages``, ``f"{base}/messages"``).
MODEL_PATHS = re.compile(
    r"/services/aigc/[\w-]+-generation/generation(?:$|[?#])|/chat/completions(?:$|[?/#])|/completions(?:$|[?#])|/v\d+(?:beta\d*)?/(?:messages|responses)(?:$|[?#])"
    r"|^(?:\{\})?/(?:messages|responses)(?:$|[?#])|/agents/[^/?#]+/messages(?:$|[?#])"
    r"|/api/generate(?:$|[?#])|/api/chat(?:$|[?#])|:(?:stream)?[gG]enerateContent|/generate_stream(?:$|[?#])"
    r"|/v\d+/chat(?:$|[?#])|/invoke-with-response-stream|/converse(?:-stream)?(?:$|[?#])")
# The generate and completion paths of local servers (TGI, SGLang, llama.cpp): also a token's or a
# report's, so they count only on a request that sends a body (a generation call sends its prompt).
BARE_GENERATION_PATHS = re.compile(r"/generate(?:$|[?#])|/completion(?:$|[?#])")
# Keys of a request body shaped like a model call.
MODEL_BODY_KEYS = ("messages", "prompt", "max_tokens", "max_completion_tokens", "max_new_tokens",
                   "max_output_tokens", "max_tokens_to_sample", "n_predict", "sampling_params", "stream")
BODY_ARGUMENTS = ("json", "data", "content")
# Attributes read on a response that consume its body incrementally.
STREAM_READERS = frozenset({"iter_lines", "aiter_lines", "iter_bytes", "aiter_bytes", "iter_text", "aiter_text",
                            "iter_raw", "aiter_raw", "iter_content", "iter_chunked", "iter_any", "iter_chunks",
                            "iter_sse", "aiter_sse", "events"})
# ``resp.content.<name>``: aiohttp's StreamReader read incrementally.
CONTENT_READERS = frozenset({"readline", "readuntil", "readchunk", "iter_chunked", "iter_any", "iter_chunks"})
# Server-sent-event helpers: given a client as the first argument, and readers of a response.
SSE_CLIENT_HELPERS = frozenset({"httpx_sse.connect_sse", "httpx_sse.aconnect_sse"})
SSE_READERS = frozenset({"httpx_sse.EventSource", "sseclient.SSEClient", "aiohttp_sse_client.client.EventSource",
                         "aiohttp_sse_client2.client.EventSource", "requests_sse.EventSource"})
# Top-level packages of LLM SDKs and frameworks: an http client handed to one of their calls serves it.
LLM_PACKAGES = frozenset({"openai", "anthropic", "groq", "mistralai", "cohere", "google.genai", "google.generativeai",
                          "litellm", "ollama", "together", "fireworks", "cerebras", "voyageai", "replicate",
                          "langchain_openai", "langchain_anthropic", "langchain_groq", "langchain_mistralai",
                          "langchain_ollama", "instructor", "huggingface_hub", "llama_index.llms",
                          # the model classes of agent frameworks, which take an http client for their SDK
                          "pydantic_ai.models", "pydantic_ai.providers", "agno.models", "autogen_ext.models",
                          "crewai.llm", "crewai.llms", "smolagents.models"})
# Libraries that stream over an http client handed to them (or built by a factory handed to them):
# MCP's SSE and streamable HTTP transports, and the agent frameworks' MCP servers built on them.
STREAMING_SERVICES = frozenset({"mcp.client.sse", "mcp.client.streamable_http", "agents.mcp", "pydantic_ai.mcp",
                                "autogen_ext.tools.mcp", "crewai.mcp", "langchain_mcp_adapters"})
# Request methods whose URL is the second positional argument (the first is the HTTP method).
METHOD_FIRST = frozenset({"request", "stream", "urlopen", "request_encode_url", "request_encode_body",
                          "build_request"})
_TEXT_LIMIT = 60


def is_llm_call(qualname: str) -> bool:
    """Whether ``qualname`` is in an LLM SDK package."""
    return _in(qualname, LLM_PACKAGES)


def is_streaming_service(qualname: str) -> bool:
    """Whether ``qualname`` is in a library that streams over an http client handed to it."""
    return _in(qualname, STREAMING_SERVICES)


def _in(qualname: str, packages: frozenset[str]) -> bool:
    return any(qualname == package or qualname.startswith(f"{package}.") for package in packages)


def url_argument(call: cst.Call, method: str) -> cst.BaseExpression | None:
    """The URL expression of a request call (``url=``, else its positional place), or None."""
    position = 1 if method.rsplit(".", 1)[-1] in METHOD_FIRST else 0
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in ("url", "base_url"):
            return arg.value
    return positional[position].value if position < len(positional) else None


def endpoint_evidence(text: str, anchor: cst.CSTNode, *, sends_body: bool = True) -> Evidence | None:
    """``model-endpoint`` evidence when ``text`` (a URL, unknown parts as ``{}``) names a model API."""
    if MODEL_PATHS.search(text) or _model_base(text) or (sends_body and BARE_GENERATION_PATHS.search(text)):
        shown = text if len(text) <= _TEXT_LIMIT else text[:_TEXT_LIMIT - 3] + "..."
        return Evidence(EvidenceKind.MODEL_ENDPOINT, f"`{shown}`", anchor)
    return None


def _model_base(text: str) -> bool:
    """A model API host with no path beyond a version (``https://api.openai.com/v1``): a base URL
    whose requests are model calls. A known path that is not a generation call (``/v1/usage``,
    ``/v1/models``) says the opposite."""
    host = MODEL_HOSTS.search(text)
    if host is None:
        return False
    rest = text[host.end():].lstrip("/").split("?", 1)[0]
    return _BASE_PATH.fullmatch(rest) is not None and not _ANY_RESOURCE.search(rest)


# The path of a model API's base URL: up to four segments of versions and API prefixes
# (``v1``, ``openai/v1``, ``v1/openai``, ``inference/v1``, ``compatible-mode/v1``,
# ``openai/deployments/NAME``), never a resource such as ``models`` or ``usage``.
# An unknown segment after a version (``v1/{endpoint}``) is a resource, any one: not a base URL.
_ANY_RESOURCE = re.compile(r"(?:^|/)v\d+(?:beta|alpha)?\d*/\{\}/?$")
_BASE_PATH = re.compile(r"(?:(?:v\d+(?:beta|alpha)?\d*|openai|api|inference|compatible-mode|deployments/[^/?#]+|\{\})"
                        r"(?:/|$)){0,4}")


# Where a model call's keys sit one level down (DashScope's ``input``, TGI's ``parameters``, Gemini's
# ``generationConfig``).
NESTED_BODY_KEYS = ("input", "parameters", "params", "options", "generation_config", "generationConfig")


def model_keys(body: Dict) -> list[str]:
    """The keys of a model call in ``body`` (``messages``), else those one level down (``input.messages``)."""
    keys = [key for key in MODEL_BODY_KEYS if key in body.items]
    if keys:
        return keys
    for outer in NESTED_BODY_KEYS:
        inner = body.items.get(outer)
        if isinstance(inner, Dict):
            keys += [f"{outer}.{key}" for key in MODEL_BODY_KEYS if key in inner.items]
    return keys


def _has_keys(argument: str, keys: list[str]) -> str:
    return f"`{argument}=` has {', '.join(f'`{key}`' for key in keys)}"


def body_evidence(call: Obj, anchor: cst.CSTNode) -> Evidence | None:
    """``model-body`` evidence when a ``json=``/``data=``/``content=`` body has a model call's keys."""
    for name in BODY_ARGUMENTS:
        body = call.kwargs.get(name)
        if isinstance(body, Obj) and body.qualname in ("json.dumps", "orjson.dumps") and body.args:
            body = body.args[0]
        if isinstance(body, Dict):
            keys = model_keys(body)
            if keys:
                return Evidence(EvidenceKind.MODEL_BODY, _has_keys(name, keys), anchor)
    return None


class EvidenceFinder:
    """Evidence of long responses in one module, with per-function answers cached."""

    def __init__(self, resolver: Resolver, code_for_node: object, project: Project | None = None) -> None:
        self._resolver = resolver
        self._code = code_for_node
        self._project = project  # the tree, for the subclasses of a class in other modules
        self._readers: dict[int, Evidence | None] = {}
        self._bodies: dict[tuple[int, str], list[Implementation]] = {}
        self._callers: Callers | None = None
        self._downloads: dict[int, bool] = {}
        self._foreign: dict[int, list[ForeignCall]] = {}

    def text(self, node: cst.BaseExpression, scope: Scope, depth: int = 0,
             given: Mapping[tuple[int, str], tuple[cst.BaseExpression, Scope] | str] | None = None) -> str | None:
        """The text of a string expression, unknown parts as ``{}``; None when nothing of it is known.
        ``given``: for parameters of a function (keyed by its scope's id and their name), what one
        call of it passes."""
        if depth > 8:
            return None
        if isinstance(node, cst.FormattedString):
            parts: list[str] = []
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    parts.append(part.value)
                elif isinstance(part, cst.FormattedStringExpression):
                    inner = self.text(part.expression, scope, depth + 1, given)
                    parts.append(inner if inner is not None else "{}")
            return "".join(parts)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            left, right = self.text(node.left, scope, depth + 1, given), self.text(node.right, scope, depth + 1, given)
            if left is None and right is None:
                return None
            return (left if left is not None else "{}") + (right if right is not None else "{}")
        if isinstance(node, cst.ConcatenatedString):
            left, right = self.text(node.left, scope, depth + 1, given), self.text(node.right, scope, depth + 1, given)
            return None if left is None or right is None else left + right
        if isinstance(node, (cst.Name, cst.Attribute)):  # a name or ``self.<attribute>`` bound once
            bindings = bindings_of(node, scope)
            if bindings and len(bindings) == 1 and isinstance(bindings[0], ValueOf):
                bound = bindings[0]
                if isinstance(bound.node, (cst.FormattedString, cst.BinaryOperation, cst.ConcatenatedString)):
                    return self.text(bound.node, bound.scope, depth + 1, given)
            if bindings and len(bindings) == 1 and isinstance(bindings[0], Unpacked):
                for unpacked, where in self.unpacked(bindings[0], depth):
                    text = self.text(unpacked, where, depth + 1)
                    if text is not None:
                        return text
                return None
            if given and bindings and len(bindings) == 1 and isinstance(bindings[0], Param):
                passed = given.get((id(bindings[0].function), bindings[0].name))
                if isinstance(passed, str):  # read in another module
                    return passed
                if passed is not None:
                    return self.text(passed[0], passed[1], depth + 1)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):  # ``"%s/v1" % base``
            template = self.text(node.left, scope, depth + 1, given)
            return _PERCENT_FIELD.sub("{}", template) if template is not None else None
        if isinstance(node, cst.Call):
            built = self._built_text(node, scope, depth, given)
            if built is not None:
                return built
        value = self._resolver.resolve(node, scope)
        if isinstance(value, Str):
            return value.value
        if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            key = self._resolver.resolve(node.slice[0].slice.value, scope)  # ``ENDPOINTS["chat"]``
            table = self._resolver.resolve(node.value, scope)
            entry = table.items.get(key.value) if isinstance(table, Dict) and isinstance(key, Str) else None
            return entry.value if isinstance(entry, Str) else None
        return None

    def _built_text(self, call: cst.Call, scope: Scope, depth: int,
                    given: Mapping[tuple[int, str], tuple[cst.BaseExpression, Scope] | str] | None) -> str | None:
        """The text of a URL built by a call: ``"{}/v1".format(base)``, ``base.rstrip("/")``,
        ``"/".join([base, "v1"])``, ``urljoin(base, "/v1/messages")``, ``os.path.join(...)``."""
        func, args = call.func, [arg.value for arg in call.args if not arg.star and arg.keyword is None]

        def part(node: cst.BaseExpression) -> str:
            found = self.text(node, scope, depth + 1, given)
            return found if found is not None else "{}"

        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "format":
                template = self.text(func.value, scope, depth + 1, given)
                return _FORMAT_FIELD.sub("{}", template) if template is not None else None
            if method in _STRIPS:  # ``path.lstrip("/")``: applied to the known text
                text = self.text(func.value, scope, depth + 1, given)
                chars = [self._resolver.resolve(arg, scope) for arg in args[:1]]
                if text is None or not all(isinstance(each, Str) for each in chars):
                    return text
                return str(getattr(text, method)(*(each.value for each in chars if isinstance(each, Str))))
            if method == "join" and len(args) == 1 and isinstance(args[0], (cst.List, cst.Tuple)):
                separator = self.text(func.value, scope, depth + 1, given)
                elements = [element.value for element in args[0].elements if not isinstance(element, cst.StarredElement)]
                return separator.join(part(element) for element in elements) if separator is not None else None
        if len(args) >= 2 and isinstance(func, (cst.Name, cst.Attribute)) and self._resolver.qualname(
                func, scope) in _PATH_JOINS:
            texts = [part(arg) for arg in args]
            return "/".join([texts[0].rstrip("/"), *(text.strip("/") for text in texts[1:])])
        return self._returned_text(call, scope, depth)

    def _returned_text(self, call: cst.Call, scope: Scope, depth: int) -> str | None:
        """The text a local function or method returns for this call's arguments (``self._url(
        "chat/completions")`` with ``return f"{self.base}/{path}"``): its first ``return`` with text."""
        from lunalint.callers import argument, callee

        found = callee(call.func, scope, self._resolver)
        if found is None or depth > 4:
            return None
        function, skipped = found
        given: dict[tuple[int, str], tuple[cst.BaseExpression, Scope]] = {}
        for bindings in function.names.values():
            param = bindings[0] if len(bindings) == 1 else None
            if isinstance(param, Param) and not param.star:
                passed = argument(call, param, skipped)
                if passed is not None:
                    given[(id(function), param.name)] = (passed, scope)
        for returned in function.returns:
            text = self.text(returned, function, depth + 1, given) if returned is not None else None
            if text is not None:
                return text
        return None

    def request(self, call: cst.Call, value: Obj, method: str, scope: Scope, streams: str,
                label: str, *, lazy_body: bool) -> list[Evidence]:
        """Evidence on one request call: it streams, its URL, its body, and (for a library whose
        requests return before the body is read, ``lazy_body``) what its function reads."""
        found: list[Evidence] = []
        if streams and self._download(call, method, scope):
            pass  # a file fetched in chunks: its pauses are the network's, not a model's
        elif streams:
            shown = f"`{label}(...)`" if streams == "stream" else f"`{label}(..., {streams})`"
            found.append(Evidence(EvidenceKind.STREAMS, shown, call))
        elif (passed := self.passed_stream(call, scope)) is not None:
            found.append(passed)
        elif lazy_body:
            reader = self.reader_around(scope)
            if reader is not None:
                found.append(reader)
        url = url_argument(call, method)
        endpoint = self.endpoint(url, scope, call, value, sends_body=_sends_body(call, method)) if (
            url is not None and self._verb(call, method, scope) not in _READING_METHODS) else None
        if endpoint is not None:
            found.append(endpoint)
        body = (body_evidence(value, call) or self.built_body(call, scope) or self.rebound_body(call, scope)
                or self.passed_body(call, scope))
        if body is not None:
            found.append(body)
        return found

    def _verb(self, call: cst.Call, method: str, scope: Scope) -> str:
        """A request's HTTP method, lower case (``client.get(...)``, ``client.request("GET", ...)``),
        "" when unknown. A generation call is never ``GET``, ``HEAD``, ``OPTIONS`` or ``DELETE``."""
        name = method.rsplit(".", 1)[-1].lower()
        if name in METHOD_FIRST:
            given = [arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == "method"]
            positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
            verb = self._resolver.resolve((given or positional)[0], scope) if given or positional else None
            name = verb.value.lower() if isinstance(verb, Str) else ""
        return name

    def _download(self, call: cst.Call, method: str, scope: Scope) -> bool:
        """A ``GET`` that streams a file: its function reads the response as bytes (``iter_bytes``,
        ``iter_content``, ``.raw``, ``.content``) and never as lines or events."""
        if self._verb(call, method, scope) != "get":
            return False
        function = _function_of(scope)
        if function is None or function.node is None:
            return False
        key = id(function.node)
        if key not in self._downloads:
            self._downloads[key] = _reads_bytes_only(function.node, self, function)
        return self._downloads[key]

    def endpoint(self, url: cst.BaseExpression, scope: Scope, call: cst.Call, value: Obj | None = None, *,
                 sends_body: bool = True) -> Evidence | None:
        """``model-endpoint`` evidence for a request's URL: its text, the text of any value of a
        name assigned several times, or, for a URL made of parameters of a local function
        (``self.base + path``), the text each call of that function in the module gives it. A
        known body without the key a model path requires (``messages`` for ``/v1/messages``: a
        chat app's message API) says the request is not a model call."""
        body = _known_body(value) if value is not None else None

        def model_endpoint(text: str | None, anchor: cst.Call) -> Evidence | None:
            found = endpoint_evidence(text, anchor, sends_body=sends_body) if text is not None else None
            return found if found is not None and text is not None and not _lacks_required_key(text, body) else None

        for node, where in self.assignments(url, scope):
            endpoint = model_endpoint(self.text(node, where), call)
            if endpoint is not None:
                return endpoint
        params = {id(param): param for node in walk(url) if isinstance(node, cst.Name)
                  and (param := self.callers.parameter(node, scope)) is not None}
        functions = {id(param.function): param.function for param in params.values() if param.function is not None}
        if len(functions) != 1:
            return None
        from lunalint.callers import argument

        for caller, where, skipped in self.callers.calls(next(iter(functions.values()))):
            given: dict[tuple[int, str], tuple[cst.BaseExpression, Scope] | str] = {}
            for param in params.values():
                passed = argument(caller, param, skipped)
                if passed is not None:
                    given[(id(param.function), param.name)] = (passed, where)
                elif param.default is not None and param.default_scope is not None:
                    given[(id(param.function), param.name)] = (param.default, param.default_scope)
            endpoint = model_endpoint(self.text(url, scope, given=given) if given else None, caller)
            if endpoint is not None:
                return endpoint
        for foreign in self.foreign_calls(next(iter(functions.values()))):
            texts: dict[tuple[int, str], tuple[cst.BaseExpression, Scope] | str] = {}
            for param in params.values():
                passed = argument(foreign.call, param, foreign.skipped)
                if passed is not None:
                    texts[(id(param.function), param.name)] = foreign.finder.text(passed, foreign.scope) or "{}"
            endpoint = model_endpoint(self.text(url, scope, given=texts) if texts else None, foreign.call)
            if endpoint is not None:
                return replace(foreign.place(endpoint), anchor=call)
        return None

    def foreign_calls(self, function: Scope | None) -> list[ForeignCall]:
        """The calls of a function or method of this module in other modules of the tree."""
        if function is None or self._project is None:
            return []
        if id(function) not in self._foreign:
            from lunalint.usages import calls_elsewhere

            self._foreign[id(function)] = calls_elsewhere(function, self._project)
        return self._foreign[id(function)]

    def _passed_values(self, param: Param) -> Iterator[tuple[cst.BaseExpression, Value, Callable[[Evidence], Evidence]]]:
        """What the calls of ``param``'s function pass for it: in this module, then elsewhere (each
        with how to name where it is)."""
        from lunalint.callers import argument

        for node, where in self.callers.arguments(param):
            yield node, self._resolver.resolve(node, where), _here
        for foreign in self.foreign_calls(param.function):
            passed = argument(foreign.call, param, foreign.skipped)
            if passed is not None:
                yield passed, foreign.finder._resolver.resolve(passed, foreign.scope), foreign.place

    @property
    def callers(self) -> Callers:
        if self._callers is None:
            from lunalint.callers import Callers

            self._callers = Callers(self._resolver.scan, self._resolver)
        return self._callers

    def passed_stream(self, call: cst.Call, scope: Scope) -> Evidence | None:
        """``streams`` evidence for ``stream=stream`` with ``stream`` a parameter of a local
        function that a call of it in the module passes as ``True``."""
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value != "stream":
                continue
            param = self.callers.parameter(arg.value, scope)
            if param is None:
                continue
            for node, passed, place in self._passed_values(param):
                if isinstance(passed, Bool) and passed.value:
                    evidence = Evidence(EvidenceKind.STREAMS, f"`stream=True` (the `{param.name}` passed)", node)
                    return _anchored(place(evidence), call)
        return None

    def passed_body(self, call: cst.Call, scope: Scope) -> Evidence | None:
        """``model-body`` evidence for a body that is a parameter of a local function
        (``json=payload``) when a call of that function in the module passes a dict with a model
        call's keys for it."""
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value not in BODY_ARGUMENTS:
                continue
            param = self.callers.parameter(arg.value, scope)
            if param is None:
                continue
            for node, body, place in self._passed_values(param):
                if isinstance(body, Dict):
                    keys = model_keys(body)
                    if keys:
                        evidence = Evidence(EvidenceKind.MODEL_BODY,
                                            f"{_has_keys(arg.keyword.value, keys)} (the `{param.name}` passed)", node)
                        return _anchored(place(evidence), call)
        return None

    @staticmethod
    def assignments(node: cst.BaseExpression, scope: Scope) -> list[tuple[cst.BaseExpression, Scope]]:
        """``node`` itself, or for a name assigned several times in its function (``url = base +
        "/v1/messages"``, then ``url = f"{url}?{query}"`` under a test) each value assigned: a
        request may be made with any of them."""
        bindings = bindings_of(node, scope)
        if bindings and len(bindings) > 1 and all(isinstance(b, ValueOf) for b in bindings):
            return [(b.node, b.scope) for b in bindings if isinstance(b, ValueOf)]
        return [(node, scope)]

    def body_values(self, node: cst.BaseExpression, scope: Scope) -> list[tuple[cst.BaseExpression, Scope]]:
        """The values a body named by ``node`` may have: each value of a name assigned several
        times, or each item a local function's ``return`` gives a name bound by unpacking."""
        bindings = bindings_of(node, scope)
        if bindings and len(bindings) == 1 and isinstance(bindings[0], Unpacked):
            return self.unpacked(bindings[0])
        values = self.assignments(node, scope)
        return values if len(values) > 1 else []

    def unpacked(self, binding: Unpacked, depth: int = 0) -> list[tuple[cst.BaseExpression, Scope]]:
        """For ``url, body = self._request(...)`` with a local function or method: the item of each
        tuple its ``return`` statements give."""
        from lunalint.callers import callee

        value = binding.value.expression if isinstance(binding.value, cst.Await) else binding.value
        if not isinstance(value, cst.Call) or binding.scope is None or depth > 4:
            return []
        found = callee(value.func, binding.scope, self._resolver)
        if found is None:
            return []
        function = found[0]
        return [(returned.elements[binding.index].value, function) for returned in function.returns
                if isinstance(returned, cst.Tuple) and binding.index < len(returned.elements)
                and not isinstance(returned.elements[binding.index], cst.StarredElement)]

    def rebound_body(self, call: cst.Call, scope: Scope) -> Evidence | None:
        """``model-body`` evidence for a body named by a name assigned several times (``data = {...}``
        before the request, ``data = response.json()`` after it) when one of its values has a model
        call's keys."""
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value not in BODY_ARGUMENTS or not isinstance(arg.value, cst.Name):
                continue
            for node, where in self.body_values(arg.value, scope):
                body = self._resolver.resolve(node, where)
                if isinstance(body, Dict):
                    keys = model_keys(body)
                    if keys:
                        return Evidence(EvidenceKind.MODEL_BODY, _has_keys(arg.keyword.value, keys), node)
        return None

    def built_body(self, call: cst.Call, scope: Scope) -> Evidence | None:
        """``model-body`` evidence for a body a method builds (``json=self._payload(...)``, maybe
        through a name) when an implementation of it, in the class or a subclass, returns a dict
        with a model call's keys."""
        from lunalint.overrides import body_method, implementations

        for arg in call.args:
            if arg.keyword is None or arg.keyword.value not in BODY_ARGUMENTS:
                continue
            node = arg.value
            if isinstance(node, cst.Call) and node.args and self._resolver.qualname(
                    node.func, scope) in ("json.dumps", "orjson.dumps"):
                node = node.args[0].value
            found = body_method(node, scope)
            if found is None:
                continue
            owner, method = found
            key = (id(owner), method)
            if key not in self._bodies:
                self._bodies[key] = implementations(owner, method, self._resolver, self._project)
            for item in self._bodies[key]:
                keys = ", ".join(f"`{k}`" for k in item.keys)
                text = f"`{arg.keyword.value}=` is `self.{method}(...)`; `{item.owner}.{method}` returns {keys}"
                return Evidence(EvidenceKind.MODEL_BODY, text, item.anchor or call, where=item.where)
        return None

    def reader_around(self, scope: Scope) -> Evidence | None:
        """A response read incrementally in the function (or method) ``scope`` belongs to."""
        function = _function_of(scope)
        if function is None or function.node is None:
            return None
        key = id(function.node)
        if key not in self._readers:
            self._readers[key] = self.first_reader(function.node, function)
        return self._readers[key]

    def first_reader(self, root: cst.CSTNode, scope: Scope, *, text_only: bool = False) -> Evidence | None:
        """The first incremental read of a response in ``root`` (``text_only``: as lines, text or
        events, not bytes)."""
        for node in walk(root):
            if isinstance(node, cst.Call):
                func = node.func
                if isinstance(func, cst.Attribute) and _reads_stream(func) and not (
                        text_only and func.attr.value in BYTES_READERS):
                    return Evidence(EvidenceKind.STREAMS, f"`{self.show(func)}(...)`", node)
                if isinstance(func, (cst.Name, cst.Attribute)):
                    qualname = self._resolver.qualname(func, scope)
                    if qualname in SSE_READERS or qualname in SSE_CLIENT_HELPERS:
                        return Evidence(EvidenceKind.STREAMS, f"`{self.show(func)}(...)`", node)
            elif isinstance(node, cst.For) and node.asynchronous is not None:
                target = node.iter
                if isinstance(target, cst.Attribute) and target.attr.value == "content":
                    return Evidence(EvidenceKind.STREAMS, f"`async for ... in {self.show(target)}`", node)
        return None

    def show(self, node: cst.CSTNode) -> str:
        """The code of ``node`` on one line, shortened."""
        code: str = self._code(node)  # type: ignore[operator]
        code = " ".join(code.split())
        return code if len(code) <= _TEXT_LIMIT else "..." + code[-(_TEXT_LIMIT - 3):]


# Methods of requests that read or remove: never a generation call.
_READING_METHODS = frozenset({"get", "head", "options", "delete"})
# Model paths whose calls cannot go without a key of the body (Chat Completions and Messages
# need ``messages``, Completions ``prompt``), the first that matches.
_REQUIRED_KEYS = ((re.compile(r"/(?:chat/completions|messages)(?:$|[?#])"), "messages"),
                  (re.compile(r"/completions(?:$|[?#])"), "prompt"))


def _known_body(call: Obj) -> Dict | None:
    """The body of a request, when it is a dict whose every key is known."""
    for name in BODY_ARGUMENTS:
        body = call.kwargs.get(name)
        if isinstance(body, Obj) and body.qualname in ("json.dumps", "orjson.dumps") and body.args:
            body = body.args[0]
        if body is not None:
            return body if isinstance(body, Dict) and body.complete else None
    return None


def _lacks_required_key(url: str, body: Dict | None) -> bool:
    if body is None:
        return False
    path = url.split("?", 1)[0]
    for pattern, key in _REQUIRED_KEYS:
        if pattern.search(path):
            return key not in body.items
    return False


# URL building: ``%`` fields, ``str.format`` fields, the methods that strip a text, and the functions
# that join a base and a path.
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]")
_FORMAT_FIELD = re.compile(r"\{[^{}]*\}")
_STRIPS = frozenset({"rstrip", "lstrip", "strip", "removesuffix", "removeprefix"})
_PATH_JOINS = frozenset({"urllib.parse.urljoin", "os.path.join", "posixpath.join"})


def _here(evidence: Evidence) -> Evidence:
    return evidence


def _anchored(evidence: Evidence, call: cst.Call) -> Evidence:
    """Evidence found in another module is anchored at the request here; evidence here keeps its anchor."""
    return replace(evidence, anchor=call) if evidence.where else evidence


def _function_of(scope: Scope) -> Scope | None:
    function: Scope | None = scope
    while function is not None and function.kind != "function":
        if function.kind == "module":
            return None
        function = function.parent
    return function


# Reading a response as bytes: a download. Lines, text and events (or ``async for`` over an aiohttp
# body, which yields lines) are what streamed model output is read with.
BYTES_READERS = frozenset({"iter_bytes", "aiter_bytes", "iter_content", "iter_raw", "aiter_raw", "iter_chunked",
                           "iter_any", "iter_chunks", "readchunk"})
_BYTES_ATTRIBUTES = frozenset({"raw", "content"})


def _reads_bytes_only(root: cst.CSTNode, finder: EvidenceFinder, scope: Scope) -> bool:
    """Whether the function ``root`` reads a response as bytes and never as lines or events."""
    if finder.first_reader(root, scope, text_only=True) is not None:
        return False
    for node in walk(root):
        if isinstance(node, cst.Attribute) and (node.attr.value in BYTES_READERS or (
                node.attr.value in _BYTES_ATTRIBUTES and isinstance(node.value, cst.Name))):
            return True
    return False


def _sends_body(call: cst.Call, method: str) -> bool:
    """Whether a request may send a body: a generation call always sends its prompt."""
    positional = 2 if method.rsplit(".", 1)[-1] in METHOD_FIRST else 1
    return any(arg.star or (arg.keyword is None and index >= positional) or (
        arg.keyword is not None and arg.keyword.value in _BODY_KEYWORDS) for index, arg in enumerate(call.args))


_BODY_KEYWORDS = frozenset({*BODY_ARGUMENTS, "files", "body", "fields"})


def _reads_stream(func: cst.Attribute) -> bool:
    name = func.attr.value
    if name in STREAM_READERS:
        return True
    base = func.value
    return name in CONTENT_READERS and isinstance(base, cst.Attribute) and base.attr.value == "content"


def walk(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under ``root``, ``root`` first, in source order."""
    stack: list[cst.CSTNode] = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))
