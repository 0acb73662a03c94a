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

__all__ = ["ENTRIES", "client_modules", "load"]

# library module -> the top-level import names it covers
ENTRIES: dict[str, tuple[str, ...]] = {
    "lunalint.libraries.httpx": ("httpx", "httpx2"),
    "lunalint.libraries.aiohttp": ("aiohttp",),
    "lunalint.libraries.requests": ("requests", "urllib3"),
    "lunalint.libraries.sdks": ("openai", "anthropic"),
}


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
