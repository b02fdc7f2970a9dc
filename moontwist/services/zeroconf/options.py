"""``[zeroconf]`` options."""

from __future__ import annotations

from moontwist.config.options import Option, SectionOptions

ZEROCONF = SectionOptions(
    "zeroconf",
    "Announces the API as `_moonraker._tcp` over mDNS, so Mainsail, KlipperScreen and apps find it.",
    (
        Option("mdns_hostname", "str", None, "Host name announced (default: this machine's host name)."),
        Option("enable_ssdp", "bool", False, "Also announce over UPnP/SSDP.", ignored=True),
    ),
)
