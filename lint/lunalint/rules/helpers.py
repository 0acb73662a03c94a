"""Judgements that several rules share: which settings are left to a library default, which
timeouts are shorter than the streaming minimum. They return the settings and the values a
message needs; each rule words its own message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from lunalint.spec import Setting, State

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec

__all__ = ["ShortTimeout", "default_source", "left_to_default", "short_timeouts"]


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
    (``explicit``) or left to the library default."""
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
