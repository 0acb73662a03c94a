"""ClientSpec: the four settings of one client construction or call, as library-agnostic data.

Libraries build ClientSpecs from resolved values; rules judge them against the policy. A
``Setting`` says what a setting is (seconds, disabled, unknown, ...), whether the code wrote it or
left it to the library default, where to report it, and a note for the message ("environment
default of OPENAI_TIMEOUT", "httpx default", ...).

Whether a long response is plausible is data too: ``Evidence`` (an LLM SDK, a request that
streams, a model endpoint, a body shaped like a model call), found in extraction, and two markers,
``one_shot`` (a client opened for one request and closed) and ``in_process`` (a transport that never
touches the network). Rules read them through the policy's ``streaming-scope``.

Where to report is an ``Anchor``: the language frontend's own handle on a place in the source (a
libcst node for Python; a ``Span`` for a frontend that knows positions when it extracts). Nothing
but the frontend that made an anchor looks inside it: placement asks the file's frontend for each
reported anchor's ``Span``, and a fix hands the anchor back to the frontend that edits the source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import NamedTuple

__all__ = [
    "LINE_MARK", "Anchor", "ClientSpec", "Evidence", "EvidenceKind", "IgnoredSetting", "Keepalive", "KeepaliveState",
    "Setting", "Span", "State",
    "fmt_seconds",
]

# The frontend's handle on a place in the source; opaque to rules, placement, report and cache.
Anchor = object


class Span(NamedTuple):
    """A range of source text: 1-based lines and columns, the end column just past the range."""

    line: int
    column: int
    end_line: int
    end_column: int


class State(str, Enum):
    SECONDS = "seconds"      # a finite (or infinite) number of seconds
    DISABLED = "disabled"    # no limit at all (None, or a value the library treats as "off")
    UNKNOWN = "unknown"      # not statically known: never a finding
    INVALID = "invalid"      # a value that makes no sense here (string, bool, negative, nan)
    UNSUPPORTED = "unsupported"  # the library cannot express this setting at all


@dataclass(frozen=True)
class Setting:
    """One resolved setting."""

    state: State
    anchor: Anchor = field(repr=False, compare=False)
    seconds: float | None = None
    explicit: bool = True   # False: the library default applies
    note: str = ""          # extra context for messages
    raw: str = ""           # how the value was written, for INVALID values
    lowest: float | None = None  # one of several values on different paths: the smallest (seconds: the largest)

    @property
    def least(self) -> float | None:
        """The smallest value the setting may have (``seconds`` unless it differs by path)."""
        return self.lowest if self.lowest is not None else self.seconds

    @property
    def is_default(self) -> bool:
        return not self.explicit

    @property
    def finite(self) -> bool:
        return self.state is State.SECONDS and self.seconds is not None and math.isfinite(self.seconds)

    def value_text(self) -> str:
        """``60 s``, ``no limit``, ``'600'`` ...: the value alone."""
        if self.state is State.SECONDS and self.seconds is not None:
            return fmt_seconds(self.seconds)
        if self.state is State.DISABLED:
            return "no limit"
        return self.raw or self.state.value

    def at(self, anchor: Anchor) -> Setting:
        """This setting, reported at ``anchor`` instead."""
        return replace(self, anchor=anchor)

    def noted(self, note: str) -> Setting:
        """This setting with ``note`` added after its own note (``"httpx default, <note>"``)."""
        return replace(self, note=f"{self.note}, {note}" if self.note else note)


def fmt_seconds(seconds: float) -> str:
    if math.isinf(seconds):
        return "infinite"
    return f"{seconds:g} s"


class KeepaliveState(str, Enum):
    ON = "on"
    OFF = "off"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Keepalive:
    """TCP keepalive on the client's sockets: on/off and the idle time before the first probe."""

    state: KeepaliveState
    anchor: Anchor = field(repr=False, compare=False)
    idle: Setting | None = None  # None while ON: SO_KEEPALIVE without an idle time
    explicit: bool = True
    note: str = ""

    def at(self, anchor: Anchor) -> Keepalive:
        """This keepalive, its idle time included, reported at ``anchor`` instead."""
        return replace(self, anchor=anchor, idle=self.idle and self.idle.at(anchor))

    def noted(self, note: str) -> Keepalive:
        """This keepalive with the sentence ``note`` added after its own note (``"<own>; <note>"``)."""
        return replace(self, note=f"{self.note}; {note}" if self.note else note)


