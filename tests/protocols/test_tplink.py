"""The TP-Link Kasa framing and XOR autokey cipher, and the one-shot client on a StringTransport."""

from __future__ import annotations

import base64

from twisted.internet.defer import CancelledError
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase

from moontwist.protocols.tplink import MAX_ANSWER, TPLinkClient, TPLinkError, decrypt, encrypt

# "Relay on" as the published tplink-smartplug tool sends it (softScheck's write-up).
RELAY_ON = base64.b64decode("AAAAKtDygfiL/5r31e+UtsWg1Iv5nPCR6LfEsNGlwOLYo4HyhueT9tTu36Lfog==")


class CipherTests(SynchronousTestCase):
    def test_encrypt_matches_the_published_relay_on_message(self) -> None:
        self.assertEqual(encrypt({"system": {"set_relay_state": {"state": 1}}}), RELAY_ON)

    def test_decrypt_reverses_encrypt(self) -> None:
        self.assertEqual(decrypt(RELAY_ON[4:]), b'{"system":{"set_relay_state":{"state":1}}}')


class ClientTests(SynchronousTestCase):
    def connect(self, message: object) -> tuple[TPLinkClient, StringTransport]:
        client = TPLinkClient(message)
        transport = StringTransport()
        client.makeConnection(transport)
        return client, transport

    def test_sends_on_connect_and_decodes_an_answer_split_across_reads(self) -> None:
        client, transport = self.connect({"system": {"get_sysinfo": {}}})
        self.assertEqual(transport.value(), encrypt({"system": {"get_sysinfo": {}}}))
        answer = encrypt({"system": {"get_sysinfo": {"relay_state": 1}}})
        client.dataReceived(answer[:3])
        client.dataReceived(answer[3:10])
        self.assertNoResult(client.answer)
        client.dataReceived(answer[10:])
        self.assertEqual(self.successResultOf(client.answer), {"system": {"get_sysinfo": {"relay_state": 1}}})
        self.assertTrue(transport.disconnecting)

    def test_a_connection_closed_early_fails_the_answer(self) -> None:
        client, transport = self.connect({})
        client.dataReceived(encrypt({"a": 1})[:6])
        client.connectionLost(None)
        self.failureResultOf(client.answer, TPLinkError)

    def test_an_oversized_or_garbled_answer_fails(self) -> None:
        client, _ = self.connect({})
        client.dataReceived((MAX_ANSWER + 1).to_bytes(4, "big"))
        self.failureResultOf(client.answer, TPLinkError)
        client, _ = self.connect({})
        client.dataReceived(b"\x00\x00\x00\x02ab")
        self.failureResultOf(client.answer, TPLinkError)

    def test_cancelling_drops_the_connection(self) -> None:
        client, transport = self.connect({})
        transport.abortConnection = lambda: setattr(transport, "aborted", True)  # type: ignore[method-assign]
        client.answer.cancel()
        self.assertTrue(getattr(transport, "aborted", False))
        self.failureResultOf(client.answer, CancelledError)
