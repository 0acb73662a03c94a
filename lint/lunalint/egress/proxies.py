"""Environment proxies (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY) as httpx mounts.

httpx reads these only when the client builds its own transport; a client given a transport
(as the egress clients are) ignores them. These mounts follow httpx's own rules
(``httpx._utils.get_environment_proxies``), with a transport of ours for each proxy.
"""

from __future__ import annotations

import ipaddress
import urllib.request
from collections.abc import Callable
from typing import TypeVar

__all__ = ["environment_proxy_mounts"]

T = TypeVar("T")


def environment_proxy_mounts(make_transport: Callable[[str], T]) -> dict[str, T | None]:
    """Mount patterns -> ``make_transport(proxy_url)``, or ``None`` (no proxy) for NO_PROXY hosts."""
    proxies = urllib.request.getproxies()
    mounts: dict[str, T | None] = {}
    for scheme in ("http", "https", "all"):
        url = proxies.get(scheme)
        if url:
            mounts[f"{scheme}://"] = make_transport(url if "://" in url else f"http://{url}")
    if not mounts:
        return {}
    for host in (h.strip() for h in proxies.get("no", "").split(",")):
        if host == "*":
            return {}
        if not host:
            continue
        if "://" in host:
            mounts[host] = None
        elif _is_ip(host) or host.lower() == "localhost":
            mounts[f"all://{host}" if ":" not in host else f"all://[{host}]"] = None
        else:
            mounts[f"all://*{host}"] = None
    return mounts


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
