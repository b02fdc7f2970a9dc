"""The MQTT client protocol and session, driven with a StringTransport and a Clock."""

from __future__ import annotations

import random
from typing import Any

from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from moontwist.protocols.mqtt import MQTT_5, MQTT_311, ConnectOptions, MQTTClientProtocol
from moontwist.protocols.mqtt_errors import (
    ConnectionRefused,
    InvalidTopic,
    MessageDropped,
    PublishRefused,
    QueueFull,
    SessionClosed,
    SubscribeRefused,
)
from moontwist.protocols.mqtt_packets import ConnAck, PacketType, Property, Publish
from moontwist.protocols.mqtt_session import MQTTSession
from tests.protocols.mqtt_broker import Sent, ack, connack, publish, sent_packets, suback


class RecordingListener:
    def __init__(self) -> None:
        self.connected: list[ConnAck] = []
        self.refused: list[ConnectionRefused] = []
        self.lost: list[Failure] = []

    def mqtt_connected(self, protocol: MQTTClientProtocol, connack: ConnAck) -> None:
        self.connected.append(connack)

    def mqtt_refused(self, error: ConnectionRefused) -> None:
        self.refused.append(error)

    def mqtt_lost(self, protocol: MQTTClientProtocol, reason: Failure) -> None:
        self.lost.append(reason)


class Harness:
    """A session and successive connections to a pretend broker."""

    def __init__(self, version: int = MQTT_311, **options: Any) -> None:
        self.version = version
        self.clock = Clock()
        self.messages: list[Publish] = []
        self.session = MQTTSession(self.messages.append, max_inflight=options.pop("max_inflight", 20),
                                   max_queued=options.pop("max_queued", 1000),
                                   max_queued_qos0=options.pop("max_queued_qos0", 200))
        self.options = ConnectOptions("client", version=version, **options)
        self.listener = RecordingListener()
        self.protocol: MQTTClientProtocol
        self.transport: StringTransport

    def connect(self, accept: bool = True, session_present: bool = False, **connack_args: Any) -> list[Sent]:
        self.protocol = MQTTClientProtocol(self.options, self.session, self.clock, self.listener)
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)
        if accept:
            self.receive(connack(session_present=session_present, version=self.version, **connack_args))
        return self.sent()

    def receive(self, data: bytes) -> None:
        self.protocol.dataReceived(data)

    def sent(self) -> list[Sent]:
        packets = sent_packets(self.transport.value())
        self.transport.clear()
        return packets

    def drop(self) -> None:
        self.protocol.connectionLost(Failure(ConnectionDone()))


class ConnectTests(SynchronousTestCase):
    def test_connect_is_sent_first_and_connack_accepts(self) -> None:
        harness = Harness()
        [connect] = harness.connect()
        self.assertEqual(connect.kind, PacketType.CONNECT)
        self.assertEqual(len(harness.listener.connected), 1)
        self.assertTrue(harness.session.connected)

    def test_v3_refusal_names_the_reason_and_closes(self) -> None:
        harness = Harness()
        harness.connect(accept=False)
        harness.receive(connack(4))
        [error] = harness.listener.refused
        self.assertIn("bad user name or password (0x04)", str(error))
        self.assertTrue(error.bad_credentials)
        self.assertTrue(harness.transport.disconnecting)
        self.assertFalse(harness.session.connected)

    def test_v5_refusal_carries_the_reason_string(self) -> None:
        harness = Harness(MQTT_5)
        harness.connect(accept=False)
        harness.receive(connack(0x87, version=MQTT_5, properties={Property.REASON_STRING: "acl"}))
        self.assertIn("not authorized (0x87): acl", str(harness.listener.refused[0]))

    def test_no_connack_in_time_aborts(self) -> None:
        harness = Harness(connect_timeout=5)
        harness.connect(accept=False)
        harness.clock.advance(4.9)
        self.assertFalse(harness.transport.disconnecting)
        harness.clock.advance(0.2)
        self.assertTrue(harness.transport.disconnecting)

    def test_packet_before_connack_is_a_protocol_error(self) -> None:
        harness = Harness()
        harness.connect(accept=False)
        harness.receive(ack(PacketType.PUBACK, 1))
        self.assertTrue(harness.transport.disconnecting)
        self.assertFalse(harness.session.connected)

    def test_v5_connect_turns_topic_aliases_off_and_sets_session_expiry(self) -> None:
        harness = Harness(MQTT_5, session_expiry=600)
        [connect] = harness.connect(accept=False)
        # id 0x11 (session expiry) u32 600, 0x22 (topic alias maximum) u16 0
        self.assertIn(b"\x11\x00\x00\x02\x58", connect.body)
        self.assertIn(b"\x22\x00\x00", connect.body)

    def test_disconnect_sends_disconnect_and_closes(self) -> None:
        harness = Harness()
        harness.connect()
        harness.protocol.disconnect()
        self.assertEqual([p.kind for p in harness.sent()], [PacketType.DISCONNECT])
        self.assertTrue(harness.transport.disconnecting)


