"""The registry of library entries, one module per library family.

``CLIENT_MODULES`` is plain data so that the prefilter (and a run answered from the cache) needs
neither libcst nor any library entry; ``load()`` imports the entries (``registry.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lunalint.libraries.registry import Registry

__all__ = ["CLIENT_MODULES", "ENTRIES", "load"]

# entry module -> the top-level import names it covers
ENTRIES: dict[str, tuple[str, ...]] = {
    "lunalint.libraries.httpx": ("httpx", "httpx2"),
    "lunalint.libraries.aiohttp": ("aiohttp",),
    "lunalint.libraries.requests": ("requests", "urllib3"),
    "lunalint.libraries.sdks": ("openai", "anthropic"),
}

CLIENT_MODULES: tuple[str, ...] = tuple(sorted({m for modules in ENTRIES.values() for m in modules}))


def load() -> Registry:
    """Every library's handlers (imported on first use, then cached)."""
    from lunalint.libraries.registry import build

    return build()
