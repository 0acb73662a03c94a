"""httpx2 (the fork the openai and anthropic SDKs use): limits ignored next to a transport."""

import httpx2

client = httpx2.AsyncClient(
    timeout=httpx2.Timeout(600, connect=10),
    limits=httpx2.Limits(keepalive_expiry=30),  # expect: LL104
    transport=httpx2.AsyncHTTPTransport(),  # expect: LL201
)
