"""The webcam component over the registry, with a real config file and a real lmdb database."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.trial.unittest import TestCase

from moontwist.api import Request, Transport
from moontwist.errors import ApiError
from moontwist.services.database import DatabaseService
from moontwist.instance import instance_uuid
from moontwist.services.webcams import WebcamService
from tests.services.machine.helpers import make_ctx

CONFIG = """\
[server]

[webcam front]
stream_url: /webcam/?action=stream
snapshot_url: /webcam/?action=snapshot
rotation: 90
aspect_ratio: 16:9
"""


class WebcamFixture(TestCase):
    config = CONFIG

    def setUp(self) -> None:
        self.data_path = Path(self.mktemp()).resolve()
        self.data_path.mkdir(parents=True)
        # As the daemon's data folder preparation does before any service is built.
        instance_uuid(self.data_path)
        self.start()

    def start(self) -> "Deferred[Any]":
        self.ctx = make_ctx(reactor, self.data_path, self.config)
        self.notified: list[tuple[str, Any]] = []
        self.ctx.notify = lambda method, params=None: self.notified.append((method, params))  # type: ignore[method-assign]
        self.database = DatabaseService(self.ctx)
        self.ctx.add_component("database", self.database)
        self.database.startService()
        self.addCleanup(self.database.stopService)
        self.webcams = WebcamService(self.ctx)
        self.ctx.add_component("webcam", self.webcams)
        return self.webcams.startService()

    async def restart(self) -> None:
        await self.database.stopService()
        await self.start()

    def call(self, method: str, **args: Any) -> "Deferred[Any]":
        return self.ctx.registry.dispatch(Request(method, args, Transport.WEBSOCKET))

    async def error(self, method: str, **args: Any) -> ApiError:
        error: ApiError = await self.assertFailure(self.call(method, **args), ApiError)
        return error


class WebcamServiceTests(WebcamFixture):
    async def test_config_webcam_is_listed_with_a_stable_uid_from_the_instance_uuid(self) -> None:
        listed = (await self.call("server.webcams.list"))["webcams"]
        self.assertEqual(len(listed), 1)
        front = listed[0]
        instance = uuid.UUID((self.data_path / ".moonraker.uuid").read_text())
        self.assertEqual(front["uid"], str(uuid.uuid5(instance, "moonraker.webcam.front")))
        self.assertEqual((front["source"], front["rotation"], front["aspect_ratio"], front["extra_data"]),
                         ("config", 90, "16:9", {}))
        await self.restart()
        self.assertEqual((await self.call("server.webcams.list"))["webcams"], listed)

    async def test_post_creates_in_the_namespace_then_announces(self) -> None:
        posted = (await self.call("server.webcams.post_item", name="nozzle", stream_url="http://cam/stream",
                                  extra_data={"hideFps": True}))["webcam"]
        self.assertEqual(posted["source"], "database")
        uuid.UUID(posted["uid"])
        record = self.database.namespace("webcams").get(posted["uid"])
        self.assertEqual((record["name"], record["urlStream"], record["extra_data"]),
                         ("nozzle", "http://cam/stream", {"hideFps": True}))
        listed = (await self.call("server.webcams.list"))["webcams"]
        self.assertEqual([cam["name"] for cam in listed], ["front", "nozzle"])
        self.assertEqual(self.notified, [("notify_webcams_changed", [{"webcams": listed}])])
        await self.restart()
        self.assertEqual((await self.call("server.webcams.get_item", uid=posted["uid"]))["webcam"], posted)

    async def test_update_by_name_and_rename_by_uid(self) -> None:
        posted = (await self.call("server.webcams.post_item", name="a", stream_url="/s"))["webcam"]
        updated = (await self.call("server.webcams.post_item", name="a", target_fps=30, rotation=180))["webcam"]
        self.assertEqual((updated["uid"], updated["target_fps"], updated["rotation"]), (posted["uid"], 30, 180))
        renamed = (await self.call("server.webcams.post_item", uid=posted["uid"], name="b"))["webcam"]
        self.assertEqual((renamed["name"], renamed["target_fps"]), ("b", 30))
        names = [cam["name"] for cam in (await self.call("server.webcams.list"))["webcams"]]
        self.assertEqual(names, ["front", "b"])
        error = await self.error("server.webcams.post_item", uid=posted["uid"], name="front")
        self.assertEqual(error.message, "Cannot rename webcam from 'b' to 'front'.  Webcam with requested "
                                        "name 'front' already exists.")

    async def test_config_webcams_are_read_only(self) -> None:
        error = await self.error("server.webcams.post_item", name="front", target_fps=5)
        self.assertEqual((error.status, error.message),
                         (400, "Cannot overwrite webcam 'front' sourced from Moonraker configuration"))
        error = await self.error("server.webcams.delete_item", name="front")
        self.assertEqual((error.status, error.message),
                         (400, "Cannot delete webcam 'front' sourced from Moonraker configuration"))
        self.assertEqual(self.notified, [])

    async def test_delete_answers_the_webcam_and_announces_the_list_without_it(self) -> None:
        posted = (await self.call("server.webcams.post_item", name="a", stream_url="/s"))["webcam"]
        deleted = (await self.call("server.webcams.delete_item", uid=posted["uid"]))["webcam"]
        self.assertEqual(deleted, posted)
        self.assertEqual(self.database.namespace("webcams").keys(), [])
        names = [cam["name"] for cam in self.notified[-1][1][0]["webcams"]]
        self.assertEqual(names, ["front"])

    async def test_unknown_webcams_are_404(self) -> None:
        error = await self.error("server.webcams.get_item", name="nope")
        self.assertEqual((error.status, error.message), (404, "Webcam nope not found"))
        error = await self.error("server.webcams.delete_item", uid="1234")
        self.assertEqual((error.status, error.message), (404, "Webcam with UID 1234 not found"))
        error = await self.error("server.webcams.get_item")
        self.assertEqual((error.status, error.message), (400, "No data for argument: name"))

    async def test_bad_values_are_400_and_store_nothing(self) -> None:
        error = await self.error("server.webcams.post_item", name="x", stream_url="/s", rotation=45)
        self.assertEqual((error.status, error.message), (400, "Invalid value for 'rotation': 45"))
        error = await self.error("server.webcams.post_item", name="x", stream_url="/s", extra_data=[1])
        self.assertEqual(error.status, 400)
        self.assertEqual(self.database.namespace("webcams").keys(), [])

    async def test_webcams_mainsail_writes_into_the_namespace_are_listed(self) -> None:
        namespace = self.database.namespace("webcams")
        await namespace.insert("11111111-2222-3333-4444-555555555555",
                               {"name": "theme", "urlStream": "/t", "flipX": True, "enabled": False})
        await namespace.insert("junk", {"no": "name"})
        await namespace.insert("dupe", {"name": "front", "urlStream": "/d"})
        listed = (await self.call("server.webcams.list"))["webcams"]
        self.assertEqual([(cam["name"], cam["source"]) for cam in listed], [("front", "config"), ("theme", "database")])
        self.assertEqual((listed[1]["flip_horizontal"], listed[1]["enabled"]), (True, False))


class NoWebcamTests(WebcamFixture):
    config = "[server]\n"

    async def test_no_webcam_configured_lists_none_and_posting_adds_one(self) -> None:
        self.assertEqual(await self.call("server.webcams.list"), {"webcams": []})
        await self.call("server.webcams.post_item", name="a", stream_url="/s")
        self.assertEqual([cam["name"] for cam in (await self.call("server.webcams.list"))["webcams"]], ["a"])


class BadConfigTests(WebcamFixture):
    config = CONFIG + "\n[webcam tilted]\nstream_url: /s\nrotation: 45\n\n[webcam blind]\nicon: x\n"

    async def test_a_bad_section_costs_only_its_webcam_and_warns(self) -> None:
        names = [cam["name"] for cam in (await self.call("server.webcams.list"))["webcams"]]
        self.assertEqual(names, ["front"])
        self.assertEqual(self.ctx.warnings, ["[webcam tilted]: Invalid value for 'rotation': 45",
                                             "[webcam blind]: No option 'stream_url' in section: 'webcam blind'"])
