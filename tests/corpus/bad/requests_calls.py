"""requests without a timeout hangs forever on a silent server."""

import requests

session = requests.Session()  # expect: LL201


def fetch(url: str) -> bytes:
    return requests.get(url).content  # expect: LL301, LL401


def post(url: str) -> int:
    return session.post(url, json={}, timeout=5).status_code  # expect: LL302