@dataclass(frozen=True)
class IgnoredSetting:
    """An argument that the library silently ignores (e.g. ``limits=`` beside ``transport=``)."""

    anchor: Anchor = field(repr=False, compare=False)
    argument: str = ""
    reason: str = ""


class EvidenceKind(str, Enum):
    """Why a long response is plausible on a client or request."""

    SDK = "sdk"                        # an LLM SDK client, or an http client handed to one
    STREAMS = "streams"                # a request that streams its response
    MODEL_ENDPOINT = "model-endpoint"  # a request to a model API host or path
    MODEL_BODY = "model-body"          # a request body shaped like a model call


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence: its kind, what the code shows (``"`client.stream(...)`"``) and where."""

    kind: EvidenceKind
    text: str
    anchor: Anchor = field(repr=False, compare=False)
    # The SDK the client is handed to sets its own timeout on every request, so the client's
    # library-default timeout is never used for these requests (its explicit one is adopted).
    replaces_default_timeout: bool = False
    # Evidence found in another module of the tree: where (``pkg/models.py:40``); the anchor is then
    # the client it is about, in this file.
    where: str = ""

    def describe(self) -> str:
        """``streams: `client.stream(...)` at <mark>``: placement writes where (``line 40``, or
        ``cell 3, line 2`` in a notebook); ``streams: `client.stream(...)` in pkg/models.py:40``
        for evidence in another module."""
        if self.where:
            return f"{self.kind.value}: {self.text} in {self.where}"
        return f"{self.kind.value}: {self.text} at {LINE_MARK}"


# Stands for "where the finding's n-th ``lines`` anchor is" (``line 40``) in a message; placement,
# which knows positions, replaces each mark in order (``Finding.lines``).
LINE_MARK = "\x00line\x00"


@dataclass(frozen=True)
class ClientSpec:
    """What one client construction (or one request call) ends up with."""

    library: str
    label: str               # "httpx.AsyncClient", "httpx.stream()", used in messages
    anchor: Anchor = field(repr=False, compare=False)
    pooled: bool = True      # a long-lived connection pool (False: a one-shot request)
    pool_idle: Setting | None = None       # None: not applicable
    keepalive: Keepalive | None = None
    read_timeout: Setting | None = None    # per-read timeout
    total_timeout: Setting | None = None   # whole-request deadline (includes the streamed body)
    connect_timeout: Setting | None = None
    other_timeouts: tuple[tuple[str, Setting], ...] = ()  # e.g. ("write", ...), ("pool", ...)
    ignored: tuple[IgnoredSetting, ...] = ()
    # Calls this spec stands for (e.g. an SDK's inner ``http_client``): not judged on their own.
    absorbs: tuple[Anchor, ...] = field(default=(), repr=False, compare=False)
    # Why a long response is plausible here (strongest first); empty: no evidence was found.
    evidence: tuple[Evidence, ...] = ()
    # False when the frontend does not look for that evidence (Rust, so far): every response is
    # then taken as possibly long, as with ``streaming-scope = "all"``.
    evidence_read: bool = True
    # Opened for one request and closed (``with httpx.Client() as c: return c.get(url)``).
    one_shot: bool = False
    # The in-process transport the client uses (``httpx.MockTransport``): it never touches the network.
    in_process: str = ""

    def without_timeouts(self) -> ClientSpec:
        """This spec with no timeouts: another spec reports what its requests use."""
        return replace(self, read_timeout=None, total_timeout=None, connect_timeout=None, other_timeouts=())

    def without_default_timeouts(self) -> ClientSpec:
        """This spec with only the timeouts written in code: for a client whose every request
        passes its own timeout, so that the library's default timeouts are never used."""

        def written(setting: Setting | None) -> Setting | None:
            return setting if setting is not None and setting.explicit else None

        return replace(self, read_timeout=written(self.read_timeout), total_timeout=written(self.total_timeout),
                       connect_timeout=written(self.connect_timeout),
                       other_timeouts=tuple((phase, s) for phase, s in self.other_timeouts if s.explicit))
