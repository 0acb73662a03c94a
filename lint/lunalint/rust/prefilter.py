"""The Rust prefilter: a file that never names ``reqwest`` cannot build a reqwest client.

A ``use`` can only bring reqwest's types into scope by naming the crate, and a path to them names
it too, so the substring test is exact for what the extractor recognises (it follows no
re-exports from other crates).
"""

from __future__ import annotations

__all__ = ["may_build_client"]


def may_build_client(data: bytes) -> bool:
    """Could this file build a reqwest client (cheap: a substring test)?"""
    return b"reqwest" in data
