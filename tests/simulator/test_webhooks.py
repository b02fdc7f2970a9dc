"""Endpoints, request parsing and the exact error messages of Klippy's API server."""

from __future__ import annotations

import os

from moontwist.simulator.host import MESSAGE_SHUTDOWN

from .support import SimulatorTestCase


class RequestParsingTests(SimulatorTestCase):
    def test_malformed_requests_are_dropped_without_reply_and_connection_stays(self) -> None:
        for raw in (b"not json", b"[1,2]", b'{"id":1}', b'{"id":1,"method":5}', b'{"id":1,"method":"info","params":[]}',
                    b'{"id":1,"method":"info","params":null}', b"\xff\xfe"):
            self.client.send_raw(raw + b"\x03")
        self.assertEqual(self.client.messages(), [])
        self.assertFalse(self.client.closed)
        self.assertEqual(self.client.result(self.client.request("info"))["state"], "ready")

    def test_request_without_id_or_with_null_id_is_executed_but_not_answered(self) -> None:
        self.client.send({"method": "gcode/script", "params": {"script": "M117 first"}})
        self.client.send({"id": None, "method": "gcode/script", "params": {"script": "FOO"}})
        self.assertEqual(self.client.output(), ['// Unknown command:"FOO"'])
        self.assertEqual(self.client.messages(), [])
        self.assertEqual(self.query({"display_status": ["message"]})["display_status"], {"message": "first"})

    def test_string_and_float_ids_are_echoed_and_params_may_be_omitted(self) -> None:
        self.client.send({"id": "abc", "method": "objects/list"})
        self.client.send({"id": 2.5, "method": "gcode/help"})
        ids = [message["id"] for message in self.client.messages()]
        self.assertEqual(ids, ["abc", 2.5])

    def test_messages_split_across_reads_and_batched_in_one_read_are_all_handled(self) -> None:
        data = b'{"id":1,"method":"info"}\x03{"id":2,"method":"objects/list"}\x03{"id":3,"meth'
        self.client.send_raw(data)
        self.client.send_raw(b'od":"gcode/help"}\x03')
        self.assertEqual([message["id"] for message in self.client.messages()], [1, 2, 3])


class ErrorMessageTests(SimulatorTestCase):
    def test_unknown_method_names_the_path(self) -> None:
        self.assertEqual(
            self.client.error(self.client.request("foo/bar")), "webhooks: No registered callback for path 'foo/bar'"
        )

    def test_missing_required_argument(self) -> None:
        self.assertEqual(self.client.error(self.client.request("gcode/script")), "Missing Argument [script]")
        self.assertEqual(self.client.error(self.client.request("objects/query")), "Missing Argument [objects]")

    def test_argument_of_wrong_json_type(self) -> None:
        self.assertEqual(self.client.error(self.client.request("gcode/script", script=5)), "Invalid Argument Type [script]")
        request_id = self.client.request("register_remote_method", response_template=[], remote_method="x")
        self.assertEqual(self.client.error(request_id), "Invalid Argument Type [response_template]")
        self.assertEqual(self.client.error(self.client.request("info", client_info="me")), "Invalid Argument Type [client_info]")

    def test_malformed_objects_argument(self) -> None:
        for objects in ({"toolhead": "position"}, {"toolhead": [1]}, {"toolhead": {}}):
            self.assertEqual(self.client.error(self.client.request("objects/query", objects=objects)), "Invalid argument")

    def test_gcode_error_is_printed_then_returned(self) -> None:
        request_id = self.run_script("G1 X10")
        self.assertEqual(self.client.output(), ["!! Must home axis first: 10.000 0.000 0.000 [0.000]"])
        self.assertEqual(self.client.error(request_id), "Must home axis first: 10.000 0.000 0.000 [0.000]")

    def test_first_failing_line_aborts_the_rest_of_the_script(self) -> None:
        request_id = self.run_script("M117 before\nG1 X10\nM117 after")
        self.client.error(request_id)
        self.assertEqual(self.query({"display_status": ["message"]})["display_status"]["message"], "before")


