"""Headless Chromium (Debian's chromium) loads the demo's /chat page, driven through the DevTools
protocol, for test/websocket/ws_demo_test.cpp. Run with /usr/bin/python3. Usage:
    chat_browser.py PORT
Prints "connected" once the page's WebSocket is open (the test then broadcasts
"hello from rodeo"), then "ok" once the page showed the broadcast and the server's answer to a
message it sent; or "fail: why" (exit status 1)."""
import asyncio
import itertools
import json
import re
import subprocess
import sys
import tempfile

import websockets

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0"]


class DevTools:
    def __init__(self, conn):
        self.conn = conn
        self.ids = itertools.count(1)

    async def call(self, method, params=None, session=None):
        msg = {"id": next(self.ids), "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        await self.conn.send(json.dumps(msg))
        while True:  # events in between are not needed
            reply = json.loads(await self.conn.recv())
            if reply.get("id") == msg["id"]:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    async def evaluate(self, session, expr):
        params = {"expression": expr, "returnByValue": True}
        r = await self.call("Runtime.evaluate", params, session)
        return r["result"].get("value")

    async def wait_for(self, session, expr, what, seconds=20):
        for _ in range(seconds * 10):
            if await self.evaluate(session, expr):
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"timed out waiting for {what}")


async def run(port, profile):
    proc = subprocess.Popen(["chromium", *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        endpoint = None
        while endpoint is None:  # "DevTools listening on ws://127.0.0.1:N/devtools/browser/ID"
            line = await asyncio.wait_for(asyncio.to_thread(proc.stderr.readline), 30)
            if not line:
                raise RuntimeError("chromium exited before listening")
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            endpoint = m.group(1) if m else None
        async with websockets.connect(endpoint, max_size=None) as conn:
            dt = DevTools(conn)
            target = await dt.call("Target.createTarget", {"url": f"http://127.0.0.1:{port}/chat"})
            attach = {"targetId": target["targetId"], "flatten": True}
            session = (await dt.call("Target.attachToTarget", attach))["sessionId"]
            status = "document.getElementById('status').textContent"
            await dt.wait_for(session, f"{status} === 'connected'", "the connection")
            print("connected", flush=True)
            log = "document.getElementById('log').textContent"
            await dt.wait_for(session, f"{log}.includes('hello from rodeo')", "the broadcast")
            await dt.evaluate(session, "sock.send('from the browser')")
            await dt.wait_for(session, f"{log}.includes('responding to from the browser')",
                              "the answer")
            await dt.call("Browser.close")
        # Chromium writes its profile while it shuts down: let it finish before the directory goes.
        await asyncio.to_thread(proc.wait, 20)
        return "ok"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def main():
    # A fresh profile for every run; files a killed Chromium's helpers still write are not errors.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        try:
            result = asyncio.run(run(int(sys.argv[1]), profile))
        except Exception as e:  # reported on stdout for the test's message
            result = f"fail: {type(e).__name__}: {e}"
    print(result, flush=True)
    sys.exit(0 if result == "ok" else 1)


main()
