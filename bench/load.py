"""The websocket load generator: a separate process, the same for both servers.

    python -m bench.load rpc --port P --clients N --seconds S [--method M --params JSON]
    python -m bench.load fanout --port P --clients 50,200 --klippy SOCK --pid PID [--ticks K]

Prints one JSON object on stdout.

``rpc``: each client sends one request, waits for its reply, sends the next;
the rate counts the round trips completed inside the measured window.

``fanout``: every client subscribes to toolhead, gcode_move and print_stats;
a Klippy API client of our own sends 200 G1 moves per second straight to the
simulator (not through the server). Each window starts and ends in the middle
between two of Klippy's 250 ms status ticks, so it holds exactly ``ticks``
updates; the server's CPU time is read from /proc across it, and every client
must have received every update of the window.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from bench.procstat import cpu_seconds
from bench.wsclient import WebSocketClient, connect

SUBSCRIBE = {"toolhead": None, "gcode_move": None, "print_stats": None}
ETX = b"\x03"


class RpcLoop:
    """Keeps one request in flight on ``client``."""

    def __init__(self, client: WebSocketClient, method: str, params: Any) -> None:
        self.client = client
        self.template = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 0})
        self.next_id = 0
        self.completed = 0
        self.errors: list[Any] = []
        self.running = True
        client.on_message = self.on_message

    def send(self) -> None:
        self.next_id += 1
        self.client.send_text(self.template[:-2].encode() + b"%d}" % self.next_id)

    def on_message(self, payload: bytes) -> None:
        message = json.loads(payload)
        if message.get("id") != self.next_id:
            return  # a notification
        if "result" in message:
            self.completed += 1
        else:
            self.errors.append(message.get("error"))
        if self.running:
            self.send()


async def run_rpc(args: argparse.Namespace) -> dict[str, Any]:
    clients = [await connect(args.host, args.port) for _ in range(args.clients)]
    loops = [RpcLoop(client, args.method, json.loads(args.params)) for client in clients]
    for loop in loops:
        loop.send()
    await asyncio.sleep(args.warmup)
    before, started = sum(loop.completed for loop in loops), time.monotonic()
    await asyncio.sleep(args.seconds)
    after, ended = sum(loop.completed for loop in loops), time.monotonic()
    for loop in loops:
        loop.running = False
    await asyncio.sleep(0.1)
    for client in clients:
        client.close()
    errors = [error for loop in loops for error in loop.errors]
    return {
        "round_trips": after - before,
        "seconds": ended - started,
        "rate": (after - before) / (ended - started),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


class Subscriber:
    """Records the eventtime of every status update it receives."""

    def __init__(self, client: WebSocketClient, ticks: "TickClock") -> None:
        self.client = client
        self.ticks = ticks
        self.eventtimes: set[float] = set()
        self.subscribed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        client.on_message = self.on_message

    def subscribe(self) -> None:
        request = {"jsonrpc": "2.0", "method": "printer.objects.subscribe", "params": {"objects": SUBSCRIBE}, "id": 1}
        self.client.send_text(json.dumps(request).encode())

    def on_message(self, payload: bytes) -> None:
        message = json.loads(payload)
        if message.get("method") == "notify_status_update":
            eventtime = message["params"][1]
            self.eventtimes.add(eventtime)
            self.ticks.seen(eventtime)
        elif message.get("id") == 1 and not self.subscribed.done():
            if "result" in message:
                self.subscribed.set_result(message["result"])
            else:
                self.subscribed.set_exception(RuntimeError(str(message.get("error"))))


class TickClock:
    """When each update's eventtime was first seen by any client."""

    def __init__(self) -> None:
        self.first_seen: dict[float, float] = {}
        self.new_tick = asyncio.Event()

    def seen(self, eventtime: float) -> None:
        if eventtime not in self.first_seen:
            self.first_seen[eventtime] = time.monotonic()
            self.new_tick.set()

    async def next_tick(self) -> None:
        self.new_tick.clear()
        await asyncio.wait_for(self.new_tick.wait(), 5.0)


