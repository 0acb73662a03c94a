"""requests without a timeout hangs forever on a silent server."""

import requests

session = requests.Session()  # expect: LL201


def fetch(url: str) -> bytes:
    return requests.get(url).content  # expect: LL301, LL401


def complete(url: str, prompt: str) -> int:
    body = {"model": "small", "messages": [{"role": "user", "content": prompt}], "max_tokens": 4096}
    return session.post(url, json=body, timeout=5).status_code  # expect: LL302
