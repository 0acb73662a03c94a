"""The openai (>= 3) and anthropic (>= 1) SDK clients, which are built on httpx2.

Semantics from openai 3.57.0 and anthropic 2.14.0 (``_constants.py``, ``_base_client.py``); the
defaults are in ``DEFAULTS``. ``AnthropicAWS`` (``lib/aws``), ``AnthropicBedrockMantle``
(``lib/bedrock/_mantle.py``) and ``BedrockOpenAI`` (``lib/bedrock.py``) pass ``timeout`` and
``http_client`` to the same base client, so they are read like the SDK's own client:

- ``timeout=`` on the client, on ``with_options()`` and per request takes a number (every phase,
  connect included), an ``httpx2.Timeout`` or ``None`` (no timeout at all, connect included).
- When the client's ``timeout`` is not given and ``http_client=`` has a timeout other than httpx's
  5 s default, the SDK adopts the ``http_client``'s timeout.
- anthropic's own default client sets ``SO_KEEPALIVE`` with ``TCP_KEEPIDLE`` 60 s; openai's sets
  no socket options. Any ``http_client=`` replaces the default client, keepalive included, unless
  it is a ``DefaultHttpxClient()`` without ``transport=`` (anthropic's adds the options itself).
- ``DefaultHttpxClient``/``DefaultAsyncHttpxClient`` are httpx2 clients whose ``timeout`` and
  ``limits`` default to the SDK's. ``DefaultAioHttpClient`` accepts ``socket_options`` and never
  applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lunalint.libraries.base import (
    Defaults, Library, default, not_followed, not_fully_known, origin_noted, timeout_spec, unknown, unknown_keepalive,
)
from lunalint.libraries.httpx import CLIENTS as HTTPX_CLIENTS
from lunalint.libraries.httpx import DEFAULTS as HTTPX_DEFAULTS
from lunalint.libraries.httpx import LIBRARY as HTTPX
from lunalint.libraries.httpx import httpx_timeout
from lunalint.spec import (
    Anchor, ClientSpec, Evidence, EvidenceKind, IgnoredSetting, Keepalive, KeepaliveState,
)
from lunalint.values import Missing, NoneValue, Num, Obj, Unknown, Value

__all__ = ["DEFAULTS", "LIBRARY", "SdkDefaults"]


@dataclass(frozen=True)
class SdkDefaults(Defaults):
    read: float  # ``DEFAULT_TIMEOUT = httpx2.Timeout(600, connect=5.0)``: read, write and pool
    connect: float
    # ``DEFAULT_CONNECTION_LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)``
    # leaves ``keepalive_expiry`` at httpx's
    keepalive_expiry: float
    anthropic_keepalive_idle: float  # anthropic's default client: SO_KEEPALIVE, TCP_KEEPIDLE 60


DEFAULTS = SdkDefaults(upstream="openai 3.57.0 and anthropic 2.14.0, _constants.py and _base_client.py",
                       read=600.0, connect=5.0, keepalive_expiry=HTTPX_DEFAULTS.keepalive_expiry,
                       anthropic_keepalive_idle=60.0)

CLIENTS = {
    "openai": ("OpenAI", "AsyncOpenAI", "AzureOpenAI", "AsyncAzureOpenAI", "Client", "AsyncClient", "BedrockOpenAI",
               "AsyncBedrockOpenAI"),
    "anthropic": ("Anthropic", "AsyncAnthropic", "Client", "AsyncClient", "AnthropicBedrock",
                  "AsyncAnthropicBedrock", "AnthropicVertex", "AsyncAnthropicVertex", "AnthropicFoundry",
                  "AsyncAnthropicFoundry", "AnthropicAWS", "AsyncAnthropicAWS", "AnthropicBedrockMantle",
                  "AsyncAnthropicBedrockMantle"),
}
EXTRA_PATHS = {
    "openai.lib.azure.AzureOpenAI": "openai", "openai.lib.azure.AsyncAzureOpenAI": "openai",
    "anthropic.lib.bedrock.AnthropicBedrock": "anthropic", "anthropic.lib.bedrock.AsyncAnthropicBedrock": "anthropic",
    "anthropic.lib.vertex.AnthropicVertex": "anthropic", "anthropic.lib.vertex.AsyncAnthropicVertex": "anthropic",
    "anthropic.lib.aws.AnthropicAWS": "anthropic", "anthropic.lib.aws.AsyncAnthropicAWS": "anthropic",
    "anthropic.lib.bedrock.AnthropicBedrockMantle": "anthropic",
    "anthropic.lib.bedrock.AsyncAnthropicBedrockMantle": "anthropic",
    "openai.lib.bedrock.BedrockOpenAI": "openai", "openai.lib.bedrock.AsyncBedrockOpenAI": "openai",
}
DEFAULT_CLIENTS = {
    "openai": ("DefaultHttpxClient", "DefaultAsyncHttpxClient", "DefaultHttpx2Client", "DefaultAsyncHttpx2Client"),
    "anthropic": ("DefaultHttpxClient", "DefaultAsyncHttpxClient"),
}
AIOHTTP_CLIENTS = frozenset({"openai.DefaultAioHttpClient", "anthropic.DefaultAioHttpClient"})
TIMEOUT_ALIASES = frozenset({"openai.Timeout", "anthropic.Timeout"})
REQUEST_METHODS = frozenset({"create", "stream", "parse"})
COPY_METHODS = frozenset({"with_options", "copy"})


def _sdk_of(qualname: str) -> str:
    return qualname.split(".", 1)[0]


def _short(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1]


def _normalise(value: Value | None) -> Value | None:
    """``openai.Timeout`` and ``anthropic.Timeout`` are ``httpx2.Timeout``."""
    if isinstance(value, Obj) and value.qualname in TIMEOUT_ALIASES:
        return replace(value, qualname="httpx2.Timeout")
    return value


def _phases_spec(sdk: str, label: str, node: Anchor, value: Value | None, site: Anchor, *,
                 pooled: bool, default_note: str) -> ClientSpec:
    phases = httpx_timeout(_normalise(value), site, default_note=default_note, default_seconds=DEFAULTS.read,
                           default_connect=DEFAULTS.connect)
    if isinstance(value, NoneValue):
        none_note = origin_noted(f"timeout=None removes every {sdk} timeout, the 5 s connect timeout included", value)
        phases = {phase: replace(setting, note=none_note) for phase, setting in phases.items()}
    return timeout_spec(sdk, label, node, phases, pooled=pooled)


def _sdk_evidence(label: str, node: Anchor) -> tuple[Evidence, ...]:
    """Every SDK client calls a model API: long responses are what it is for."""
    return (Evidence(EvidenceKind.SDK, f"`{label}` client", node),)


# The inner http_client ----------------------------------------------------------------------------
def _inner_spec(inner: Obj) -> ClientSpec | None:
    """The spec the inner ``http_client`` would have on its own (its pool, keepalive and timeout)."""
    if inner.qualname in HTTPX_CLIENTS:
        return HTTPX.constructors[inner.qualname](inner)[0]
    if inner.qualname in _DEFAULT_CLIENT_QUALNAMES:
        return _default_client(inner)[0]
    return None


def _inner_timeout_given(inner: Obj) -> bool | None:
    """Whether the inner client sets a timeout the SDK adopts (``None``: not known)."""
    timeout = inner.get("timeout")
    if timeout is None:
        return None if not inner.complete else False
    if isinstance(timeout, Num) and timeout.value == HTTPX_DEFAULTS.timeout and inner.qualname in HTTPX_CLIENTS:
        return False  # equal to httpx's default: the SDK cannot tell it apart and uses its own
    return True


# SDK clients --------------------------------------------------------------------------------------
def _sdk_client(call: Obj) -> list[ClientSpec]:
    sdk = _sdk_of(call.qualname) if call.qualname not in EXTRA_PATHS else EXTRA_PATHS[call.qualname]
    label = f"{sdk}.{_short(call.qualname)}"
    note = f"{sdk} default"
    timeout = call.get("timeout")
    http_client = call.get("http_client")
    if isinstance(http_client, (Missing, NoneValue)):
        http_client = None  # ``http_client=None``: the SDK builds its default client
    if not call.complete and (timeout is None or http_client is None):
        setting = unknown(call.node, not_fully_known())
        keepalive = unknown_keepalive(call.node, not_fully_known())
        if timeout is not None:  # the SDK sends its own timeout whatever http_client a caller adds
            spec = _phases_spec(sdk, label, call.node, timeout, call.site_of("timeout"), pooled=True,
                                default_note=note)
            return [replace(spec, pool_idle=setting, keepalive=keepalive, evidence=_sdk_evidence(label, call.node))]
        return [ClientSpec(library=sdk, label=label, anchor=call.node, pool_idle=setting, keepalive=keepalive,
                           read_timeout=setting, connect_timeout=setting, evidence=_sdk_evidence(label, call.node))]
    inner = http_client if isinstance(http_client, Obj) else None
    inner_spec = _inner_spec(inner) if inner is not None else None
    absorbs: tuple[Anchor, ...] = (inner.node,) if inner_spec is not None and inner is not None else ()

    # Timeout: the SDK's own, else one adopted from the http_client, else the SDK default.
    if timeout is not None:
        spec = _phases_spec(sdk, label, call.node, timeout, call.site_of("timeout"), pooled=True, default_note=note)
    elif http_client is None:
        spec = _phases_spec(sdk, label, call.node, None, call.node, pooled=True, default_note=note)
    elif inner_spec is not None and inner is not None:
        adopted = _inner_timeout_given(inner)
        if adopted is None:
            spec = _phases_spec(sdk, label, call.node, Unknown(call.node, reason=not_fully_known("http_client")),
                                call.node, pooled=True, default_note=note)
        elif adopted:
            adopted_note = "adopted from http_client, since the SDK's timeout is not set"
            spec = ClientSpec(library=sdk, label=label, anchor=call.node,
                              read_timeout=inner_spec.read_timeout and inner_spec.read_timeout.noted(adopted_note),
                              connect_timeout=inner_spec.connect_timeout
                              and inner_spec.connect_timeout.noted(adopted_note),
                              other_timeouts=inner_spec.other_timeouts)
        else:
            spec = _phases_spec(sdk, label, call.node, None, call.node, pooled=True, default_note=note)
    else:
        reason = not_followed(http_client, "http_client")
        spec = _phases_spec(sdk, label, call.node, Unknown(call.node, reason=reason), call.node,
                            pooled=True, default_note=note)

    # Pool and keepalive: the SDK's default client, or whatever the http_client has.
    ignored: tuple[IgnoredSetting, ...] = ()
    if http_client is None:
        pool = default(DEFAULTS.keepalive_expiry, call.node, note)
        keepalive = _default_keepalive(sdk, call.node)
    elif inner_spec is not None:
        pool = inner_spec.pool_idle or unknown(call.node)
        keepalive = inner_spec.keepalive or unknown_keepalive(call.node)
        if sdk == "anthropic" and keepalive.state is KeepaliveState.OFF:
            keepalive = keepalive.noted("passing http_client= drops anthropic's default TCP keepalive")
        ignored = inner_spec.ignored
    elif isinstance(http_client, Obj) and http_client.qualname in AIOHTTP_CLIENTS:
        site = call.site_of("http_client")
        pool = unknown(site, "DefaultAioHttpClient pool not followed")
        keepalive = Keepalive(KeepaliveState.OFF, site,
                              note="DefaultAioHttpClient accepts socket_options and never applies them")
    else:
        reason = not_followed(http_client)
        pool = unknown(call.site_of("http_client"), reason)
        keepalive = unknown_keepalive(call.site_of("http_client"), reason)
    in_process = inner_spec.in_process if inner_spec is not None else ""
    return [replace(spec, pooled=True, pool_idle=pool, keepalive=keepalive, absorbs=absorbs, ignored=ignored,
                    evidence=_sdk_evidence(label, call.node), in_process=in_process)]


def _default_keepalive(sdk: str, node: Anchor) -> Keepalive:
    if sdk == "anthropic":
        idle = default(DEFAULTS.anthropic_keepalive_idle, node, "anthropic default")
        return Keepalive(KeepaliveState.ON, node, idle=idle, explicit=False,
                         note="anthropic's default client sets SO_KEEPALIVE and TCP_KEEPIDLE 60 s")
    return Keepalive(KeepaliveState.OFF, node, explicit=False,
                     note="the openai SDK's default client sets no socket options")


def _default_client(call: Obj) -> list[ClientSpec]:
    """``DefaultHttpxClient(**kw)``: an httpx2 client whose timeout and limits default to the SDK's."""
    sdk = _sdk_of(call.qualname)
    async_client = "Async" in _short(call.qualname)
    base = replace(call, qualname="httpx2.AsyncClient" if async_client else "httpx2.Client")
    spec = HTTPX.constructors[base.qualname](base)[0]
    label = f"{sdk}.{_short(call.qualname)}"
    note = f"{sdk} {_short(call.qualname)} default"
    if call.get("timeout") is None and call.complete:
        timed = _phases_spec(sdk, label, call.node, None, call.node, pooled=True, default_note=note)
        spec = replace(spec, read_timeout=timed.read_timeout, connect_timeout=timed.connect_timeout,
                       other_timeouts=timed.other_timeouts)
    keepalive = spec.keepalive
    pool = spec.pool_idle
    if call.get("transport") is None and call.complete:
        if call.get("limits") is None:
            pool = default(DEFAULTS.keepalive_expiry, call.node, note)
        if sdk == "anthropic":
            keepalive = _default_keepalive(sdk, call.node)
        else:
            keepalive = Keepalive(KeepaliveState.OFF, call.node, explicit=False,
                                  note=f"{label} without transport= sets no socket options")
    return [replace(spec, library=sdk, label=label, pool_idle=pool, keepalive=keepalive,
                    evidence=_sdk_evidence(label, call.node))]


