"""machine.* services, power and sudo against fake systemctl, supervisorctl and sudo on PATH."""

from __future__ import annotations

from typing import Any

from twisted.internet import reactor
from twisted.trial.unittest import TestCase

from moontwist.api import Request
from moontwist.errors import ApiError
from moontwist.logfile import open_log
from moontwist.services.machine import HostPaths, MachineService
from moontwist.services.machine.providers import NoProvider, SupervisordCliProvider, SystemdCliProvider
from moontwist.services.machine.service import allowed_services
from tests.services.klippy.fakes import FakeConnection
from tests.services.machine import fake_programs
from tests.integration.process import wait_for
from tests.services.machine.helpers import calls, fake_programs as put_on_path, make_ctx, temp_dir


class MachineTestCase(TestCase):
    config = "[server]\n[machine]\nprovider: systemd_cli\n"
    programs = {"sudo": fake_programs.SUDO, "systemctl": fake_programs.SYSTEMCTL}

    async def start(self) -> None:
        self.bin = put_on_path(self, self.programs)
        self.ctx = make_ctx(reactor, temp_dir(self), self.config)
        self.client = FakeConnection(1)
        self.ctx.connections.add(self.client)
        self.machine = MachineService(self.ctx, paths=HostPaths(temp_dir(self)))
        self.ctx.add_component("machine", self.machine)
        self.machine.startService()
        self.addCleanup(self.machine.stopService)
        await self.machine.refresh_services()

    async def call(self, method: str, **args: Any) -> Any:
        return await self.ctx.registry.dispatch(Request(method, args))


class SystemdTests(MachineTestCase):
    async def test_allowed_services_and_their_state(self) -> None:
        await self.start()
        self.assertIsInstance(self.machine.provider, SystemdCliProvider)
        info = (await self.call("machine.system_info"))["system_info"]
        self.assertEqual(info["available_services"], ["klipper", "moonraker", "webcamd", "crowsnest-2"])
        self.assertEqual(info["service_state"]["klipper"], {"active_state": "active", "sub_state": "running"})
        self.assertEqual(info["instance_ids"], {"moonraker": "moonraker", "klipper": "klipper"})
        self.assertEqual(sorted(info), ["available_services", "canbus", "cpu_info", "distribution",
                                        "instance_ids", "network", "provider", "python", "sd_info",
                                        "service_state", "virtualization"])
        self.assertEqual(info["provider"], "systemd_cli")

    async def test_stop_runs_sudo_systemctl_and_notifies_the_new_state(self) -> None:
        await self.start()
        self.assertEqual(await self.call("machine.services.stop", service="klipper"), "ok")
        self.assertIn("systemctl stop klipper.service", calls(self.bin))
        self.assertIn("sudo -n systemctl stop klipper.service", calls(self.bin))
        self.assertEqual(self.client.notifications("notify_service_state_changed"),
                         [[{"klipper": {"active_state": "inactive", "sub_state": "dead"}}]])
        await self.call("machine.services.start", service="klipper")
        self.assertEqual(self.machine.provider.services["klipper"]["active_state"], "active")

    async def test_services_not_allowed_or_not_installed_are_refused(self) -> None:
        await self.start()
        with self.assertRaises(ApiError) as raised:
            await self.call("machine.services.restart", service="ssh")
        self.assertEqual(raised.exception.message, "Service 'ssh' not allowed")
        with self.assertRaises(ApiError) as raised:
            await self.call("machine.services.restart", service="KlipperScreen")
        self.assertEqual(raised.exception.message, "Service 'KlipperScreen' not installed")
        self.assertFalse([line for line in calls(self.bin) if line.startswith("sudo")])

    async def test_moonraker_restart_answers_before_restarting(self) -> None:
        await self.start()
        self.assertEqual(await self.call("machine.services.restart", service="moonraker"), "ok")
        self.assertNotIn("systemctl restart moonraker.service", calls(self.bin))
        await wait_for(lambda: "systemctl restart moonraker.service" in calls(self.bin))
        with self.assertRaises(ApiError):
            await self.call("machine.services.stop", service="moonraker")

    async def test_reboot_and_shutdown(self) -> None:
        await self.start()
        self.assertEqual(await self.call("machine.reboot"), "ok")
        self.assertEqual(await self.call("machine.shutdown"), "ok")
        self.assertIn("sudo -n systemctl reboot", calls(self.bin))
        self.assertIn("sudo -n systemctl poweroff", calls(self.bin))


class HaltTests(MachineTestCase):
    config = "[server]\n[machine]\nprovider: systemd_cli\nshutdown_action: HALT\n"

    async def test_shutdown_action_halt(self) -> None:
        await self.start()
        await self.call("machine.shutdown")
        self.assertIn("systemctl halt", calls(self.bin))


