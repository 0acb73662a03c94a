"""An LLM gateway client built with httpx defaults: 5 s timeouts kill streams, no keepalive."""

import httpx

client = httpx.AsyncClient(base_url="https://api.example.com")  # expect: LL201, LL303


async def complete(prompt: str) -> str:
    response = await client.post("/v1/complete", json={"prompt": prompt})
    return response.text
