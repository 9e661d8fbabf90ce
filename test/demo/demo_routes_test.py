#!/usr/bin/python3
"""The demo's routes, as the README documents them: rodeo-demo (the built binary) on free loopback
ports (plain and TLS), hit with curl and python3 websockets. Usage: demo_routes_test.py DEMO ASSETS.
Every client call is bounded in time; the whole run takes a few seconds."""
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

import websockets

DEMO, ASSETS = sys.argv[1], sys.argv[2]
failures = []


def check(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got!r}, want {want!r}")
        print(f"FAIL {what}: got {got!r}, want {want!r}")
    else:
        print(f"ok   {what}")


def curl(*args, data=None):
    """(status, headers dict of the last response, body) of one curl run."""
    with tempfile.NamedTemporaryFile() as head:
        r = subprocess.run(["curl", "-s", "--max-time", "10", "-D", head.name, *args],
                           input=data, capture_output=True, timeout=20)
        blocks = [b for b in open(head.name, "rb").read().decode("latin-1").split("\r\n\r\n") if b]
    if not blocks:
        return 0, {}, r.stdout
    lines = blocks[-1].split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return int(lines[0].split()[1]), headers, r.stdout


proc = subprocess.Popen([DEMO, "--port", "0", "--tls-port", "0", "--access-log", "off"],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
lines = []


def read_ports(deadline):
    found = {}
    while time.time() < deadline and len(found) < 2:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r"listening on (https?)://127\.0\.0\.1:(\d+)/", line)
        if m:
            found[m.group(1)] = int(m.group(2))
    return found


