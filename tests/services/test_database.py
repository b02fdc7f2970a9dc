from pathlib import Path
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.trial.unittest import TestCase

from moontwist.api import Request, Transport
from moontwist.config import load_config
from moontwist.context import Options, ServerContext
from moontwist.errors import ApiError
from moontwist.services.database import DatabaseService


def make_context(data_path: Path, debug: bool = False) -> ServerContext:
    options = Options(
        data_path=data_path,
        config_file=data_path / "config" / "moonraker.conf",
        log_file=None,
        unix_socket=data_path / "comms" / "moonraker.sock",
        debug=debug,
    )
    return ServerContext(reactor, options, load_config(options.config_file, data_path))


class DatabaseEndpointTests(TestCase):
    debug = False

    def setUp(self) -> None:
        self.data_path = Path(self.mktemp()).resolve()
        self.ctx = make_context(self.data_path, self.debug)
        self.service = DatabaseService(self.ctx)
        self.ctx.add_component("database", self.service)
        self.service.startService()
        self.addCleanup(self.service.stopService)

    def call(self, method: str, **args: Any) -> "Deferred[Any]":
        return self.ctx.registry.dispatch(Request(method, args, Transport.WEBSOCKET))

    async def error(self, method: str, **args: Any) -> ApiError:
        error: ApiError = await self.assertFailure(self.call(method, **args), ApiError)
        return error


