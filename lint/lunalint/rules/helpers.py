"""Judgements that several rules share: which settings are left to a library default, which
timeouts are shorter than the streaming minimum, where the streaming minimum applies and which
clients need a pool at all. They return the settings and the values a message needs; each rule
words its own message.

The policy's ``streaming-scope`` decides how much of a spec's evidence matters. With ``"llm"`` (the
default) the streaming minimum applies where a long response is plausible (``spec.evidence``: an
LLM SDK, a request that streams, a model endpoint or body); a client opened for one request and
closed has no pool to judge, and no keepalive to judge unless that request may be long; a client
whose transport is in-process has no network to judge at all. With ``"all"`` every client is
judged as if it streamed over a pooled network connection, as lunalint did before the scope existed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from lunalint.spec import Evidence, Setting, State

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec

__all__ = ["ShortTimeout", "default_source", "evidence_field", "judges_keepalive", "judges_pool",
           "judges_timeouts", "left_to_default", "long_response", "short_timeouts", "strict"]


def strict(policy: Policy) -> bool:
    """``streaming-scope = "all"``: every client judged as if it streamed over a pooled network connection."""
    return policy.streaming_scope == "all"


def long_response(spec: ClientSpec, *, default_timeout: bool = False) -> Evidence | None:
    """The strongest evidence that a response of ``spec`` may be long, if any; for a timeout left
    to the library default, only evidence of requests that use it (an SDK that sets its own timeout
    on every request it sends through the client does not)."""
    for evidence in spec.evidence:
        if not (default_timeout and evidence.replaces_default_timeout):
            return evidence
    return None


def evidence_field(evidence: Evidence | None) -> tuple[str, tuple[object, ...]]:
    """``("; streams: `c.stream(...)` at line <mark>", (anchor,))`` for a message, or nothing."""
    if evidence is None:
        return "", ()
    return f"; {evidence.describe()}", () if evidence.where else (evidence.anchor,)


def judges_timeouts(spec: ClientSpec, policy: Policy) -> bool:
    """Whether any timeout of ``spec`` is judged: not on an in-process transport (unless strict)."""
    return strict(policy) or not spec.in_process


def judges_pool(spec: ClientSpec, policy: Policy) -> bool:
    """Whether ``spec``'s pool is judged: a pooled client, unless (strict aside) it is opened for
    one request and closed, or its transport is in-process."""
    return spec.pooled and (strict(policy) or not (spec.one_shot or spec.in_process))


def judges_keepalive(spec: ClientSpec, policy: Policy) -> tuple[bool, Evidence | None]:
    """Whether ``spec``'s TCP keepalive is judged, and for a one-shot client the evidence that its
    one request may be long (the reason keepalive still matters there)."""
    if not spec.pooled:
        return False, None
    if strict(policy):
        return True, None
    if spec.in_process:
        return False, None
    if spec.one_shot:
        evidence = long_response(spec)
        return evidence is not None, evidence
    return True, None


def left_to_default(setting: Setting | None) -> Setting | None:
    """The setting, if the code leaves it to a library default whose value is known."""
    if setting is not None and setting.is_default and setting.state is not State.UNKNOWN:
        return setting
    return None


def default_source(setting: Setting) -> str:
    """Where a default comes from, for messages: ``httpx default``, ``Timeout() default`` ..."""
    return setting.note or "library default"


class ShortTimeout(NamedTuple):
    """A read timeout or total deadline below the streaming minimum, and what it does to a stream."""

    kind: str          # "read timeout" or "total timeout"
    setting: Setting
    seconds: float
    consequence: str


def short_timeouts(spec: ClientSpec, policy: Policy, *, explicit: bool) -> Iterator[ShortTimeout]:
    """The read timeout and total deadline below the streaming minimum, written in code
    (``explicit``) or left to the library default; with ``streaming-scope = "llm"`` only where a
    long response is plausible."""
    if not strict(policy) and spec.evidence_read and (
            spec.in_process or long_response(spec, default_timeout=not explicit) is None):
        return
    parts = (
        ("read timeout", spec.read_timeout,
         "a pause longer than that between two chunks (extended thinking, a slow first token) ends the request"),
        ("total timeout", spec.total_timeout,
         "it is a whole-request deadline that includes the streamed body, so it ends every longer stream"),
    )
    for kind, setting, consequence in parts:
        if setting is None or setting.explicit != explicit or not setting.finite or setting.seconds is None:
            continue
        if setting.seconds < policy.streaming_min_timeout:
            yield ShortTimeout(kind, setting, setting.seconds, consequence)
