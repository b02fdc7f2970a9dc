"""The power device types: every one Moonraker 0.11 has."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from moontwist.services.power.device import PowerDevice
from moontwist.services.power.home_hubs import HomeSeer, Hue, Loxonev1, SmartThings
from moontwist.services.power.http_devices import HomeAssistant, Shelly, Tasmota
from moontwist.services.power.klipper import KlipperDevice
from moontwist.services.power.tplink import TPLinkSmartPlug
from moontwist.services.power.uhubctl import UHubCtl

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.power.service import PowerService


def generic_http(name: str, section: "Section", power: "PowerService") -> PowerDevice:
    """The http type imports Jinja2: only when such a device is configured."""
    from moontwist.services.power.generic_http import GenericHttp

    return GenericHttp(name, section, power)


def gpio(name: str, section: "Section", power: "PowerService") -> PowerDevice:
    """The gpio type imports gpiod: only when such a device is configured."""
    from moontwist.services.power.gpio import GpioDevice

    return GpioDevice(name, section, power)


def mqtt(name: str, section: "Section", power: "PowerService") -> PowerDevice:
    """The mqtt type renders Jinja2 templates: imported only when such a device is configured."""
    from moontwist.services.power.mqtt import MqttDevice

    return MqttDevice(name, section, power)


def rf(name: str, section: "Section", power: "PowerService") -> PowerDevice:
    """The rf type keys a GPIO line: gpiod is imported only when such a device is configured."""
    from moontwist.services.power.rf import RFDevice

    return RFDevice(name, section, power)


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
    "http": generic_http,
    "uhubctl": UHubCtl,
    "gpio": gpio,
    "rf": rf,
    "mqtt": mqtt,
}

__all__ = ["DEVICE_TYPES"]
