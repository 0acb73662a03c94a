"""A runnable example of the egress client: ``python -m lunalint.egress.example``.

It starts a small server-sent-events upstream on loopback (standard library only), streams one
response through ``create_client()`` the way an LLM client streams tokens, then reuses the pooled
connection for a second request and prints the pool's metrics (reuse, timeouts, failures). Needs
the ``egress`` extra (``pip install 'lunalint[egress]'``); it talks to nothing but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["main"]

EVENTS = 5


class _Upstream(BaseHTTPRequestHandler):
    """``POST /v1/messages``: a few server-sent events, then the end of the stream."""

    protocol_version = "HTTP/1.1"  # keep-alive, so the client's pool can reuse the connection

    def do_POST(self) -> None:  # noqa: N802 - the handler's own naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index in range(EVENTS):
            self._chunk(f"data: token {index}\n\n".encode())
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


async def _stream(base_url: str) -> list[str]:
    from lunalint.egress.client import client_metrics, create_client

    lines: list[str] = []
    async with create_client(base_url=base_url) as client:
        for _ in range(2):  # the second request reuses the pooled connection
            async with client.stream("POST", "/v1/messages", json={"messages": []}) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        lines.append(line[len("data: "):])
        snapshot = client_metrics(client).snapshot()
    print(f"received {len(lines)} events; connections created {snapshot.connections_created}, "
          f"reused {snapshot.connections_reused}; timeouts {snapshot.requests_timeout}; "
          f"failures {dict(snapshot.failures) or 'none'}")
    return lines


def main() -> list[str]:
    """Run the example; the events received (``token 0`` ... twice)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        return asyncio.run(_stream(f"http://127.0.0.1:{server.server_address[1]}"))
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
