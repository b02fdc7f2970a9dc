"""Moonraker-style Jinja2 templates rendered in a coroutine, awaiting Deferreds, without asyncio."""

from __future__ import annotations

from twisted.internet.defer import Deferred, succeed
from twisted.trial.unittest import SynchronousTestCase

from moontwist.errors import ApiError
from moontwist.jinja import AsyncTemplate, TemplateSyntaxError, environment


class JinjaTests(SynchronousTestCase):
    def render(self, source: str, **context: object) -> str:
        template = AsyncTemplate(environment({"plug": {"key": "k1"}}, is_async=True), source)
        return self.successResultOf(Deferred.fromCoroutine(template.render(context)))

    def test_braces_are_expressions_and_secrets_fromjson_and_do_are_there(self) -> None:
        self.assertEqual(self.render("{ secrets.plug.key }-{ ('{\"a\": 2}' | fromjson).a }"), "k1-2")
        items: list[int] = []
        self.assertEqual(self.render("{% do items.append(3) %}{ items }", items=items), "[3]")

    def test_a_called_deferred_is_awaited(self) -> None:
        self.assertEqual(self.render("{ fetch() }", fetch=lambda: succeed("on")), "on")

    def test_raise_error_keeps_its_status_and_other_failures_are_500(self) -> None:
        template = AsyncTemplate(environment({}, is_async=True), "{ raise_error('nope', 409) }")
        error = self.failureResultOf(Deferred.fromCoroutine(template.render({})), ApiError).value
        self.assertEqual((error.status, error.message), (409, "nope"))
        template = AsyncTemplate(environment({}, is_async=True), "{ 1 // 0 }")
        error = self.failureResultOf(Deferred.fromCoroutine(template.render({})), ApiError).value
        self.assertEqual(error.status, 500)

    def test_a_syntax_error_says_where(self) -> None:
        error = self.assertRaises(TemplateSyntaxError, AsyncTemplate, environment({}), "ok\n{% if %}")
        self.assertIn("line 2", str(error))
