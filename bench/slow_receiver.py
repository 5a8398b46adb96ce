#!/usr/bin/env python3
"""A keep-alive HTTP/1.1 receiver for the benchmarks, on 127.0.0.1:PORT.

  POST /slow...  answers 200 after DELAY_MS (default 200)
  POST /hole...  reads the request and never answers (a black hole)
  anything else  answers 200 at once

Usage: slow_receiver.py PORT [DELAY_MS]. Runs until killed.

At thousands of connections its answers come late (at 4,096 in flight and
1 s, up to a quarter of a second late under load): bench/delay_receiver.cpp
serves the many-slow-endpoints benchmark (bench/slow_hooks.sh) instead.
"""
import asyncio
import sys

from receiver_requests import read_request_target

DELAY = (int(sys.argv[2]) if len(sys.argv) > 2 else 200) / 1000.0
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def serve(reader, writer):
    try:
        while True:
            target = await read_request_target(reader)
            if target.startswith(b"/hole"):
                await asyncio.Event().wait()
            if target.startswith(b"/slow"):
                await asyncio.sleep(DELAY)
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]), backlog=4096)
    async with server:
        await server.serve_forever()


asyncio.run(main())
