"""A long-stream client that passes: bounded pool idle, TCP keepalive, 600 s read, 10 s connect."""

import socket

import httpx

KEEPALIVE = [
    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30),
    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),
    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3),
]

client = httpx.AsyncClient(
    timeout=httpx.Timeout(600, connect=10),
    transport=httpx.AsyncHTTPTransport(limits=httpx.Limits(keepalive_expiry=60), socket_options=KEEPALIVE),
)