class KeepaliveTests(SynchronousTestCase):
    def test_idle_connection_pings_and_pingresp_keeps_it(self) -> None:
        harness = Harness(keepalive=10)
        harness.connect()
        harness.clock.advance(10)
        self.assertEqual([p.kind for p in harness.sent()], [PacketType.PINGREQ])
        harness.receive(b"\xd0\x00")
        harness.clock.advance(14)
        self.assertFalse(harness.transport.disconnecting)

    def test_dead_broker_is_dropped(self) -> None:
        harness = Harness(keepalive=10)
        harness.connect()
        harness.clock.advance(10)
        harness.clock.advance(14.9)
        self.assertFalse(harness.transport.disconnecting)
        harness.clock.advance(0.2)
        self.assertTrue(harness.transport.disconnecting)

    def test_traffic_both_ways_postpones_the_ping(self) -> None:
        harness = Harness(keepalive=10)
        harness.connect()
        harness.clock.advance(6)
        harness.session.publish("t", b"x", qos=1)
        harness.receive(ack(PacketType.PUBACK, harness.sent()[0].packet_id))
        harness.clock.advance(9.9)
        self.assertEqual(harness.sent(), [])
        harness.clock.advance(0.1)
        self.assertEqual([p.kind for p in harness.sent()], [PacketType.PINGREQ])

    def test_only_sending_does_not_prove_the_broker_alive(self) -> None:
        harness = Harness(keepalive=10)
        harness.connect()
        for _ in range(10):
            harness.clock.advance(1)
            harness.session.publish("t", b"x")
        self.assertIn(PacketType.PINGREQ, [p.kind for p in harness.sent()])
        harness.clock.advance(15)
        self.assertTrue(harness.transport.disconnecting)

    def test_message_never_acknowledged_drops_the_connection_and_is_resent(self) -> None:
        harness = Harness(keepalive=10, ack_timeout=30)
        harness.connect()
        done = harness.session.publish("t", b"x", qos=1)
        [sent] = harness.sent()
        for _ in range(3):
            harness.clock.advance(10)
            harness.receive(b"\xd0\x00")
        self.assertFalse(harness.transport.disconnecting)
        harness.clock.advance(10)
        self.assertTrue(harness.transport.disconnecting)
        harness.drop()
        [again] = harness.connect(session_present=True)[1:]
        self.assertEqual((again.packet_id, again.dup), (sent.packet_id, True))
        harness.receive(ack(PacketType.PUBACK, sent.packet_id))
        self.successResultOf(done)

    def test_server_keep_alive_overrides_ours(self) -> None:
        harness = Harness(MQTT_5, keepalive=60)
        harness.connect(properties={Property.SERVER_KEEP_ALIVE: 5})
        harness.clock.advance(5)
        self.assertEqual([p.kind for p in harness.sent()], [PacketType.PINGREQ])


