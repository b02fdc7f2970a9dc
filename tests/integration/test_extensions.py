"""Agents over real websockets and the Unix socket: identify, list, relayed calls, events."""

from __future__ import annotations

import json
from typing import Any

from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import start_daemon

AGENT = {"client_name": "moonagent", "version": "0.0.1", "type": "agent", "url": "https://example.com/agent"}
WEB = {"client_name": "mainsail", "version": "2.0", "type": "web", "url": "https://example.com/web"}
UNTRUSTED = "[server]\nhost: 127.0.0.1\nport: 0\nssl_port: 0\n"


async def http(test: TestCase, verb: str, url: str, body: Any = None) -> tuple[int, Any]:
    client = http_client(test)
    if verb == "GET":
        response = await client.get(url)
    else:
        response = await client.post(url, json=body)
    return response.code, json.loads(await response.text())


async def settle() -> None:
    await deferLater(reactor, 0.02, lambda: None)


class AgentTests(TestCase):
    async def start(self) -> Any:
        self.daemon = await start_daemon(self)
        self.agent = await connect_websocket(self, self.daemon.ws_url)
        self.web = await connect_websocket(self, self.daemon.ws_url)
        await self.web.call("server.connection.identify", WEB)
        return self.daemon

    async def test_identified_agent_is_listed_and_announced_to_others(self) -> None:
        daemon = await self.start()
        announced = self.web.next_notification("notify_agent_event")
        reply = await self.agent.call("server.connection.identify", AGENT)
        self.assertIn("connection_id", reply["result"])
        event = (await announced)["params"][0]
        expected = {"name": "moonagent", "version": "0.0.1", "type": "agent", "url": "https://example.com/agent"}
        self.assertEqual(event, {"agent": "moonagent", "event": "connected", "data": expected})
        code, body = await http(self, "GET", daemon.http_url + "/server/extensions/list")
        self.assertEqual((code, body["result"]), (200, {"agents": [expected]}))
        self.assertNotIn("notify_agent_event", [n["method"] for n in self.agent.notifications])
        self.assertIn("extensions", daemon.ctx.components)

    async def test_request_is_relayed_to_the_agent_and_its_result_returned(self) -> None:
        daemon = await self.start()
        await self.agent.call("server.connection.identify", AGENT)
        self.agent.on_request = lambda message: self.agent.reply(
            message["id"], {"echo": message.get("params"), "method": message["method"]})
        reply = await self.web.call("server.extensions.request", {
            "agent": "moonagent", "method": "moontest.hello_world", "arguments": {"argone": True}})
        self.assertEqual(reply["result"], {"echo": {"argone": True}, "method": "moontest.hello_world"})
        code, body = await http(self, "POST", daemon.http_url + "/server/extensions/request",
                                {"agent": "moonagent", "method": "m.positional", "arguments": [1, 2]})
        self.assertEqual((code, body["result"]["echo"]), (200, [1, 2]))

    async def test_agent_error_reply_is_a_400_with_the_agents_error_as_data(self) -> None:
        await self.start()
        await self.agent.call("server.connection.identify", AGENT)
        agent_error = {"code": -32601, "message": "no such method"}
        self.agent.on_request = lambda message: self.agent.reply(message["id"], error=agent_error)
        reply = await self.web.call("server.extensions.request", {"agent": "moonagent", "method": "x"})
        self.assertEqual(reply["error"], {"code": 400, "message": "Agent moonagent RPC error", "data": agent_error})

    async def test_bad_requests_are_refused(self) -> None:
        daemon = await self.start()
        missing = await self.web.call("server.extensions.request", {"agent": "nobody", "method": "x"})
        self.assertEqual(missing["error"], {"code": 400, "message": "Agent nobody not connected"})
        code, body = await http(self, "POST", daemon.http_url + "/server/extensions/request",
                                {"agent": "nobody", "method": "x", "arguments": 5})
        self.assertEqual((code, body["error"]["message"]), (400, "The 'arguments' field must contain an object or a list"))
        no_method = await self.web.call("server.extensions.request", {"agent": "nobody"})
        self.assertEqual(no_method["error"]["message"], "No data for argument: method")

    async def test_disconnecting_agent_fails_its_pending_calls_and_is_announced(self) -> None:
        await self.start()
        await self.agent.call("server.connection.identify", AGENT)
        pending = self.web.call("server.extensions.request", {"agent": "moonagent", "method": "slow"})
        await settle()
        self.assertEqual(self.agent.requests[0]["method"], "slow")
        gone = self.web.next_notification("notify_agent_event")
        self.agent.transport.loseConnection()
        self.assertEqual((await pending)["error"], {"code": 500, "message": "Client Socket Disconnected"})
        self.assertEqual((await gone)["params"], [{"agent": "moonagent", "event": "disconnected"}])
        listed = await self.web.call("server.extensions.list")
        self.assertEqual(listed["result"], {"agents": []})

    async def test_agent_events_reach_every_other_connection(self) -> None:
        await self.start()
        await self.agent.call("server.connection.identify", AGENT)
        received = self.web.next_notification("notify_agent_event")
        reply = await self.agent.call("connection.send_event", {"event": "my_event", "data": {"my_arg": 1}})
        self.assertEqual(reply["result"], "ok")
        self.assertEqual((await received)["params"], [{"agent": "moonagent", "event": "my_event", "data": {"my_arg": 1}}])
        reserved = await self.agent.call("connection.send_event", {"event": "connected"})
        self.assertEqual(reserved["error"], {"code": 400, "message": "Event 'connected' is reserved"})
        not_agent = await self.web.call("connection.send_event", {"event": "x"})
        self.assertEqual(not_agent["error"]["message"], "Only connections of the 'agent' type can send events")

    async def test_second_agent_with_the_same_name_is_refused(self) -> None:
        daemon = await self.start()
        await self.agent.call("server.connection.identify", AGENT)
        other = await connect_websocket(self, daemon.ws_url)
        reply = await other.call("server.connection.identify", AGENT)
        self.assertEqual(reply["error"], {"code": 400, "message": "Agent 'moonagent' already registered and connected'"})

    async def test_unix_socket_agent_needs_no_credentials(self) -> None:
        daemon = await start_daemon(self, UNTRUSTED)
        agent = await connect_unix(self, daemon.unix_path)
        reply = await agent.call("server.connection.identify", AGENT)
        self.assertIn("connection_id", reply["result"])
        agent.on_request = lambda message: agent.reply(message["id"], "pong")
        other = await connect_unix(self, daemon.unix_path)
        answer = await other.call("server.extensions.request", {"agent": "moonagent", "method": "ping"})
        self.assertEqual(answer["result"], "pong")


class UnauthenticatedAgentTests(TestCase):
    async def test_unauthenticated_websocket_may_not_identify_as_agent(self) -> None:
        daemon = await start_daemon(self, UNTRUSTED)
        client = await connect_websocket(self, daemon.ws_url)
        reply = await client.call("server.connection.identify", AGENT)
        self.assertEqual(reply["error"], {"code": -32602, "message": "Unauthorized"})
        self.assertEqual(daemon.ctx.components["extensions"].agents, {})

    async def test_websocket_identifying_with_the_api_key_may_be_an_agent(self) -> None:
        daemon = await start_daemon(self, UNTRUSTED)
        local = await connect_unix(self, daemon.unix_path)
        api_key = (await local.call("access.get_api_key"))["result"]
        client = await connect_websocket(self, daemon.ws_url)
        reply = await client.call("server.connection.identify", {**AGENT, "api_key": api_key})
        self.assertIn("connection_id", reply["result"])
        listed = await local.call("server.extensions.list")
        self.assertEqual([agent["name"] for agent in listed["result"]["agents"]], ["moonagent"])
