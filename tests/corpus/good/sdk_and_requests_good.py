"""An anthropic client on a keepalive-enabled httpx client, and requests with a (connect, read) tuple."""

import socket

import anthropic
import httpx
import requests

http_client = httpx.Client(
    timeout=httpx.Timeout(900, connect=10),
    transport=httpx.HTTPTransport(
        limits=httpx.Limits(keepalive_expiry=30),
        socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30)],
    ),
)
client = anthropic.Anthropic(http_client=http_client, timeout=httpx.Timeout(900, connect=10))


def fetch(url: str) -> bytes:
    return requests.get(url, timeout=(5, 600)).content
