"""Python websockets (Debian's python3-websockets) against a Rodeo server, for
test/websocket/ws_clients_test.cpp. Run with /usr/bin/python3. Usage:
    ws_client.py CASE PORT [N]
Prints "ok ..." on success, or "fail: why"; exits non-zero on failure."""
import asyncio
import sys

import websockets


def uri(port, path):
    return f"ws://127.0.0.1:{port}{path}"


async def echo(port):
    async with websockets.connect(uri(port, "/echo"), compression=None) as ws:
        await ws.send("hello")
        assert await ws.recv() == "hello"
        await ws.send(bytes(range(256)))
        assert await ws.recv() == bytes(range(256))
        big = "x" * 200000
        await ws.send(big)
        assert await ws.recv() == big
        assert ws.extensions == []
    return "ok echo"


async def deflate(port):
    async with websockets.connect(uri(port, "/echo")) as ws:  # offers permessage-deflate
        names = [e.name for e in ws.extensions]
        assert names == ["permessage-deflate"], names
        for i in range(20):
            text = f"message {i} " + "abc" * 3000
            await ws.send(text)
            assert await ws.recv() == text
        await ws.send(b"\x00" * 100000)
        assert await ws.recv() == b"\x00" * 100000
    return "ok deflate"


async def fragments(port):
    async with websockets.connect(uri(port, "/echo"), compression=None) as ws:
        await ws.send(["frag", "men", "ted ", "text"])
        assert await ws.recv() == "fragmented text"
        await ws.send([b"\x01", b"\x02\x03"])
        assert await ws.recv() == b"\x01\x02\x03"
        pong = await ws.ping(b"hi")
        await asyncio.wait_for(pong, 5)
    return "ok fragments"


async def server_close(port):
    ws = await websockets.connect(uri(port, "/echo"), compression=None)
    await ws.send("close")
    try:
        await asyncio.wait_for(ws.recv(), 5)
        return "fail: no close"
    except websockets.ConnectionClosed:
        pass
    await asyncio.wait_for(ws.wait_closed(), 5)
    return f"ok {ws.close_code} {ws.close_reason}"


async def client_close(port):
    ws = await websockets.connect(uri(port, "/echo"), compression=None)
    await ws.send("x")
    await ws.recv()
    await asyncio.wait_for(ws.close(code=4001, reason="done"), 5)
    return f"ok {ws.close_code} {ws.close_reason}"


async def too_big(port):
    ws = await websockets.connect(uri(port, "/echo"), compression=None, max_size=None)
    await ws.send("y" * (2 << 20))
    try:
        await asyncio.wait_for(ws.recv(), 5)
        return "fail: no close"
    except websockets.ConnectionClosed:
        pass
    return f"ok {ws.close_code}"


async def subprotocol(port):
    async with websockets.connect(uri(port, "/echo"), subprotocols=["mqtt", "chat"]) as ws:
        return f"ok {ws.subprotocol}"


async def broadcast(port, n):
    socks = [await websockets.connect(uri(port, "/room"), compression=None) for _ in range(n)]
    print("ready", flush=True)
    got = await asyncio.wait_for(asyncio.gather(*(s.recv() for s in socks)), 90)
    bad = [g for g in got if g != "to everyone"]
    for s in socks:
        await s.close()
    return f"ok {len(got)}" if not bad else f"fail: {bad[:3]}"


async def main():
    case, port = sys.argv[1], int(sys.argv[2])
    cases = {"echo": echo, "deflate": deflate, "fragments": fragments, "server_close": server_close,
             "client_close": client_close, "too_big": too_big, "subprotocol": subprotocol}
    if case == "broadcast":
        return await broadcast(port, int(sys.argv[3]))
    return await cases[case](port)


try:
    result = asyncio.run(main())
except Exception as e:  # any failure is reported on stdout for the test's message
    result = f"fail: {type(e).__name__}: {e}"
print(result, flush=True)
sys.exit(0 if result.startswith("ok") else 1)
