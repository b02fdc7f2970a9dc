"""A printer farm on one broker: Mosquitto, N moontwist instances with ``--simulate``,
and a fleet client (paho-mqtt) that watches them all and commands each one.

    python -m bench.farm [--printers 50] [--measure 20] [--json PATH]

Reports the messages per second the fleet client receives, each instance's
CPU and RSS, the round trip of one command to every printer, and, after a
broker restart, the time until every printer is back online and whether the
QoS 1 messages published while the broker was down all arrived.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bench.procstat import cpu_seconds, rss_mb
from bench.servers import ApiServer, free_port, moontwist

STATUS_OBJECTS = """
    webhooks
    print_stats=state,filename
    toolhead=position
    extruder=temperature,target
    heater_bed=temperature,target
    display_status=progress
"""


class Broker:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        (root / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {root}/\nmax_queued_messages 100000\nuser {os.environ.get('USER', 'root')}\n")

    def start(self) -> None:
        mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        with (self.root / "mosquitto.log").open("ab") as log:
            self.process = subprocess.Popen([mosquitto, "-c", str(self.root / "mosquitto.conf")],
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(10)


class Fleet:
    """The fleet client: counts what arrives, keeps answers and presence per printer."""

    def __init__(self, port: int) -> None:
        self.lock = threading.Lock()
        self.received = 0
        self.online: dict[str, float] = {}
        self.answers: dict[str, dict[str, Any]] = {}
        self.bench_messages: dict[str, bytes] = {}
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="fleet", protocol=paho.MQTTv5)
        self.client.on_message = self._message
        self.client.on_connect = self._connected
        self.client.reconnect_delay_set(1, 1)
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600
        self.client.connect("127.0.0.1", port, keepalive=30, clean_start=False, properties=properties)
        self.client.loop_start()

    def _connected(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        client.subscribe([("+/klipper/status", 0), ("+/moonraker/notify/#", 0), ("+/moonraker/status", 1),
                          ("+/moonraker/api/response", 1), ("+/bench/#", 1)])

    def _message(self, client: Any, userdata: Any, message: Any) -> None:
        printer, _, rest = message.topic.partition("/")
        with self.lock:
            self.received += 1
            if rest == "moonraker/status":
                if json.loads(message.payload).get("server") == "online":
                    self.online[printer] = time.monotonic()
                else:
                    self.online.pop(printer, None)
            elif rest == "moonraker/api/response":
                self.answers[printer] = json.loads(message.payload)
            elif rest.startswith("bench/"):
                self.bench_messages[printer] = message.payload

    def wait(self, condition: Any, timeout: float, what: str) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            with self.lock:
                if condition():
                    return time.monotonic() - started
            time.sleep(0.01)
        raise TimeoutError(f"fleet: {what} not within {timeout} s")

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def printer_config(name: str, http_port: int, broker_port: int, data: Path) -> str:
    return f"""[server]
host: 127.0.0.1
port: {http_port}
klippy_uds_address: {data}/comms/klippy.sock

[authorization]
trusted_clients:
    127.0.0.0/8

[mqtt]
address: 127.0.0.1
port: {broker_port}
mqtt_protocol: v5
instance_name: {name}
api_qos: 1
status_objects:{STATUS_OBJECTS}"""


def post(port: int, path: str, body: dict[str, Any]) -> int:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="farm"))
    broker = Broker(root)
    broker.start()
    printers: dict[str, ApiServer] = {}
    fleet = None
    try:
        fleet = Fleet(broker.port)
        names = [f"printer{index:02d}" for index in range(1, arguments.printers + 1)]
        for name in names:
            data = root / name
            (data / "config").mkdir(parents=True)
            port = free_port()
            (data / "config" / "moonraker.conf").write_text(printer_config(name, port, broker.port, data))
            server = moontwist(data, port, data / "moontwist.log")
            server.argv += ["--simulate", "--nologfile"]
            server.start()
            printers[name] = server
        startup = fleet.wait(lambda: len(fleet.online) == len(names), 300, "every printer online")
        print(f"{len(names)} printers online {startup:.1f} s after the last was started")
        for server in printers.values():
            server.wait_until(ready=True, timeout=120)

        for index, name in enumerate(names):
            request = {"jsonrpc": "2.0", "method": "printer.gcode.script", "params": {"script": "M104 S210\nM140 S60"},
                       "id": index}
            fleet.client.publish(f"{name}/moonraker/api/request", json.dumps(request), 1)
        command_time = fleet.wait(lambda: len(fleet.answers) == len(names), 60, "every answer")
        wrong = [name for name, answer in fleet.answers.items()
                 if answer.get("result") != "ok" or answer.get("id") != names.index(name)]
        print(f"command (heat up) to {len(names)} printers answered in {command_time * 1000:.0f} ms; "
              f"wrong answers: {wrong}")
        # Steady state while every printer heats: status changes four times a second.
        time.sleep(2)

        cpu_before = {name: cpu_seconds(server.pid) for name, server in printers.items()}
        broker_cpu_before = cpu_seconds(broker.process.pid)  # type: ignore[union-attr]
        with fleet.lock:
            received_before = fleet.received
        time.sleep(arguments.measure)
        with fleet.lock:
            received = fleet.received - received_before
        cpu = {name: (cpu_seconds(server.pid) - cpu_before[name]) / arguments.measure
               for name, server in printers.items()}
        broker_cpu = (cpu_seconds(broker.process.pid) - broker_cpu_before) / arguments.measure  # type: ignore[union-attr]
        rss = {name: rss_mb(server.pid) for name, server in printers.items()}

        broker.stop()
        for name, server in printers.items():
            post(server.port, "/server/mqtt/publish",
                 {"topic": f"{name}/bench/while_down", "payload": name, "qos": 1, "timeout": 0.05})
        restarted = time.monotonic()
        broker.start()
        reconnect = fleet.wait(lambda: all(fleet.online.get(name, 0) > restarted for name in names), 120,
                               "every printer back online")
        fleet.wait(lambda: len(fleet.bench_messages) == len(names), 30, "every QoS 1 message")
        lost = [name for name in names if fleet.bench_messages.get(name) != name.encode()]
        print(f"broker restart: all {len(names)} back online in {reconnect:.1f} s; QoS 1 lost: {lost}")
        return {
            "printers": len(names),
            "measure_s": arguments.measure,
            "fleet_messages_per_s": received / arguments.measure,
            "instance_cpu_percent": {"mean": 100 * sum(cpu.values()) / len(cpu), "max": 100 * max(cpu.values())},
            "instance_rss_mb": {"mean": sum(rss.values()) / len(rss), "max": max(rss.values())},
            "broker_cpu_percent": 100 * broker_cpu,
            "startup_all_online_s": startup,
            "command_round_trip_s": command_time,
            "wrong_answers": wrong,
            "reconnect_all_s": reconnect,
            "qos1_lost": lost,
            "cores": os.cpu_count(),
        }
    finally:
        if fleet is not None:
            fleet.stop()
        for server in printers.values():
            server.stop()
        broker.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--printers", type=int, default=50)
    parser.add_argument("--measure", type=float, default=20.0, help="seconds of steady state measured")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    arguments = parser.parse_args()
    figures = run(arguments)
    print(json.dumps(figures, indent=2))
    if arguments.json is not None:
        arguments.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
