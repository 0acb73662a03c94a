"""httpx2 configured for long streams, timeouts from the environment with safe defaults."""

import os
import socket

import httpx2

timeout = httpx2.Timeout(float(os.getenv("LLM_TIMEOUT", "900")), connect=5)
transport = httpx2.HTTPTransport(
    limits=httpx2.Limits(max_connections=20, keepalive_expiry=45),
    socket_options=[
        (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
        (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 45),
    ],
)
client = httpx2.Client(timeout=timeout, transport=transport)