class PublishTests(SynchronousTestCase):
    def test_qos0_is_written_at_once(self) -> None:
        harness = Harness()
        harness.connect()
        self.successResultOf(harness.session.publish("a", b"1", retain=True))
        [sent] = harness.sent()
        self.assertEqual((sent.topic, sent.qos, sent.flags & 1), ("a", 0, 1))

    def test_qos1_fires_on_puback(self) -> None:
        harness = Harness()
        harness.connect()
        done = harness.session.publish("a", b"1", qos=1)
        [sent] = harness.sent()
        self.assertNoResult(done)
        harness.receive(ack(PacketType.PUBACK, sent.packet_id))
        self.successResultOf(done)
        self.assertEqual(harness.session.in_flight(), 0)

    def test_qos2_runs_pubrec_pubrel_pubcomp(self) -> None:
        harness = Harness()
        harness.connect()
        done = harness.session.publish("a", b"1", qos=2)
        [sent] = harness.sent()
        harness.receive(ack(PacketType.PUBREC, sent.packet_id))
        [pubrel] = harness.sent()
        self.assertEqual((pubrel.kind, pubrel.flags, pubrel.packet_id), (PacketType.PUBREL, 2, sent.packet_id))
        self.assertNoResult(done)
        harness.receive(ack(PacketType.PUBCOMP, sent.packet_id))
        self.successResultOf(done)

    def test_v5_refusal_fails_the_publish(self) -> None:
        harness = Harness(MQTT_5)
        harness.connect()
        done = harness.session.publish("a", b"1", qos=1)
        [sent] = harness.sent()
        harness.receive(ack(PacketType.PUBACK, sent.packet_id, 0x87))
        self.assertIn("not authorized", str(self.failureResultOf(done, PublishRefused).value))

    def test_window_limits_messages_in_flight(self) -> None:
        harness = Harness(max_inflight=2)
        harness.connect()
        results = [harness.session.publish("a", bytes([n]), qos=1) for n in range(3)]
        first, second = harness.sent()
        self.assertEqual(harness.session.queued(), 1)
        harness.receive(ack(PacketType.PUBACK, first.packet_id))
        [third] = harness.sent()
        self.assertEqual(third.payload(MQTT_311), b"\x02")
        self.assertNotIn(third.packet_id, (second.packet_id,))
        self.successResultOf(results[0])
        self.assertNoResult(results[2])

    def test_broker_receive_maximum_narrows_the_window(self) -> None:
        harness = Harness(MQTT_5)
        harness.connect(properties={Property.RECEIVE_MAXIMUM: 1, Property.MAXIMUM_QOS: 1})
        harness.session.publish("a", b"1", qos=2)
        harness.session.publish("a", b"2", qos=1)
        [sent] = harness.sent()
        self.assertEqual(sent.qos, 1)

    def test_queued_message_is_sent_at_the_brokers_maximum_qos(self) -> None:
        harness = Harness(MQTT_5)
        queued = harness.session.publish("a", b"1", qos=2)
        sent = harness.connect(properties={Property.MAXIMUM_QOS: 0})
        self.assertEqual([(p.kind, p.qos) for p in sent[1:]], [(PacketType.PUBLISH, 0)])
        self.successResultOf(queued)

    def test_topics_that_cannot_be_published_to_are_refused(self) -> None:
        harness = Harness()
        harness.connect()
        for topic in ("", "a/#", "a/+/b", "a\x00"):
            self.failureResultOf(harness.session.publish(topic, b"x"), InvalidTopic)
        self.assertEqual(harness.sent(), [])

    def test_queue_while_disconnected_is_bounded(self) -> None:
        harness = Harness(max_queued=2, max_queued_qos0=2)
        drops = [harness.session.publish("zero", bytes([n])) for n in range(3)]
        self.failureResultOf(drops[0], MessageDropped)
        kept = [harness.session.publish("one", bytes([n]), qos=1) for n in range(2)]
        self.failureResultOf(harness.session.publish("one", b"x", qos=1), QueueFull)
        sent = harness.connect()[1:]
        self.assertEqual([(p.topic, p.qos) for p in sent], [("zero", 0), ("zero", 0), ("one", 1), ("one", 1)])
        self.successResultOf(drops[1])
        for result in kept:
            self.assertNoResult(result)

    def test_session_present_resends_with_dup_and_pubrel(self) -> None:
        harness = Harness()
        harness.connect()
        qos1 = harness.session.publish("a", b"1", qos=1)
        qos2 = harness.session.publish("b", b"2", qos=2)
        first, second = harness.sent()
        harness.receive(ack(PacketType.PUBREC, second.packet_id))
        harness.sent()
        harness.drop()
        resent = harness.connect(session_present=True)[1:] + harness.sent()
        self.assertEqual([(p.kind, p.packet_id, p.dup) for p in resent],
                         [(PacketType.PUBLISH, first.packet_id, True), (PacketType.PUBREL, second.packet_id, False)])
        harness.receive(ack(PacketType.PUBACK, first.packet_id) + ack(PacketType.PUBCOMP, second.packet_id))
        self.successResultOf(qos1)
        self.successResultOf(qos2)

    def test_lost_session_sends_unacknowledged_messages_again(self) -> None:
        harness = Harness()
        harness.connect()
        qos1 = harness.session.publish("a", b"1", qos=1)
        qos2 = harness.session.publish("b", b"2", qos=2)
        harness.sent()
        harness.receive(ack(PacketType.PUBREC, 2))
        harness.drop()
        resent = harness.connect(session_present=False)[1:] + harness.sent()
        # The QoS 2 message the broker had taken is done; the QoS 1 one goes again as new.
        self.successResultOf(qos2)
        self.assertEqual([(p.topic, p.dup) for p in resent], [("a", False)])
        harness.receive(ack(PacketType.PUBACK, resent[0].packet_id))
        self.successResultOf(qos1)

    def test_broker_that_stops_reading_is_dropped_past_the_send_limit(self) -> None:
        harness = Harness(send_limit=1000)
        harness.connect()
        harness.transport.producer.pauseProducing()
        for _ in range(9):
            harness.session.publish("t", b"x" * 100)
        self.assertFalse(harness.transport.disconnecting)
        harness.session.publish("t", b"x" * 100)
        self.assertTrue(harness.transport.disconnecting)

    def test_close_fails_every_waiting_caller(self) -> None:
        harness = Harness()
        harness.connect()
        waiting = harness.session.publish("a", b"1", qos=1)
        harness.drop()
        queued = harness.session.publish("a", b"2", qos=1)
        harness.session.close()
        self.failureResultOf(waiting, SessionClosed)
        self.failureResultOf(queued, SessionClosed)
        self.failureResultOf(harness.session.publish("a", b"3"), SessionClosed)


