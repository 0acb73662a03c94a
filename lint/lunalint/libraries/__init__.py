"""The registry of library entries, one module per library family.

``ENTRIES`` is the only list of the import names lunalint knows: each library module, and the
top-level import names it covers. Adding a library is one module defining ``LIBRARY`` (see
``base.py``) and one line here. ``ENTRIES`` is plain data so that the prefilter (and a run answered
from the cache) needs neither libcst nor any library module; ``load()`` imports the modules
(``registry.py``). Both answers follow ``ENTRIES`` as it is when asked, so a test can add an entry.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lunalint.libraries.registry import Registry

__all__ = ["DROP_INS", "ENTRIES", "canonical", "client_modules", "load"]

# library module -> the top-level import names it covers
ENTRIES: dict[str, tuple[str, ...]] = {
    "lunalint.libraries.httpx": ("httpx", "httpx2"),
    "lunalint.libraries.aiohttp": ("aiohttp",),
    "lunalint.libraries.requests": ("requests", "urllib3"),
    "lunalint.libraries.sdks": ("openai", "anthropic", "langfuse"),
}
# Modules that re-export a library's clients unchanged (a tracing drop-in): their names are the
# library's (``from langfuse.openai import OpenAI`` is ``openai.OpenAI``), longest first.
DROP_INS: dict[str, str] = {"langfuse.openai.openai": "openai", "langfuse.openai": "openai"}
_DROP_IN_TOPS = frozenset(name.split(".", 1)[0] for name in DROP_INS)


def canonical(qualname: str) -> str:
    """``qualname`` with a drop-in module's prefix replaced by the library it re-exports."""
    if qualname.split(".", 1)[0] not in _DROP_IN_TOPS:
        return qualname
    for prefix, library in DROP_INS.items():
        if qualname == prefix or qualname.startswith(prefix + "."):
            return library + qualname[len(prefix):]
    return qualname


def client_modules() -> tuple[str, ...]:
    """Every import name some entry covers, sorted: what the prefilter looks for."""
    return _import_names(tuple(ENTRIES.items()))


def load() -> Registry:
    """Every library's handlers (imported on first use, then cached)."""
    from lunalint.libraries.registry import build

    return build(tuple(ENTRIES.items()))


@lru_cache(maxsize=1)
def _import_names(entries: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[str, ...]:
    return tuple(sorted({name for _, names in entries for name in names}))