class InfoAndListingTests(SimulatorTestCase):
    def test_info_reports_state_and_host_details(self) -> None:
        info = self.client.result(self.client.request("info", client_info={"program": "Moonraker"}))
        self.assertEqual(info["state"], "ready")
        self.assertEqual(info["state_message"], "Printer is ready")
        self.assertEqual(info["process_id"], os.getpid())
        for key in ("hostname", "klipper_path", "python_path", "user_id", "group_id", "log_file",
                    "config_file", "software_version", "cpu_info"):
            self.assertIn(key, info)

    def test_list_endpoints_starts_with_the_early_endpoints_in_registration_order(self) -> None:
        endpoints = self.client.result(self.client.request("list_endpoints"))["endpoints"]
        self.assertEqual(endpoints[:12], [
            "list_endpoints", "info", "emergency_stop", "register_remote_method", "gcode/help", "gcode/script",
            "gcode/restart", "gcode/firmware_restart", "gcode/subscribe_output", "objects/list",
            "objects/query", "objects/subscribe",
        ])
        for name in ("query_endstops/status", "pause_resume/pause", "pause_resume/resume", "pause_resume/cancel"):
            self.assertIn(name, endpoints)

    def test_objects_list_names_every_object_with_a_status(self) -> None:
        objects = self.client.result(self.client.request("objects/list"))["objects"]
        self.assertEqual(objects[:3], ["gcode", "webhooks", "configfile"])
        for name in ("toolhead", "gcode_move", "motion_report", "extruder", "heater_bed", "fan", "idle_timeout",
                     "print_stats", "virtual_sdcard", "pause_resume", "display_status", "system_stats",
                     "query_endstops", "temperature_sensor raspberry_pi", "heaters", "stepper_enable", "mcu",
                     "gcode_macro START_PRINT", "heater_fan hotend_fan", "manual_probe"):
            self.assertIn(name, objects)
        self.assertNotIn("homing", objects)

    def test_gcode_help_lists_commands_with_help_text(self) -> None:
        help_text = self.client.result(self.client.request("gcode/help"))
        self.assertEqual(help_text["SDCARD_PRINT_FILE"],
                         "Loads a SD file and starts the print.  May include files in subdirectories.")
        self.assertEqual(help_text["START_PRINT"], "Home, heat and prime before a print")
        self.assertNotIn("G1", help_text)

    def test_configfile_has_raw_config_typed_settings_and_warnings(self) -> None:
        status = self.query({"configfile": None})["configfile"]
        self.assertEqual(status["config"]["virtual_sdcard"]["path"], self.gcodes)
        self.assertEqual(status["config"]["printer"]["max_velocity"], "300")
        self.assertEqual(status["settings"]["printer"]["max_velocity"], 300.0)
        self.assertEqual(status["settings"]["extruder"]["min_extrude_temp"], 170.0)
        self.assertEqual(status["settings"]["gcode_macro start_print"]["description"],
                         "Home, heat and prime before a print")
        self.assertEqual(status["warnings"], [])
        self.assertIs(status["save_config_pending"], False)


class RemoteMethodTests(SimulatorTestCase):
    def test_macro_calls_the_remote_method_on_every_registered_connection(self) -> None:
        other = self.connect()
        for client in (self.client, other):
            client.result(client.request("register_remote_method", remote_method="paneldue_beep",
                                         response_template={"method": "paneldue_beep"}))
        self.script_ok("BEEP")
        expected = [{"frequency": 300, "duration": 1.0}]
        self.assertEqual(self.client.pushes("paneldue_beep"), expected)
        self.assertEqual(other.pushes("paneldue_beep"), expected)

    def test_remote_method_registration_dies_with_its_connection(self) -> None:
        self.client.result(self.client.request("register_remote_method", remote_method="set_device_power",
                                               response_template={"method": "set_device_power"}))
        self.client.protocol.connectionLost()
        other = self.connect()
        self.assertEqual(other.result(self.run_script("POWER_OFF_PRINTER", other)), {})
        self.assertEqual(other.messages(), [])
        self.assertNotIn("set_device_power", self.printer.host.webhooks.remote_methods)

    def test_unregistered_remote_method_is_ignored_like_klippy(self) -> None:
        self.script_ok("POWER_OFF_PRINTER")


class OutputSubscriptionTests(SimulatorTestCase):
    def test_output_goes_only_to_subscribed_connections_with_their_template(self) -> None:
        quiet = self.connect(subscribe_output=False)
        other_template = self.connect(subscribe_output=False)
        other_template.result(other_template.request("gcode/subscribe_output", response_template={"method": "x", "k": 1}))
        self.script_ok("M118 hello")
        self.assertEqual(self.client.output(), ["echo: hello"])
        self.assertEqual(other_template.messages(), [{"method": "x", "k": 1, "params": {"response": "echo: hello"}}])
        self.assertEqual(quiet.messages(), [])


class EmergencyStopTests(SimulatorTestCase):
    def test_emergency_stop_answers_and_shuts_the_printer_down(self) -> None:
        request_id = self.client.request("emergency_stop")
        self.assertEqual(self.client.output(), ["// Klipper state: Shutdown"])
        self.assertEqual(self.client.result(request_id), {})
        webhooks = self.query({"webhooks": None})["webhooks"]
        self.assertEqual(webhooks, {"state": "shutdown",
                                    "state_message": "Shutdown due to webhooks request" + MESSAGE_SHUTDOWN})

    def test_after_shutdown_m118_and_m105_work_but_moves_fail_with_the_state_message(self) -> None:
        self.client.request("emergency_stop")
        self.client.messages()
        self.script_ok("M118 still here\nM105")
        self.assertEqual(self.client.output(), ["echo: still here", "B:25.0 /0.0 T0:25.0 /0.0"])
        message = self.client.error(self.run_script("G28"))
        self.assertEqual(message, "Shutdown due to webhooks request" + MESSAGE_SHUTDOWN)
        output = self.client.output()
        self.assertEqual(output[-1], "!! Shutdown due to webhooks request")
        self.assertTrue(output[0].startswith("// Shutdown due to webhooks request\n// Once the underlying"))
