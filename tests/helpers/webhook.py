"""A tiny JSON webhook on 127.0.0.1, for Apprise's json:// URLs: records every POST, can answer the
next ones with an error, and can hold its answers (a send in flight) until the test releases them."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Webhook:
    port: int = 0
    received: list[dict] = field(default_factory=list)    # every POST body, failed ones included
    accepted: list[dict] = field(default_factory=list)    # the ones answered 200
    failing: list[int] = field(default_factory=list)      # statuses for the next POSTs (500: a broken service)

    def __post_init__(self) -> None:
        self.open = asyncio.Event()          # cleared: POSTs are recorded, then wait for their answer
        self.open.set()
        self._runner: web.AppRunner | None = None

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def titles(self, accepted_only: bool = True) -> list[str]:
        return [body["title"] for body in (self.accepted if accepted_only else self.received)]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.open.set()
        if self._runner:
            await self._runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        self.received.append(body)
        await self.open.wait()
        if self.failing:
            return web.Response(status=self.failing.pop(0), text="broken")
        self.accepted.append(body)
        return web.json_response({"ok": True})