class ReceiveTests(SynchronousTestCase):
    def test_qos1_is_delivered_and_acknowledged(self) -> None:
        harness = Harness()
        harness.connect()
        harness.receive(publish("in", b"hello", qos=1, packet_id=9, retain=True))
        self.assertEqual([(m.topic, m.payload, m.retain) for m in harness.messages], [("in", b"hello", True)])
        [puback] = harness.sent()
        self.assertEqual((puback.kind, puback.packet_id), (PacketType.PUBACK, 9))

    def test_qos2_is_delivered_once_despite_a_duplicate(self) -> None:
        harness = Harness()
        harness.connect()
        harness.receive(publish("in", b"x", qos=2, packet_id=4))
        harness.receive(publish("in", b"x", qos=2, packet_id=4, dup=True))
        self.assertEqual(len(harness.messages), 1)
        harness.receive(ack(PacketType.PUBREL, 4))
        self.assertEqual([p.kind for p in harness.sent()], [PacketType.PUBREC, PacketType.PUBREC, PacketType.PUBCOMP])
        harness.receive(publish("in", b"y", qos=2, packet_id=4))
        self.assertEqual(len(harness.messages), 2)

    def test_too_many_qos2_awaiting_pubrel_is_a_protocol_error(self) -> None:
        harness = Harness(receive_maximum=2)
        harness.connect()
        for packet_id in (1, 2, 3):
            harness.receive(publish("in", b"x", qos=2, packet_id=packet_id))
        self.assertEqual(len(harness.messages), 2)
        self.assertTrue(harness.transport.disconnecting)

    def test_topic_alias_closes_with_reason_0x94(self) -> None:
        harness = Harness(MQTT_5)
        harness.connect()
        harness.receive(publish("in", b"x", version=MQTT_5, properties={Property.TOPIC_ALIAS: 1}))
        [disconnect] = harness.sent()
        self.assertEqual((disconnect.kind, disconnect.body[0]), (PacketType.DISCONNECT, 0x94))
        self.assertEqual(harness.messages, [])

    def test_oversized_packet_closes_without_buffering(self) -> None:
        harness = Harness(max_packet_size=1000)
        harness.connect()
        harness.receive(b"\x30\xe8\x07")  # remaining length 1000
        self.assertTrue(harness.transport.disconnecting)
        harness.receive(b"x" * 5000)
        self.assertEqual(harness.messages, [])

    def test_garbage_after_connack_closes(self) -> None:
        harness = Harness()
        harness.connect()
        harness.receive(b"\xf0\x00")
        self.assertTrue(harness.transport.disconnecting)

    def test_random_packets_never_raise_and_never_deliver_after_closing(self) -> None:
        generator = random.Random(15)
        for version in (MQTT_311, MQTT_5):
            for _ in range(300):
                harness = Harness(version, max_packet_size=512)
                harness.connect()
                kind = generator.randrange(16) << 4 | generator.randrange(16)
                body = bytes(generator.randrange(256) for _ in range(generator.randrange(12)))
                harness.receive(bytes([kind, len(body)]) + body + b"\xf0\x00")
                # Whatever the packet was, the reserved type after it closes the connection.
                self.assertTrue(harness.transport.disconnecting)
                delivered = len(harness.messages)
                harness.receive(publish("late", b"x"))
                self.assertEqual(len(harness.messages), delivered)

    def test_broker_disconnect_closes(self) -> None:
        harness = Harness(MQTT_5)
        harness.connect()
        harness.receive(b"\xe0\x02\x8e\x00")
        self.assertTrue(harness.transport.disconnecting)