class ServerDatabaseTests(DatabaseEndpointTests):
    async def test_post_then_get_item(self) -> None:
        posted = await self.call(
            "server.database.post_item", namespace="test", key="settings.some_count", value=9001
        )
        self.assertEqual(posted, {"namespace": "test", "key": "settings.some_count", "value": 9001})
        got = await self.call("server.database.get_item", namespace="test", key="settings")
        expected = {"namespace": "test", "key": "settings", "value": {"some_count": 9001}}
        self.assertEqual(got, expected)

    async def test_get_without_key_returns_the_whole_namespace(self) -> None:
        await self.call("server.database.post_item", namespace="test", key="a", value=1)
        got = await self.call("server.database.get_item", namespace="test")
        self.assertEqual(got, {"namespace": "test", "key": None, "value": {"a": 1}})

    async def test_array_keys_allow_dots_in_fields(self) -> None:
        await self.call("server.database.post_item", namespace="t", key=["a.b", "c"], value=[1])
        got = await self.call("server.database.get_item", namespace="t", key=["a.b"])
        self.assertEqual(got["value"], {"c": [1]})
        got = await self.call("server.database.get_item", namespace="t", key=["a.b", "c"])
        self.assertEqual(got, {"namespace": "t", "key": ["a.b", "c"], "value": [1]})

    async def test_not_found_errors(self) -> None:
        error = await self.error("server.database.get_item", namespace="nope")
        self.assertEqual((error.status, error.message), (404, "Namespace nope not found"))
        await self.call("server.database.post_item", namespace="t", key="a", value=1)
        error = await self.error("server.database.get_item", namespace="t", key="b.c")
        self.assertEqual(
            (error.status, error.message), (404, "Key 'b.c' in namespace 't' not found")
        )
        error = await self.error("server.database.delete_item", namespace="t", key="b")
        self.assertEqual(error.status, 404)

    async def test_bad_arguments(self) -> None:
        error = await self.error("server.database.post_item", namespace="t", key="a..b", value=1)
        self.assertEqual((error.status, error.message), (400, "Invalid Key Format"))
        error = await self.error("server.database.post_item", namespace="t", key="a")
        self.assertEqual((error.status, error.message), (400, "No data for argument: value"))
        error = await self.error("server.database.delete_item", namespace="t")
        self.assertEqual(error.message, "No data for argument: key")

    async def test_delete_returns_the_value_and_empties_the_namespace(self) -> None:
        await self.call("server.database.post_item", namespace="t", key="a", value={"b": 2})
        deleted = await self.call("server.database.delete_item", namespace="t", key="a")
        self.assertEqual(deleted, {"namespace": "t", "key": "a", "value": {"b": 2}})
        listed = await self.call("server.database.list", root="config")
        self.assertEqual(listed, {"namespaces": [], "backups": []})

    async def test_list_shows_protected_and_hides_forbidden_namespaces(self) -> None:
        for name in ("moonraker", "authorized_users", "database", "fluidd"):
            await self.service.namespace(name).insert("k", 1)
        self.assertEqual(
            await self.call("server.database.list"), {"namespaces": ["fluidd", "moonraker"], "backups": []}
        )

    async def test_protected_namespaces_are_read_only(self) -> None:
        await self.service.namespace("moonraker").insert("instance_id", "x")
        got = await self.call("server.database.get_item", namespace="moonraker", key="instance_id")
        self.assertEqual(got["value"], "x")
        for method in ("server.database.post_item", "server.database.delete_item"):
            error = await self.error(method, namespace="moonraker", key="instance_id", value=1)
            self.assertEqual(
                (error.status, error.message),
                (403, "Write access to namespace 'moonraker' is forbidden"),
            )

    async def test_forbidden_namespaces_cannot_be_read_or_written(self) -> None:
        for method in ("server.database.get_item", "server.database.post_item"):
            error = await self.error(method, namespace="authorized_users", key="bob", value=1)
            self.assertEqual(
                (error.status, error.message),
                (403, "Read/Write access to namespace 'authorized_users' is forbidden"),
            )

    async def test_services_register_more_protected_and_forbidden_namespaces(self) -> None:
        self.service.register_protected("sensor")
        self.service.register_forbidden("secrets")
        error = await self.error("server.database.post_item", namespace="sensor", key="a", value=1)
        self.assertEqual(error.status, 403)
        error = await self.error("server.database.get_item", namespace="secrets")
        self.assertEqual(error.status, 403)

    async def test_debug_endpoints_do_not_exist_without_debug(self) -> None:
        error = await self.error("debug.database.list")
        self.assertEqual((error.status, error.message), (404, "Method not found"))
        self.assertIsNone(self.ctx.registry.by_route("GET", "/debug/database/item"))

    async def test_http_routes_are_declared(self) -> None:
        routes = {
            ("GET", "/server/database/list"): "server.database.list",
            ("GET", "/server/database/item"): "server.database.get_item",
            ("POST", "/server/database/item"): "server.database.post_item",
            ("DELETE", "/server/database/item"): "server.database.delete_item",
        }
        for (verb, path), method in routes.items():
            entry = self.ctx.registry.by_route(verb, path)
            self.assertEqual(entry.method if entry else None, method)

    async def test_stop_commits_queued_writes(self) -> None:
        written = self.service.namespace("history").insert("000001", {"status": "completed"})
        await self.service.stopService()
        await written
        reopened = DatabaseService(make_context(self.data_path))
        reopened.startService()
        self.addCleanup(reopened.stopService)
        self.assertEqual(reopened.namespace("history").get(["000001", "status"]), "completed")


class DebugDatabaseTests(DatabaseEndpointTests):
    debug = True

    async def test_debug_list_shows_forbidden_namespaces(self) -> None:
        await self.service.namespace("database").insert("version", 1)
        self.assertEqual(await self.call("debug.database.list"), {"namespaces": ["database"], "backups": []})
        self.assertEqual(await self.call("server.database.list"), {"namespaces": [], "backups": []})

    async def test_debug_items_bypass_protection(self) -> None:
        posted = await self.call(
            "debug.database.post_item",
            namespace="authorized_users",
            key="bob.groups",
            value=["admin"],
        )
        self.assertEqual(posted["value"], ["admin"])
        got = await self.call("debug.database.get_item", namespace="authorized_users", key="bob")
        self.assertEqual(got["value"], {"groups": ["admin"]})
        await self.service.namespace("moonraker").insert("x", 5)
        deleted = await self.call("debug.database.delete_item", namespace="moonraker", key="x")
        self.assertEqual(deleted, {"namespace": "moonraker", "key": "x", "value": 5})
