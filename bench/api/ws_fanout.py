#!/usr/bin/python3
"""WebSocket fan-out latency: N clients subscribe to state_changed on
/api/v1/events; the bench toggles a light over HTTP and records, for every
client, the time from just before the POST to the event's arrival.
Standard library only (a minimal RFC 6455 client on asyncio).
Prints one JSON line: {"clients", "rounds", "p50_ms", "p99_ms", "max_ms", "missed"}.
"""
import argparse
import asyncio
import base64
import json
import os
import struct
import time
import urllib.request


async def ws_connect(host, port, path):
    reader, writer = await asyncio.open_connection(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, host, port, key)).encode())
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise RuntimeError("upgrade refused: %r" % head[:80])
    return reader, writer


def ws_frame(text):
    payload = text.encode()
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def ws_read(reader):
    while True:
        h = await reader.readexactly(2)
        n = h[1] & 0x7F
        if n == 126:
            n = struct.unpack(">H", await reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", await reader.readexactly(8))[0]
        data = await reader.readexactly(n)
        op = h[0] & 0x0F
        if op == 1:
            return json.loads(data)
        if op == 8:
            raise RuntimeError("closed: %r" % data)


async def client(host, port, token, ready, arrivals, idx):
    reader, writer = await ws_connect(host, port, "/api/v1/events")
    assert (await ws_read(reader))["type"] == "auth_required"
    writer.write(ws_frame(json.dumps({"type": "auth", "access_token": token})))
    assert (await ws_read(reader))["type"] == "auth_ok"
    writer.write(ws_frame(json.dumps({"type": "subscribe", "events": ["state_changed"]})))
    assert (await ws_read(reader))["type"] == "subscribed"
    ready.set_result(True) if not ready.done() else None
    while True:
        m = await ws_read(reader)
        if m.get("type") == "event" and m["event"]["data"].get("device") == DEVICE:
            arrivals.append((idx, m["event"]["seq"], time.perf_counter()))


DEVICE = "light.kitchen_ceiling"


def current_state(base, token):
    req = urllib.request.Request(base + "/api/v1/devices/" + DEVICE, headers={"Authorization": "Bearer " + token})
    return json.loads(urllib.request.urlopen(req, timeout=10).read())["state"]


def post(base, token, action):
    req = urllib.request.Request(base + "/api/v1/devices/" + DEVICE + "/actions",
                                 data=json.dumps({"action": action}).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    urllib.request.urlopen(req, timeout=10).read()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=20)
    a = ap.parse_args()
    loop = asyncio.get_running_loop()
    arrivals = []
    readies = [loop.create_future() for _ in range(a.clients)]
    tasks = [asyncio.create_task(client("127.0.0.1", a.port, a.token, readies[i], arrivals, i)) for i in range(a.clients)]
    await asyncio.wait_for(asyncio.gather(*readies), 30)
    base = "http://127.0.0.1:%d" % a.port
    lat = []
    missed = 0
    # Every round must change the state (an action that changes nothing sends
    # no state_changed event): start from the light's current state.
    on = (await loop.run_in_executor(None, current_state, base, a.token)) == "on"
    for r in range(a.rounds):
        arrivals.clear()
        on = not on
        t0 = time.perf_counter()
        await loop.run_in_executor(None, post, base, a.token, "turn_on" if on else "turn_off")
        deadline = time.perf_counter() + 5
        while len({i for i, _, _ in arrivals}) < a.clients and time.perf_counter() < deadline:
            await asyncio.sleep(0.001)
        got = {}
        for i, _, t in arrivals:
            got.setdefault(i, t)
        missed += a.clients - len(got)
        lat.extend((t - t0) * 1000 for t in got.values())
        await asyncio.sleep(0.05)
    for t in tasks:
        t.cancel()
    lat.sort()
    pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 2) if lat else None
    print(json.dumps({"clients": a.clients, "rounds": a.rounds, "p50_ms": pick(0.5), "p99_ms": pick(0.99),
                      "max_ms": round(lat[-1], 2) if lat else None, "missed": missed}))


asyncio.run(main())
