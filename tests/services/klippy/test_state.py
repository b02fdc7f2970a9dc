"""The Klippy state machine, fed events directly."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.klippy.state import Effect, KlippyStateMachine


class StateMachineTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.machine = KlippyStateMachine()

    def test_starts_disconnected(self) -> None:
        self.assertEqual(self.machine.state, "disconnected")
        self.assertFalse(self.machine.connected)

    def test_connection_means_startup_until_initialised_whatever_klippy_says(self) -> None:
        self.assertEqual(self.machine.connection_made(), [Effect.STATE_CHANGED])
        self.assertEqual(self.machine.klippy_reported("ready"), [])
        self.assertEqual(self.machine.state, "startup")
        self.assertEqual(self.machine.initialisation_done(), [Effect.STATE_CHANGED, Effect.READY])
        self.assertEqual(self.machine.state, "ready")

    def test_initialised_in_error_is_not_ready(self) -> None:
        self.machine.connection_made()
        self.machine.klippy_reported("error")
        self.assertEqual(self.machine.initialisation_done(), [Effect.STATE_CHANGED])
        self.assertEqual(self.machine.state, "error")

    def test_initialised_in_shutdown_announces_shutdown(self) -> None:
        self.machine.connection_made()
        self.machine.klippy_reported("shutdown")
        self.assertEqual(self.machine.initialisation_done(), [Effect.STATE_CHANGED, Effect.SHUTDOWN])

    def test_ready_then_shutdown(self) -> None:
        self.machine.connection_made()
        self.machine.klippy_reported("ready")
        self.machine.initialisation_done()
        self.assertEqual(self.machine.klippy_reported("shutdown"), [Effect.STATE_CHANGED, Effect.SHUTDOWN])
        self.assertEqual(self.machine.state, "shutdown")

    def test_error_then_shutdown(self) -> None:
        self.machine.connection_made()
        self.machine.klippy_reported("error")
        self.machine.initialisation_done()
        self.assertEqual(self.machine.klippy_reported("shutdown"), [Effect.STATE_CHANGED, Effect.SHUTDOWN])

    def test_no_way_back_from_shutdown_without_a_restart(self) -> None:
        self.machine.connection_made()
        self.machine.klippy_reported("shutdown")
        self.machine.initialisation_done()
        self.assertEqual(self.machine.klippy_reported("ready"), [])
        self.assertEqual(self.machine.state, "shutdown")

    def test_same_state_again_is_no_change(self) -> None:
        self.machine.connection_made()
        self.machine.klippy_reported("ready")
        self.machine.initialisation_done()
        self.assertEqual(self.machine.klippy_reported("ready"), [])

    def test_unknown_state_is_ignored(self) -> None:
        self.machine.connection_made()
        self.assertEqual(self.machine.klippy_reported("exploded"), [])
        self.assertEqual(self.machine.reported, "startup")

    def test_loss_resets_everything(self) -> None:
        self.machine.connection_made()
        self.machine.klippy_reported("ready")
        self.machine.initialisation_done()
        self.assertEqual(self.machine.connection_lost(), [Effect.STATE_CHANGED, Effect.DISCONNECTED])
        self.assertEqual((self.machine.state, self.machine.reported, self.machine.initialised),
                         ("disconnected", "startup", False))

    def test_loss_during_startup_is_announced(self) -> None:
        self.machine.connection_made()
        self.assertEqual(self.machine.connection_lost(), [Effect.STATE_CHANGED, Effect.DISCONNECTED])

    def test_events_without_a_connection_do_nothing(self) -> None:
        self.assertEqual(self.machine.connection_lost(), [])
        self.assertEqual(self.machine.klippy_reported("ready"), [])
        self.assertEqual(self.machine.initialisation_done(), [])
