from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.trial.unittest import SynchronousTestCase

from moontwist.config.template import Template, TemplateError, TemplateRaisedError, render

SECRETS = {"mqtt": {"user": "bob", "pass": "s3cret"}, "list": ["zero", "one"], "n": 5}


class RenderTests(SynchronousTestCase):
    def test_text_without_braces_is_returned_stripped(self) -> None:
        self.assertEqual(render("  plain text } ", {}), "plain text }")

    def test_dotted_lookup(self) -> None:
        self.assertEqual(render("{secrets.mqtt.user}:{ secrets.mqtt.pass }", {"secrets": SECRETS}), "bob:s3cret")

    def test_subscript_lookup_with_either_quote_and_index(self) -> None:
        source = """{secrets["mqtt"]['user']}-{secrets.list[1]}-{secrets.n}"""
        self.assertEqual(render(source, {"secrets": SECRETS}), "bob-one-5")

    def test_plain_name_lookup(self) -> None:
        self.assertEqual(render("{data_path}/comms/klippy.sock", {"data_path": "/d"}), "/d/comms/klippy.sock")

    def test_missing_last_key_renders_empty(self) -> None:
        self.assertEqual(render("[{secrets.mqtt.missing}]", {"secrets": SECRETS}), "[]")

    def test_lookup_inside_something_missing_is_an_error(self) -> None:
        with self.assertRaises(TemplateError) as caught:
            render("{secrets.nothing.user}", {"secrets": SECRETS})
        self.assertIn("has no attribute 'nothing'", str(caught.exception))

    def test_statements_filters_and_do_are_jinja2s(self) -> None:
        source = "{% set items = [] %}{% do items.append(secrets.n | int + 1) %}{% if items %}{items[0]}{% endif %}"
        self.assertEqual(render(source, {"secrets": SECRETS}), "6")
        self.assertEqual(render("{ ('[1, 2]' | fromjson)[1] }", {}), "2")

    def test_syntax_error_is_a_template_error(self) -> None:
        with self.assertRaises(TemplateError) as caught:
            render("{ 'open", {})
        self.assertIn("Error compiling Jinja2 template", str(caught.exception))

    def test_a_syntax_error_says_on_which_line(self) -> None:
        with self.assertRaises(TemplateError) as caught:
            Template("ok\n{% if %}")
        self.assertIn("(line 2)", str(caught.exception))

    def test_log_debug_is_there_for_do(self) -> None:
        self.assertEqual(render("{% do log_debug('pressed') %}done", {}), "done")

    def test_raise_error_carries_its_message_and_status(self) -> None:
        with self.assertRaises(TemplateRaisedError) as caught:
            render("{ raise_error('no way', 409) }", {})
        self.assertEqual((str(caught.exception), caught.exception.status), ("no way", 409))


class AsyncTemplateTests(SynchronousTestCase):
    def test_awaits_deferreds_the_template_calls(self) -> None:
        calls: list[tuple[str, dict[str, Any]]] = []
        pending: Deferred[str] = Deferred()

        def call_method(method: str, **kwargs: Any) -> Deferred[str]:
            calls.append((method, kwargs))
            return pending

        template = Template("{% set r = call_method('printer.gcode.script', script='G28') %}[{r}] {secrets.n}",
                            {"secrets": SECRETS}, is_async=True)
        rendered = template.render_async({"call_method": call_method})
        self.assertNoResult(rendered)
        pending.callback("ok")
        self.assertEqual(self.successResultOf(rendered), "[ok] 5")
        self.assertEqual(calls, [("printer.gcode.script", {"script": "G28"})])

    def test_render_error_fails_the_deferred(self) -> None:
        template = Template("{ 1 / 0 }", is_async=True)
        self.failureResultOf(template.render_async(), TemplateError)
