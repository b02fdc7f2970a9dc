from __future__ import annotations

from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Registry, Request, endpoint
from moontwist.config.template import Template, TemplateError
from moontwist.errors import ApiError
from moontwist.services.templating import method_caller


class Printer:
    def __init__(self) -> None:
        self.scripts: list[str] = []

    @endpoint("printer.gcode.script", "POST /printer/gcode/script")
    def script(self, request: Request) -> str:
        if request.get_str("script") == "BAD":
            raise ApiError("Unknown command: BAD")
        self.scripts.append(request.get_str("script"))
        return "ok"


class CallMethodTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.printer = Printer()
        registry = Registry()
        registry.register(self.printer)
        self.context: dict[str, Any] = {"call_method": method_caller(registry)}

    def test_do_call_method_reaches_the_registry(self) -> None:
        template = Template("{% do call_method('printer.gcode.script', script='G28') %}done", is_async=True)
        self.assertEqual(self.successResultOf(template.render_async(self.context)), "done")
        self.assertEqual(self.printer.scripts, ["G28"])

    def test_arguments_may_be_given_as_a_dict(self) -> None:
        template = Template("{% do call_method('printer.gcode.script', {'script': 'M84'}) %}", is_async=True)
        self.successResultOf(template.render_async(self.context))
        self.assertEqual(self.printer.scripts, ["M84"])

    def test_a_failing_method_fails_the_render(self) -> None:
        template = Template("{% do call_method('printer.gcode.script', script='BAD') %}", is_async=True)
        failure = self.failureResultOf(template.render_async(self.context), TemplateError)
        self.assertIn("Unknown command: BAD", str(failure.value))
