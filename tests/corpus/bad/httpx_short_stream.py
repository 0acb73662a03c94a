"""A 60 s read timeout kills an extended-thinking stream; the connect timeout is far too long."""

import socket

import httpx

READ = 60
client = httpx.Client(
    timeout=httpx.Timeout(READ, connect=120),  # expect: LL302, LL402
    transport=httpx.HTTPTransport(
        limits=httpx.Limits(keepalive_expiry=300),  # expect: LL102
        socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)],  # expect: LL202
    ),
)


def think(prompt: str) -> str:
    with client.stream("POST", "https://llm.internal/v1/messages", json={"prompt": prompt}) as response:
        return "".join(response.iter_text())
