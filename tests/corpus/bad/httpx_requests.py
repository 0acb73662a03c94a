"""Per-request timeouts override a good client: the one-off call hangs, the stream is cut.

The client is opened for one request and closed, so it has no pool to keep alive (no LL201)."""

import httpx

with httpx.Client(timeout=httpx.Timeout(600, connect=10)) as client:
    client.get("https://example.com/health", timeout=None)  # expect: LL301, LL401
with httpx.stream("POST", "https://example.com/v1/stream", timeout=30) as events:  # expect: LL302
    for chunk in events.iter_text():
        print(chunk)
