from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.config.template import TemplateError, render

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
        self.assertEqual(str(caught.exception), "'secrets.nothing' is undefined")

    def test_statements_and_filters_are_refused(self) -> None:
        for source in ("{% if x %}y{% endif %}", "{secrets.n | int}", "{ 'open"):
            with self.assertRaises(TemplateError):
                render(source, {"secrets": SECRETS})
