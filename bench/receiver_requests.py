"""What the benchmark receivers share: reading one HTTP/1.1 request."""


async def read_request_target(reader):
    """Reads one request (head and Content-Length body); returns its target.

    Raises asyncio.IncompleteReadError when the connection ends first."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return head.split(b" ", 2)[1]
