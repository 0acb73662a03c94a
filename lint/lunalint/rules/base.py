"""What a rule is: a code, a name, a family, a docstring, examples, and a check of one ClientSpec."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from lunalint.report import Check
from lunalint.spec import Anchor, State

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec, Setting

__all__ = ["Finding", "Invalid", "Rule", "Valid", "left_to_default"]


@dataclass(frozen=True)
class Finding:
    """A rule's verdict on one node: the engine adds code, name and position."""

    anchor: Anchor = field(repr=False, compare=False)
    message: str


@dataclass(frozen=True)
class Valid:
    """Code on which the rule must stay silent (run as a test)."""

    code: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Invalid:
    """Code the rule must report; ``message`` is a substring the message must contain."""

    code: str
    message: str = ""
    options: dict[str, Any] = field(default_factory=dict)


def left_to_default(label: str, what: str, setting: Setting | None) -> Iterator[Finding]:
    """The explicit-mode finding for a setting the code leaves to the library default."""
    if setting is not None and setting.is_default and setting.state is not State.UNKNOWN:
        yield Finding(setting.anchor, f"{label} {what} is left to the {setting.note or 'library default'} "
                                    f"({setting.value_text()}); set it explicitly")


class Rule:
    """Base class of every rule. Subclasses set the class attributes and implement ``check``."""

    code: ClassVar[str]
    name: ClassVar[str]
    check_family: ClassVar[Check]
    summary: ClassVar[str]
    # Reported only with ``require-explicit = true`` (or when selected by its exact code or name).
    explicit_only: ClassVar[bool] = False
    has_fix: ClassVar[bool] = False
    VALID: ClassVar[tuple[Valid, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")
