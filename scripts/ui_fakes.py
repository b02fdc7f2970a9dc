"""The devices of scripts/ui-check's device steps, on loopback: the test suite's fake
Tasmota plug and fake WLED controller (tests/services/power/fakes.py and
tests/services/wled/fake_wled.py, imported, not copied), run standalone.

    PYTHONPATH=. .venv/bin/python scripts/ui_fakes.py STATE_JSON

Prints one line ``tasmota=127.0.0.1:PORT wled=127.0.0.1:PORT`` once both listen, then
keeps STATE_JSON up to date with what each fake received and its current state, so the
browser check can tell that a click in the UI reached the device.
"""

from __future__ import annotations

import json
import os
import sys

from twisted.internet import reactor
from twisted.internet.task import LoopingCall

from tests.services.power.fakes import FakeTasmota
from tests.services.wled.fake_wled import FakeWled


def write_state(path: str, tasmota: FakeTasmota, wled: FakeWled) -> None:
    state = {
        "tasmota": {"requests": [{"method": method, "path": where, "query": query}
                                 for method, where, query, _body, _headers in tasmota.requests],
                    "relays": {str(index): on for index, on in tasmota.relays.items()}},
        "wled": {"received": wled.received, "state": wled.state},
    }
    # Written aside and renamed: a reader never sees half a file.
    with open(path + ".tmp", "w") as file:
        json.dump(state, file)
    os.replace(path + ".tmp", path)


def main() -> None:
    path = sys.argv[1]
    tasmota = FakeTasmota().start()
    wled = FakeWled().start()
    LoopingCall(write_state, path, tasmota, wled).start(0.2)
    print(f"tasmota={tasmota.address} wled=127.0.0.1:{wled.port.getHost().port}", flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
