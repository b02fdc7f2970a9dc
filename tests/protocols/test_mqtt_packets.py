"""MQTT packet encoding and decoding, byte for byte."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.protocols.mqtt_packets import (
    MQTT_5,
    MQTT_31,
    MQTT_311,
    Ack,
    ConnAck,
    MalformedPacket,
    PacketReader,
    PacketType,
    Property,
    Publish,
    SubAck,
    Will,
    decode,
    encode_connect,
    encode_properties,
    encode_publish,
    encode_varint,
)


class VarintTests(SynchronousTestCase):
    def test_boundaries_take_one_to_four_bytes(self) -> None:
        self.assertEqual(encode_varint(0), b"\x00")
        self.assertEqual(encode_varint(127), b"\x7f")
        self.assertEqual(encode_varint(128), b"\x80\x01")
        self.assertEqual(encode_varint(16_383), b"\xff\x7f")
        self.assertEqual(encode_varint(268_435_455), b"\xff\xff\xff\x7f")

    def test_too_large_is_refused(self) -> None:
        self.assertRaises(ValueError, encode_varint, 268_435_456)


class ConnectTests(SynchronousTestCase):
    def test_mqtt_311_connect_with_credentials_and_will(self) -> None:
        data = encode_connect(MQTT_311, "printer", 60, False, username="u", password="p",
                              will=Will("t", b"off", qos=1, retain=True))
        body = (b"\x00\x04MQTT\x04" + bytes([0x80 | 0x40 | 0x20 | 0x08 | 0x04]) + b"\x00\x3c"
                + b"\x00\x07printer" + b"\x00\x01t" + b"\x00\x03off" + b"\x00\x01u" + b"\x00\x01p")
        self.assertEqual(data, b"\x10" + bytes([len(body)]) + body)

    def test_mqtt_31_uses_its_own_protocol_name_and_level(self) -> None:
        data = encode_connect(MQTT_31, "c", 10, True)
        self.assertEqual(data[2:11], b"\x00\x06MQIsdp\x03")
        self.assertEqual(data[11], 0x02)

    def test_mqtt_5_connect_carries_properties(self) -> None:
        data = encode_connect(MQTT_5, "c", 10, False, properties={Property.SESSION_EXPIRY: 300})
        # name, level, flags, keepalive, then properties: length 5, id 0x11, u32 300
        self.assertEqual(data[2:18], b"\x00\x04MQTT\x05\x00\x00\x0a\x05\x11\x00\x00\x01\x2c")


class DecodeTests(SynchronousTestCase):
    def test_connack_v3_and_v5(self) -> None:
        self.assertEqual(decode(0x20, b"\x01\x00", MQTT_311), ConnAck(True, 0, {}))
        decoded = decode(0x20, b"\x00\x86\x05\x1f\x00\x02no", MQTT_5)
        self.assertEqual(decoded, ConnAck(False, 0x86, {Property.REASON_STRING: "no"}))

    def test_publish_with_qos_and_properties(self) -> None:
        data = encode_publish(MQTT_5, "a/b", b"hi", 1, True, 7,
                              properties={Property.USER_PROPERTY: [("k", "v")]})
        reader = PacketReader(1024)
        [(first, body)] = reader.feed(data)
        decoded = decode(first, body, MQTT_5)
        assert isinstance(decoded, Publish)
        self.assertEqual((decoded.topic, decoded.payload, decoded.qos, decoded.retain, decoded.packet_id),
                         ("a/b", b"hi", 1, True, 7))
        self.assertEqual(decoded.properties, {Property.USER_PROPERTY: [("k", "v")]})

    def test_acks_and_suback(self) -> None:
        self.assertEqual(decode(0x40, b"\x00\x05", MQTT_311), Ack(PacketType.PUBACK, 5, (0,), {}))
        self.assertEqual(decode(0x62, b"\x00\x05", MQTT_311), Ack(PacketType.PUBREL, 5, (0,), {}))
        self.assertEqual(decode(0x50, b"\x00\x05\x10", MQTT_5), Ack(PacketType.PUBREC, 5, (0x10,), {}))
        self.assertEqual(decode(0x90, b"\x00\x02\x01\x80", MQTT_311), SubAck(2, (1, 0x80), {}))

    def test_malformed_packets_are_refused_with_a_reason(self) -> None:
        cases = [
            (0x00, b"", "reserved packet type"),
            (0x36, b"\x00\x01a", "QoS 3"),
            (0x41, b"\x00\x01", "reserved flags"),
            (0x40, b"\x00", "shorter"),
            (0x40, b"\x00\x01\x00", "longer"),
            (0x30, b"\x00\x01#", "wildcard"),
            (0x30, b"\x00\x02\xff\xfe", "UTF-8"),
            (0x10, b"", "does not send CONNECT"),
            (0x32, b"\x00\x01a\x00\x00", "identifier 0"),
        ]
        for first, body, words in cases:
            with self.assertRaises(MalformedPacket) as caught:
                decode(first, body, MQTT_311)
            self.assertIn(words, str(caught.exception))

    def test_duplicate_property_is_a_protocol_error(self) -> None:
        properties = encode_properties({Property.REASON_STRING: "a"})[1:] * 2
        body = b"\x00\x00" + bytes([len(properties)]) + properties
        with self.assertRaises(MalformedPacket) as caught:
            decode(0x20, body, MQTT_5)
        self.assertEqual(caught.exception.reason_code, 0x82)


class PacketReaderTests(SynchronousTestCase):
    def test_packets_split_anywhere_are_joined(self) -> None:
        data = encode_publish(MQTT_311, "t", b"x" * 300, 0, False, None) * 2
        reader = PacketReader(1024)
        found = []
        for index in range(len(data)):
            found += reader.feed(data[index:index + 1])
        self.assertEqual(len(found), 2)
        self.assertEqual(found[0][1][-300:], b"x" * 300)

    def test_oversized_packet_refused_from_its_header(self) -> None:
        reader = PacketReader(100)
        with self.assertRaises(MalformedPacket) as caught:
            reader.feed(b"\x30\xff\xff\x03")
        self.assertEqual(caught.exception.reason_code, 0x95)

    def test_five_byte_length_is_malformed(self) -> None:
        with self.assertRaises(MalformedPacket):
            PacketReader(1 << 30).feed(b"\x30\xff\xff\xff\xff\x01")