try:
    ports = read_ports(time.time() + 20)
    if len(ports) != 2:
        print("".join(lines))
        sys.exit("rodeo-demo did not print its two ports")
    # Keep draining its output (crash reports, logs) so it never blocks on a full pipe.
    threading.Thread(target=lambda: [lines.append(x) for x in proc.stdout], daemon=True).start()
    base = f"http://127.0.0.1:{ports['http']}"
    tls = f"https://127.0.0.1:{ports['https']}"

    # / and the inline fast path
    check("GET /", curl(base + "/")[::2], (200, b"Hello world!"))
    check("GET /inline", curl(base + "/inline")[::2], (200, b"Hello world!"))
    check("GET / over TLS", curl("-k", tls + "/")[::2], (200, b"Hello world!"))

    # /auth/:token/:user
    check("auth json", curl("-H", "accept: application/json", base + "/auth/T/U")[2],
          b'{"token":"T","user":"U"}')
    check("auth text", curl("-H", "accept: text/plain", base + "/auth/T/U")[2], b"token=T user=U")
    s, h, _ = curl("-X", "POST", base + "/auth/T/U")
    check("auth POST", (s, h.get("allow")), (405, "GET, HEAD"))

    # /echo-body: plain, 100-continue, chunked
    payload = os.urandom(200000)
    check("echo-body", curl("--data-binary", "@-", base + "/echo-body", data=payload)[::2],
          (200, payload))
    check("echo-body 100-continue",
          curl("-H", "expect: 100-continue", "--data-binary", "@-", base + "/echo-body",
               data=payload)[2], payload)
    check("echo-body chunked",
          curl("-H", "transfer-encoding: chunked", "--data-binary", "@-", base + "/echo-body",
               data=b"chunked body")[2], b"chunked body")
    check("echo-body GET", curl(base + "/echo-body")[0], 405)

    # /events: the first two ticks (one a second), then the client leaves
    s, h, body = curl("-N", "--max-time", "2.5", base + "/events")
    check("events status and type", (s, h.get("content-type")), (200, "text/event-stream"))
    check("events first ticks", body.startswith(b"data: tick 1\n\ndata: tick 2\n\n"), True)

    # /poll waits for /broadcast, which counts its receivers
    poll = subprocess.Popen(["curl", "-s", "--max-time", "10", base + "/poll"],
                            stdout=subprocess.PIPE)
    count = b"0"
    deadline = time.time() + 5
    while count == b"0" and time.time() < deadline:
        time.sleep(0.1)
        count = curl("--data", "news", base + "/broadcast")[2]
    check("broadcast reached the poll", count, b"1")
    check("poll got the news", poll.communicate(timeout=10)[0], b"news")

    # /crash: 500, and the same connection serves the next request
    r = subprocess.run(["curl", "-s", "--max-time", "10", "-o", "/dev/null", "-w",
                        "%{http_code} %{num_connects}\n", base + "/crash", "-o", "/dev/null",
                        base + "/"], capture_output=True, text=True, timeout=20)
    check("crash then reuse", r.stdout.split("\n")[:2], ["500 1", "200 0"])

    # /static/[...]
    index = open(os.path.join(ASSETS, "index.html"), "rb").read()
    s, h, body = curl(base + "/static/index.html")
    check("static index", (s, body, h.get("content-type"), h.get("accept-ranges")),
          (200, index, "text/html", "bytes"))
    check("static etag and last-modified", ("etag" in h, "last-modified" in h), (True, True))
    check("static 304", curl("-H", "if-none-match: " + h.get("etag", ""),
                             base + "/static/index.html")[0], 304)
    s, h, _ = curl("-H", "if-none-match: " + h.get("etag", ""), tls + "/static/index.html", "-k")
    check("static 304 over TLS", s, 304)
    css = open(os.path.join(ASSETS, "style.css"), "rb").read()
    s, h, body = curl(base + "/static/style.css")
    check("static css", (s, body, h.get("content-type")), (200, css, "text/css"))
    blob = open(os.path.join(ASSETS, "blob.bin"), "rb").read()
    check("static blob", curl(base + "/static/blob.bin")[::2], (200, blob))
    s, h, body = curl("-r", "0-99", base + "/static/blob.bin")
    check("static range", (s, body, h.get("content-range")),
          (206, blob[:100], f"bytes 0-99/{len(blob)}"))
    check("static blob over TLS", curl("-k", tls + "/static/blob.bin")[::2], (200, blob))
    check("static missing", curl(base + "/static/nope.txt")[0], 404)
    check("static traversal", curl("--path-as-is", base + "/static/../main.cpp")[0] in (400, 404),
          True)
    check("static POST", curl("-X", "POST", base + "/static/index.html")[0], 405)

    # /rest/items/[:id]
    items = base + "/rest/items"
    json = ["-H", "content-type: application/json"]
    check("items PUT needs auth", curl("-X", "PUT", *json, "--data", '{"name":"hat"}',
                                       items + "/1")[0], 401)
    check("items PUT creates", curl("-X", "PUT", "-u", "demo:demo", *json, "--data",
                                    '{"name":"hat"}', items + "/1")[0], 201)
    check("items PUT updates", curl("-X", "PUT", "-u", "demo:demo", *json, "--data",
                                    '{"name":"cap"}', items + "/1")[0], 204)
    s, h, body = curl("-H", "accept: text/plain", items + "/1")
    check("items GET text", (s, body), (200, b'item 1: {"name":"cap"}\n'))
    check("items etag and last-modified", ("etag" in h, "last-modified" in h), (True, True))
    s, h, body = curl("-H", "accept: application/json", items + "/1")
    check("items GET json", (s, h.get("content-type", "").split(";")[0]),
          (200, "application/json"))
    check("items GET 406", curl("-H", "accept: image/png", items + "/1")[0], 406)
    check("items PUT 415", curl("-X", "PUT", "-u", "demo:demo", "-H", "content-type: text/plain",
                                "--data", "x", items + "/1")[0], 415)
    check("items PUT if-match 412", curl("-X", "PUT", "-u", "demo:demo", "-H", 'if-match: "999"',
                                         *json, "--data", "{}", items + "/1")[0], 412)
    s, h, _ = curl("-X", "POST", "-u", "demo:demo", *json, "--data", '{"name":"boot"}', items)
    check("items POST", (s, h.get("location")), (201, "/rest/items/2"))
    s, h, _ = curl("-X", "PATCH", items + "/1")
    check("items PATCH 405 with allow", (s, "allow" in h), (405, True))
    check("items DELETE needs auth", curl("-X", "DELETE", items + "/1")[0], 401)
    check("items DELETE", curl("-X", "DELETE", "-u", "demo:demo", items + "/1")[0], 204)
    check("items gone", curl(items + "/1")[0], 404)

    # /metrics: the Prometheus text format, parsed by the official client; routes by pattern
    s, h, body = curl(base + "/metrics")
    check("metrics status and type", (s, h.get("content-type")),
          (200, "text/plain; version=0.0.4; charset=utf-8"))
    from prometheus_client.parser import text_string_to_metric_families
    samples = {(x.name, tuple(sorted(x.labels.items()))): x.value
               for f in text_string_to_metric_families(body.decode()) for x in f.samples}
    check("metrics count item deletes by route pattern",
          samples.get(("rodeo_http_requests_total",
                       (("listener", "http"), ("method", "DELETE"),
                        ("route", "/rest/items/[:id]"), ("status_class", "2xx")))), 1.0)
    check("metrics never name a raw path",
          any(dict(k[1]).get("route") == "/rest/items/1" for k in samples), False)
    check("metrics listener gauge", ("rodeo_listener_connections", (("listener", "https"),))
          in samples, True)

    # WebSocket: /ws (and a broadcast reaching it), /echo with permessage-deflate, over wss too
    async def websocket_routes():
        async with websockets.connect(base.replace("http", "ws") + "/ws", open_timeout=5) as ws:
            await ws.send("hi")
            check("ws reply", await asyncio.wait_for(ws.recv(), 5), "responding to hi")
            n = await asyncio.get_running_loop().run_in_executor(
                None, lambda: curl("--data", "to all", base + "/broadcast")[2])
            check("broadcast counts the session", n, b"1")
            check("ws got the broadcast", await asyncio.wait_for(ws.recv(), 5), "to all")
        async with websockets.connect(base.replace("http", "ws") + "/echo", open_timeout=5,
                                      compression="deflate") as ws:
            await ws.send(b"\x00\x01binary")
            check("echo binary", await asyncio.wait_for(ws.recv(), 5), b"\x00\x01binary")
            await ws.send("text " * 100)
            check("echo deflated text", await asyncio.wait_for(ws.recv(), 5), "text " * 100)
            check("echo negotiated deflate",
                  "permessage-deflate" in (ws.response_headers.get("sec-websocket-extensions")
                                           or ""), True)
        import ssl
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        async with websockets.connect(tls.replace("https", "wss") + "/ws", ssl=ctx,
                                      open_timeout=5) as ws:
            await ws.send("secure")
            check("wss reply", await asyncio.wait_for(ws.recv(), 5), "responding to secure")

    asyncio.run(asyncio.wait_for(websocket_routes(), 30))
    check("ws route without upgrade", curl(base + "/ws")[0], 426)
    s, h, body = curl(base + "/chat")
    check("chat page", (s, h.get("content-type", "").split(";")[0], b"/ws" in body),
          (200, "text/html", True))
    check("no route", curl(base + "/no/such/route")[0], 404)
    check("demo still running", proc.poll(), None)

    # SIGTERM drains (--drain-timeout): an open SSE stream ends cleanly (curl exits 0, not 18
    # for a cut transfer), then the demo stops
    sse = subprocess.Popen(["curl", "-s", "-N", "--max-time", "15", base + "/events"],
                           stdout=subprocess.PIPE)
    check("events before the drain", sse.stdout.read(len(b"data: tick 1\n\n")),
          b"data: tick 1\n\n")
    proc.terminate()
    sse.communicate(timeout=20)
    check("events ended cleanly by the drain", sse.returncode, 0)
    proc.wait(timeout=20)
    time.sleep(0.2)  # the reader thread takes the last lines
    check("demo said it drained", "rodeo-demo: drained\n" in lines, True)
finally:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()

check("demo stopped cleanly on SIGTERM", proc.returncode, 0)
if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("all demo routes answered as documented")