class KlippyMover(asyncio.Protocol):
    """A Klippy API client that homes X, then moves X to and fro at a fixed rate."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.next_id = 0
        self.waiting: dict[int, asyncio.Future[Any]] = {}
        self.errors: list[Any] = []
        self.sent = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        *messages, self.buffer = (self.buffer + data).split(ETX)
        for raw in messages:
            message = json.loads(raw)
            if "error" in message:
                self.errors.append(message["error"])
            future = self.waiting.pop(message.get("id"), None)
            if future is not None and not future.done():
                future.set_result(message)

    def script(self, script: str) -> asyncio.Future[Any]:
        assert self.transport is not None
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.waiting[self.next_id] = future
        message = {"id": self.next_id, "method": "gcode/script", "params": {"script": script}}
        self.transport.write(json.dumps(message).encode() + ETX)
        return future

    async def move_forever(self, per_second: float) -> None:
        await asyncio.wait_for(self.script("G90\nG28 X"), 30.0)
        period, deadline = 1.0 / per_second, time.monotonic()
        while True:
            self.script(f"G1 X{10 + self.sent % 2} F18000").add_done_callback(lambda _: None)
            self.sent += 1
            deadline += period
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))


async def run_fanout(args: argparse.Namespace) -> dict[str, Any]:
    """Measure ``windows`` windows at each client count of ``--clients``
    (ascending); clients connect and subscribe once, a group at a time: Moonraker
    sends each subscription to Klippy in turn, each waiting for a status tick."""
    loop = asyncio.get_running_loop()
    ticks = TickClock()
    subscribers: list[Subscriber] = []
    results: dict[str, Any] = {}
    mover: KlippyMover | None = None
    moving: asyncio.Future[None] | None = None
    for count in sorted(int(value) for value in args.clients.split(",")):
        joining = [Subscriber(await connect(args.host, args.port), ticks) for _ in range(count - len(subscribers))]
        for subscriber in joining:
            subscriber.subscribe()
        await asyncio.wait_for(asyncio.gather(*(s.subscribed for s in joining)), args.subscribe_timeout)
        subscribers += joining
        if mover is None:
            _, mover = await loop.create_unix_connection(KlippyMover, args.klippy)
            moving = asyncio.ensure_future(mover.move_forever(args.moves_per_second))
        await asyncio.sleep(args.warmup)
        results[str(count)] = [await measure_window(args, ticks, subscribers) for _ in range(args.windows)]
    assert mover is not None and moving is not None
    moving.cancel()
    for subscriber in subscribers:
        subscriber.client.close()
    return {"windows": results, "moves": mover.sent, "move_errors": len(mover.errors),
            "first_move_error": mover.errors[0] if mover.errors else None}


async def measure_window(args: argparse.Namespace, ticks: TickClock, subscribers: list[Subscriber]) -> dict[str, Any]:
    await ticks.next_tick()
    await asyncio.sleep(0.125)
    cpu_before, started = cpu_seconds(args.pid), time.monotonic()
    for _ in range(args.ticks):
        await ticks.next_tick()
    await asyncio.sleep(0.125)
    cpu_after, ended = cpu_seconds(args.pid), time.monotonic()
    window = {eventtime for eventtime, seen in ticks.first_seen.items() if started < seen < ended}
    delivered = sum(len(s.eventtimes & window) for s in subscribers)
    seconds, cpu = ended - started, cpu_after - cpu_before
    return {
        "updates": len(window),
        "delivered": delivered,
        "missing": len(window) * len(subscribers) - delivered,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "cpu_percent": 100.0 * cpu / seconds,
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    modes = parser.add_subparsers(dest="mode", required=True)
    for name in ("rpc", "fanout"):
        mode = modes.add_parser(name)
        mode.add_argument("--host", default="127.0.0.1")
        mode.add_argument("--port", type=int, required=True)
        mode.add_argument("--warmup", type=float, default=1.0)
    rpc = modes.choices["rpc"]
    rpc.add_argument("--clients", type=int, default=1)
    rpc.add_argument("--seconds", type=float, default=5.0)
    rpc.add_argument("--method", default="server.info")
    rpc.add_argument("--params", default="{}", help="JSON params of every request")
    fanout = modes.choices["fanout"]
    fanout.add_argument("--clients", default="50,200", help="client counts, comma-separated")
    fanout.add_argument("--windows", type=int, default=3, help="measured windows per client count")
    fanout.add_argument("--subscribe-timeout", type=float, default=120.0)
    fanout.add_argument("--klippy", required=True, help="the simulator's Unix socket")
    fanout.add_argument("--pid", type=int, required=True, help="the server whose CPU time is read")
    fanout.add_argument("--ticks", type=int, default=32, help="status updates in the window (4 per second)")
    fanout.add_argument("--moves-per-second", type=float, default=200.0)
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    runner = run_rpc if args.mode == "rpc" else run_fanout
    print(json.dumps(asyncio.run(runner(args))))


if __name__ == "__main__":
    main(sys.argv[1:])
