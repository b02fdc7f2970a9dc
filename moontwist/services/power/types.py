"""The power device types moontwist has, and the ones Moonraker knows."""

from __future__ import annotations

from typing import Callable

from moontwist.services.power.device import PowerDevice
from moontwist.services.power.home_hubs import HomeSeer, Hue, Loxonev1, SmartThings
from moontwist.services.power.http_devices import HomeAssistant, Shelly, Tasmota
from moontwist.services.power.klipper import KlipperDevice
from moontwist.services.power.tplink import TPLinkSmartPlug

DEVICE_TYPES: dict[str, Callable[..., PowerDevice]] = {
    "klipper_device": KlipperDevice,
    "tasmota": Tasmota,
    "shelly": Shelly,
    "homeassistant": HomeAssistant,
    "tplink_smartplug": TPLinkSmartPlug,
    "homeseer": HomeSeer,
    "loxonev1": Loxonev1,
    "smartthings": SmartThings,
    "hue": Hue,
}

MOONRAKER_TYPES = frozenset({
    "gpio", "klipper_device", "tplink_smartplug", "tasmota", "shelly", "homeseer", "homeassistant",
    "loxonev1", "rf", "mqtt", "smartthings", "hue", "http", "uhubctl",
})

__all__ = ["DEVICE_TYPES", "MOONRAKER_TYPES"]