class SudoTests(MachineTestCase):
    async def test_info_without_and_with_access_check(self) -> None:
        await self.start()
        info = await self.call("machine.sudo.info")
        self.assertEqual((info["sudo_access"], info["sudo_requested"], info["request_messages"]), (None, False, []))
        self.assertIsInstance(info["linux_user"], str)
        self.assertTrue((await self.call("machine.sudo.info", check_access=True))["sudo_access"])
        (self.bin / "password").write_text("secret")
        self.assertFalse((await self.call("machine.sudo.info", check_access=True))["sudo_access"])

    async def test_password_needed_raises_alert_then_password_runs_the_request(self) -> None:
        await self.start()
        (self.bin / "password").write_text("secret")
        with self.assertRaises(ApiError) as raised:
            await self.call("machine.services.stop", service="webcamd")
        self.assertEqual(raised.exception.status, 403)
        self.assertEqual(self.client.notifications("notify_sudo_alert"),
                         [[{"sudo_requested": True, "sudo_messages": ["stop webcamd"]}]])
        self.assertTrue((await self.call("machine.sudo.info"))["sudo_requested"])
        with self.assertRaises(ApiError):
            await self.call("machine.sudo.password", password="wrong")
        answer = await self.call("machine.sudo.password", password="secret")
        self.assertEqual(answer, {"sudo_responses": ["Sudo password successfully set.", "stop webcamd: done"],
                                  "is_restarting": False})
        self.assertEqual((self.bin / "state_webcamd").read_text().split(), ["inactive", "dead"])
        self.assertEqual(self.client.notifications("notify_sudo_alert")[-1],
                         [{"sudo_requested": False, "sudo_messages": []}])
        await self.call("machine.services.start", service="webcamd")
        self.assertIn("sudo -S -p  systemctl start webcamd.service", calls(self.bin))


class SudoPasswordFromConfigTests(MachineTestCase):
    config = "[server]\n[machine]\nprovider: systemd_cli\nsudo_password: secret\n"

    async def test_configured_password_is_used(self) -> None:
        await self.start()
        (self.bin / "password").write_text("secret")
        self.assertEqual(await self.call("machine.services.restart", service="klipper"), "ok")


class SupervisordTests(MachineTestCase):
    config = "[server]\n[machine]\nprovider: supervisord_cli\nsupervisord_config_path: /etc/sv.conf\n"
    programs = {"sudo": fake_programs.SUDO, "supervisorctl": fake_programs.SUPERVISORCTL, "shutdown": ""}

    async def test_states_and_actions(self) -> None:
        await self.start()
        self.assertIsInstance(self.machine.provider, SupervisordCliProvider)
        self.assertEqual(self.machine.provider.services, {
            "klipper": {"active_state": "active", "sub_state": "running"},
            "moonraker": {"active_state": "active", "sub_state": "running"},
            "webcamd": {"active_state": "failed", "sub_state": "failed"},
        })
        await self.call("machine.services.restart", service="webcamd")
        self.assertIn("supervisorctl -c /etc/sv.conf restart webcamd", calls(self.bin))
        await self.call("machine.reboot")
        self.assertIn("sudo -n shutdown -r now", calls(self.bin))


class NoProviderTests(MachineTestCase):
    config = "[server]\n[machine]\nprovider: none\n"
    programs = {"sudo": fake_programs.SUDO, "shutdown": ""}

    async def test_no_services(self) -> None:
        await self.start()
        self.assertIsInstance(self.machine.provider, NoProvider)
        info = (await self.call("machine.system_info"))["system_info"]
        self.assertEqual((info["available_services"], info["service_state"], info["provider"]), ([], {}, "none"))
        with self.assertRaises(ApiError):
            await self.call("machine.services.restart", service="klipper")
        await self.call("machine.shutdown")
        self.assertIn("sudo -n shutdown now", calls(self.bin))


class AllowedServicesTests(TestCase):
    def test_asvc_file_replaces_the_default_list(self) -> None:
        path = temp_dir(self) / "moonraker.asvc"
        self.assertIn("crowsnest", allowed_services(path))
        path.write_text("# mine\nmy_cam\nklipper\n\n")
        self.assertEqual(allowed_services(path), ["klipper", "moonraker", "my_cam"])


class LogRolloverTests(MachineTestCase):
    async def test_rolls_our_log_and_reports_klipper_failure(self) -> None:
        self.bin = put_on_path(self, self.programs)
        folder = temp_dir(self)
        log = open_log(folder / "moonraker.log")
        self.addCleanup(log.close)
        log.write("before\n")
        log.flush()
        self.ctx = make_ctx(reactor, temp_dir(self), "[server]\n[machine]\nprovider: none\n")
        MachineService(self.ctx, log, HostPaths(temp_dir(self)))
        result = await self.call("server.logs.rollover")
        self.assertEqual(result["rolled_over"], ["moonraker"])
        self.assertEqual(list(result["failed"]), ["klipper"])
        self.assertEqual((folder / "moonraker.log.1").read_text(), "before\n")
        self.assertEqual((folder / "moonraker.log").read_text(), "")
        with self.assertRaises(ApiError):
            await self.call("server.logs.rollover", application="nginx")


