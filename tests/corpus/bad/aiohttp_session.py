"""aiohttp with its defaults: a 300 s total timeout cuts long streams, no keepalive on the connector."""

import aiohttp


async def stream(url: str) -> None:
    async with aiohttp.ClientSession() as session:  # expect: LL201, LL303
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=None)) as response:  # expect: LL301, LL401
            async for chunk in response.content.iter_any():
                print(chunk)
        async with session.get(url) as response:  # relies on the session's default total of 300 s
            print(await response.text())
