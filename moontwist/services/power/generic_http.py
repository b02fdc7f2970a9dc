"""``http``: any HTTP switch, described by templates (Moonraker's "generic HTTP" device).

``on_url``, ``off_url`` and ``status_url`` are rendered once at start-up. For
each request, the optional ``request_template`` drives ``http_request`` (set the
method, body, headers; ``send()``), otherwise the command's URL is fetched
with GET; then ``response_template`` must render ``on`` or ``off``. Templates
see ``command``, ``http_request``, ``async_sleep`` and ``urls``, as in Moonraker.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater

from moontwist.config.template import Template, TemplateError, TemplateRaisedError
from moontwist.services.power.http_devices import HttpAnswer, HttpCaller
from moontwist.services.power.reachable import DeviceUnreachable, ReachableDevice

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.power.service import PowerService


class TemplateResponse:
    """What ``http_request.send()`` and ``last_response()`` give a template (Moonraker's HttpResponse)."""

    def __init__(self, answer: HttpAnswer) -> None:
        self._answer = answer
        self.url = self.final_url = answer.url
        self.status_code = answer.code
        self.headers = answer.headers
        self.content = answer.content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)

    def has_error(self) -> bool:
        return not 200 <= self.status_code < 300

    def raise_for_status(self, message: str | None = None) -> None:
        if self.has_error():
            raise TemplateRaisedError(message or f"HTTP Request Error: {self.url}", self.status_code)


class TemplateRequest:
    """``http_request`` in a template: a GET of the command's URL unless the template changes it."""

    def __init__(self, caller: HttpCaller, url: str, auth: tuple[str, str] | None) -> None:
        self._caller = caller
        self._auth = auth
        self._defaults: dict[str, Any] = {"method": "GET", "url": url}
        self._args = copy.deepcopy(self._defaults)
        self._last: TemplateResponse | None = None

    def send(self, **overrides: Any) -> "Deferred[TemplateResponse]":
        args = {**copy.deepcopy(self._args), **overrides}
        return Deferred.fromCoroutine(self._send(args))

    async def _send(self, args: dict[str, Any]) -> TemplateResponse:
        answer = await self._caller.call(args.pop("method", "GET").upper(), args.pop("url"), args.get("body"),
                                         args.get("headers"), self._auth)
        self._last = TemplateResponse(answer)
        return self._last

    def set_method(self, method: str) -> None:
        self._args["method"] = method

    def set_url(self, url: str) -> None:
        self._args["url"] = url

    def set_body(self, body: Any) -> None:
        self._args["body"] = body

    def add_header(self, name: str, value: str) -> None:
        self._args.setdefault("headers", {})[name] = value

    def set_headers(self, headers: dict[str, str]) -> None:
        self._args["headers"] = dict(headers)

    def reset(self) -> None:
        self._args = copy.deepcopy(self._defaults)

    def last_response(self) -> TemplateResponse | None:
        return self._last


class GenericHttp(ReachableDevice):
    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        options = self.options
        self.urls = {"on": options["on_url"], "off": options["off_url"], "status": options["status_url"]}
        # Basic auth when both are set.
        user: str = options["user"]
        password: str = options["password"]
        self.request_template: Template | None = options["request_template"]
        self.response_template: Template = options["response_template"]
        self.auth = (user, password) if user and password else None
        self.http = HttpCaller(self)

    async def _request(self, command: str) -> str:
        request = TemplateRequest(self.http, self.urls[command], self.auth)
        context = {"command": command, "http_request": request, "urls": dict(self.urls),
                   "async_sleep": lambda seconds: deferLater(self.reactor, seconds, lambda: None)}
        try:
            if self.request_template is not None:
                await self.request_template.render_async(context)
                response = request.last_response()
                if response is None:
                    raise DeviceUnreachable("Failed to receive a response")
            else:
                response = await request.send()
            response.raise_for_status()
            result = (await self.response_template.render_async(context)).lower()
        except TemplateError as error:
            raise DeviceUnreachable(str(error)) from None
        if result not in ("on", "off"):
            raise DeviceUnreachable(f"Invalid result: {result}")
        return result

    async def read_state(self) -> str:
        return await self._request("status")

    async def write_state(self, state: str) -> str:
        return await self._request(state)