# Methods ------------------------------------------------------------------------------------------
def _client_method(receiver: Obj, call: Obj, method: str) -> list[ClientSpec]:
    """``with_options(timeout=...)`` and per-request ``timeout=`` on ``create``/``stream``/``parse``."""
    timeout = call.get("timeout")
    if timeout is None:
        return []  # the client's timeout applies, judged at the client
    sdk = _sdk_of(receiver.qualname) if receiver.qualname not in EXTRA_PATHS else EXTRA_PATHS[receiver.qualname]
    label = f"{_short(receiver.qualname)}.{method}()"
    spec = _phases_spec(sdk, label, call.node, timeout, call.site_of("timeout"), pooled=False,
                        default_note=f"{sdk} default")
    return [replace(spec, evidence=_sdk_evidence(f"{sdk}.{_short(receiver.qualname)}", receiver.node))]


_DEFAULT_CLIENT_QUALNAMES = frozenset(f"{sdk}.{name}" for sdk, names in DEFAULT_CLIENTS.items() for name in names)
_SDK_CLIENTS = (*(f"{sdk}.{name}" for sdk, names in CLIENTS.items() for name in names), *EXTRA_PATHS)

LIBRARY = Library(
    defaults=DEFAULTS,
    constructors={**dict.fromkeys(_SDK_CLIENTS, _sdk_client),
                  **dict.fromkeys(_DEFAULT_CLIENT_QUALNAMES, _default_client)},
    # ``client.with_options(...)``, and ``client.chat.completions.create(...)`` through any resource
    methods=dict.fromkeys(_SDK_CLIENTS, {
        **dict.fromkeys(COPY_METHODS, _client_method),
        **dict.fromkeys((f"*.{name}" for name in REQUEST_METHODS), _client_method),
    }),
    request_methods=frozenset(f"*.{name}" for name in REQUEST_METHODS),
    # Each request carries the SDK's timeout; an http_client's is adopted only when it differs from httpx's default.
    replaces_default_timeout=frozenset(_SDK_CLIENTS),
)
