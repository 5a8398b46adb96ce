#!/usr/bin/env python3
"""A receiver that misbehaves at random, for bench/soak.sh, on 127.0.0.1:PORT.

In chaos mode each request gets, at random: 200 (60 %), 500 (10 %), 429 with
Retry-After: 1 (5 %), an answer after 2 s (5 %), no answer for 8 s, past the
sender's timeout (5 %), a connection reset (10 %), 200 and a close (5 %).
POST /__mode/ok makes every later answer 200 at once; POST /__mode/chaos
goes back. asyncio: thousands of connections, one thread.

Usage: chaos_receiver.py PORT [SEED]. Runs until killed.
"""
import asyncio
import random
import socket
import struct
import sys

from receiver_requests import read_request_target

rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
mode = "chaos"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def reply(status, reason, extra=b""):
    return b"HTTP/1.1 %d %s\r\nContent-Length: 0\r\n%s\r\n" % (status, reason, extra)


async def serve(reader, writer):
    global mode
    try:
        while True:
            target = await read_request_target(reader)
            if target.startswith(b"/__mode/"):
                mode = target[len(b"/__mode/"):].decode()
                writer.write(OK)
                await writer.drain()
                continue
            roll = rng.random() if mode == "chaos" else 0.0
            if roll < 0.60:
                writer.write(OK)
            elif roll < 0.70:
                writer.write(reply(500, b"Internal Server Error"))
            elif roll < 0.75:
                writer.write(reply(429, b"Too Many Requests", b"Retry-After: 1\r\n"))
            elif roll < 0.80:
                await asyncio.sleep(2)
                writer.write(OK)
            elif roll < 0.85:
                await asyncio.sleep(8)
                return
            elif roll < 0.95:
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            else:
                writer.write(OK)
                await writer.drain()
                return
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]), backlog=1024)
    async with server:
        await server.serve_forever()


asyncio.run(main())