class SubscribeTests(SynchronousTestCase):
    def test_suback_grants_and_refusal_fails(self) -> None:
        harness = Harness()
        harness.connect()
        granted = harness.session.subscribe("a", 1)
        refused = harness.session.subscribe("b", 2)
        first, second = harness.sent()
        self.assertEqual(first.kind, PacketType.SUBSCRIBE)
        harness.receive(suback(first.packet_id, [1]) + suback(second.packet_id, [0x80]))
        self.assertEqual(self.successResultOf(granted), 1)
        self.failureResultOf(refused, SubscribeRefused)
        self.assertEqual(harness.session.subscriptions, {"a": 1})

    def test_subscriptions_made_while_disconnected_are_sent_on_connect(self) -> None:
        harness = Harness()
        granted = harness.session.subscribe("a", 0)
        [_, subscribe] = harness.connect()
        self.assertEqual(subscribe.body[2:], b"\x00\x01a\x00")
        harness.receive(suback(subscribe.packet_id, [0]))
        self.assertEqual(self.successResultOf(granted), 0)

    def test_lost_session_subscribes_again_kept_session_does_not(self) -> None:
        harness = Harness()
        harness.connect()
        harness.session.subscribe("a", 1)
        [subscribe] = harness.sent()
        harness.receive(suback(subscribe.packet_id, [1]))
        harness.drop()
        self.assertEqual(harness.connect(session_present=True)[1:], [])
        harness.drop()
        [again] = harness.connect(session_present=False)[1:]
        self.assertEqual(again.kind, PacketType.SUBSCRIBE)

    def test_unsubscribe_while_disconnected_is_sent_on_reconnect(self) -> None:
        harness = Harness()
        harness.connect()
        harness.session.subscribe("a", 0)
        harness.receive(suback(harness.sent()[0].packet_id, [0]))
        harness.drop()
        harness.session.unsubscribe("a")
        [unsubscribe] = harness.connect(session_present=True)[1:]
        self.assertEqual(unsubscribe.kind, PacketType.UNSUBSCRIBE)
        harness.receive(ack(PacketType.UNSUBACK, unsubscribe.packet_id))
        self.assertFalse(harness.transport.disconnecting)
