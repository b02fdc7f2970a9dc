"""The ``system`` entry: apt-get through sudo, both fakes on PATH."""

from __future__ import annotations

from twisted.trial.unittest import TestCase

from moontwist.services.update_manager.system import parse_upgradable
from tests.integration.clients import connect_websocket
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.services.machine.fake_programs import SUDO
from tests.services.machine.helpers import calls, fake_programs
from tests.services.update_manager.test_git_repo import get, post

# ``apt list --upgradable`` prints what ``upgradable`` holds; ``apt-get upgrade`` empties it.
APT = '''
dir=$(dirname "$0")
echo "Listing... Done"
[ -f "$dir/upgradable" ] && cat "$dir/upgradable"
exit 0
'''
APT_GET = '''
dir=$(dirname "$0")
case "$1" in
  update) echo "Hit:1 http://deb.example.invalid bookworm InRelease";;
  upgrade) echo "Setting up libtiff6 (4.5.0-6+deb12u2) ..."; rm -f "$dir/upgradable";;
esac
'''
LISTING = ("libtiff6/stable-security 4.5.0-6+deb12u2 arm64 [upgradable from: 4.5.0-6+deb12u1]\n"
           "rpi-eeprom/stable 26.3-1 arm64 [upgradable from: 26.2-1]\n")
CONFIG = "[update_manager]\n\n" + BASE_CONFIG


class SystemTests(TestCase):
    timeout = 30

    def test_apt_list_lines_are_parsed_with_versions(self) -> None:
        self.assertEqual(parse_upgradable("Listing... Done\n" + LISTING), [
            {"name": "libtiff6", "version": "4.5.0-6+deb12u2", "current_version": "4.5.0-6+deb12u1"},
            {"name": "rpi-eeprom", "version": "26.3-1", "current_version": "26.2-1"}])

    async def test_refresh_lists_upgradable_packages_and_update_upgrades_them(self) -> None:
        programs = fake_programs(self, {"sudo": SUDO, "apt": APT, "apt-get": APT_GET})
        (programs / "upgradable").write_text(LISTING)
        daemon = await start_daemon(self, CONFIG)
        self.assertNotIn("sudo -n apt-get update", calls(programs))
        _, body = await post(daemon, "/machine/update/refresh?name=system")
        system = body["result"]["version_info"]["system"]
        self.assertEqual((system["package_count"], system["package_list"]), (2, ["libtiff6", "rpi-eeprom"]))
        self.assertEqual(system["package_versions"][1]["version"], "26.3-1")
        self.assertIn("sudo -n apt-get update", calls(programs))
        client = await connect_websocket(self, daemon.ws_url)
        reply = await client.call("machine.update.system")
        self.assertEqual(reply["result"], "ok")
        self.assertIn("apt-get upgrade --yes -o Dpkg::Options::=--force-confdef -o "
                      "Dpkg::Options::=--force-confold", calls(programs))
        messages = [m["params"][0] for m in client.notifications if m["method"] == "notify_update_response"]
        self.assertIn("Setting up libtiff6 (4.5.0-6+deb12u2) ...", [m["message"] for m in messages])
        self.assertEqual((messages[-1]["application"], messages[-1]["complete"]), ("system", True))
        status = (await get(daemon, "/machine/update/status"))["result"]
        self.assertEqual(status["version_info"]["system"]["package_count"], 0)

    async def test_a_sudo_that_wants_a_password_fails_the_refresh_clearly(self) -> None:
        programs = fake_programs(self, {"sudo": SUDO, "apt": APT, "apt-get": APT_GET})
        (programs / "password").write_text("secret")
        daemon = await start_daemon(self, CONFIG)
        code, body = await post(daemon, "/machine/update/system")
        self.assertEqual(code, 500)
        self.assertIn("Unable to refresh system packages: sudo -n failed (exit 1): sudo: a password is required",
                      body["error"]["message"])
