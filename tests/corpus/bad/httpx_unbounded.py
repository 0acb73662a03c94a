"""timeout=None everywhere: a silently dropped connection hangs the worker forever."""

import httpx as hx
from httpx import Limits as L

pool = hx.Client(  # expect: LL201
    timeout=None,  # expect: LL301, LL401
    limits=L(max_connections=10, keepalive_expiry=None),  # expect: LL101
)
