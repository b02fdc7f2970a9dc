"""The versions in ``server.info``, read with each client's own parsing rules.

The rules are restated from the clients' sources (2026): Fluidd 1.37
(semver ``gte`` against its minimum ``v0.8.0-309``, after appending ``-0``
to a version with no dash), Mainsail 2.18 (release before the first dash as
semver, the build number after it), Mobileraker (``vX.Y.Z-COMMITS-HASH``,
three dash parts, else it falls back to 0.0.0).
"""

from __future__ import annotations

import re
from pathlib import Path

from twisted.internet import reactor
from twisted.trial.unittest import SynchronousTestCase

from moontwist import API_VERSION, MOONRAKER_VERSION, __version__
from moontwist.api import Request
from moontwist.services.server import ServerService
from tests.services.machine.helpers import make_ctx

# semver.org's regular expression, with the leading "v" node-semver allows.
SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def semver_key(version: str) -> tuple[tuple[int, int, int], tuple[tuple[int, int | str], ...] | tuple[tuple[int]]]:
    match = SEMVER.match(version)
    assert match is not None, version
    release = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match.group(4) is None:
        return release, ((2,),)  # a release sorts after its prereleases
    parts = tuple((0, int(p)) if p.isdigit() else (1, p) for p in match.group(4).split("."))
    return release, parts  # type: ignore[return-value]


def fluidd_accepts(version: str, minimum: str = "v0.8.0-309") -> bool:
    full = version if "-" in version else f"{version}-0"
    return bool(SEMVER.match(full)) and semver_key(full) >= semver_key(minimum)


def fluidd_min_api(api_version: str, minimum: str) -> bool:
    """Fluidd's ``getIsMinApiVersion``: plain semver ``gte``."""
    return bool(SEMVER.match(api_version)) and semver_key(api_version) >= semver_key(minimum)


def mainsail_too_old(version: str, minimum: str) -> bool:
    release, _, rest = version.partition("-")
    build = rest.split("-")[0]
    min_release, _, min_rest = minimum.partition("-")
    if not SEMVER.match(release):
        return False
    newer = semver_key(min_release) > semver_key(release)
    same = semver_key(min_release) == semver_key(release)
    return newer or (same and build.isdigit() and int(build) < int(min_rest or 0))


def mobileraker_version(version: str) -> tuple[int, int, int, int]:
    parts = version.split("-")
    if len(parts) < 3:
        return (0, 0, 0, 0)
    numbers = parts[0][1:].split(".")
    if len(numbers) != 3:
        return (0, 0, 0, 0)
    return (*(int(n) if n.isdigit() else 0 for n in numbers), int(parts[1]) if parts[1].isdigit() else 0)  # type: ignore[return-value]


class ParserRuleTests(SynchronousTestCase):
    """The restated rules agree with what the clients do with Moonraker's own strings."""

    def test_rules_on_moonrakers_own_version_strings(self) -> None:
        self.assertTrue(fluidd_accepts("v0.11.0-12-g1a2b3c4"))
        self.assertTrue(fluidd_accepts("0.11.0"))
        self.assertFalse(fluidd_accepts("v0.7.9-900-gabc"))
        # One prerelease identifier "200-gabc" is alphanumeric, so above the numeric "309".
        self.assertTrue(fluidd_accepts("v0.8.0-200-gabc"))
        self.assertFalse(fluidd_accepts("v0.1.0-moontwist"))
        self.assertTrue(mainsail_too_old("v0.7.1-500-gabc", "v0.8.0-1"))
        self.assertFalse(mainsail_too_old("v0.11.0-12-g1a2b3c4", "v0.8.0-1"))
        self.assertEqual(mobileraker_version("v0.11.0-12-g1a2b3c4"), (0, 11, 0, 12))
        self.assertEqual(mobileraker_version("0.11.0"), (0, 0, 0, 0))


class ServerInfoVersionTests(SynchronousTestCase):
    def setUp(self) -> None:
        data = Path(self.mktemp())
        ctx = make_ctx(reactor, data)
        self.info = ServerService(ctx).info(Request("server.info"))

    def test_every_client_reads_moonraker_0_11(self) -> None:
        version = self.info["moonraker_version"]
        self.assertEqual(version, MOONRAKER_VERSION)
        self.assertTrue(fluidd_accepts(version))
        self.assertFalse(mainsail_too_old(version, "v0.11.0-0"))
        self.assertEqual(mobileraker_version(version), (0, 11, 0, 0))

    def test_api_level_and_our_own_version_are_separate_fields(self) -> None:
        self.assertEqual(self.info["api_version"], [1, 5, 0])
        self.assertEqual(self.info["api_version_string"], "1.5.0")
        self.assertEqual(list(API_VERSION), [1, 5, 0])
        self.assertTrue(fluidd_min_api(self.info["api_version_string"], "1.5.0"))
        self.assertFalse(fluidd_min_api(self.info["api_version_string"], "1.5.1"))
        self.assertEqual(self.info["moontwist_version"], __version__)
