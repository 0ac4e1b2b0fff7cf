"""The chia daemon's websocket: register as a service and hand each event to the chia services that
handle it (their `events()`).

Service name: chia's farmer sends its state changes (farmer_rpc_api._state_changed) to two
destinations, "wallet_ui" (the GUI) and "metrics". "metrics" receives every farming event we use
(new_signage_point, new_farming_info, harvester_update, harvester_removed, proof, submitted_partial,
add_connection, close_connection) and none of the wallet's or keyring's GUI traffic; the one event it
lacks, failed_partial, is read from the farmer's pool state instead (pool_errors and invalid partials
carry their time). The daemon keeps several sockets per name, so a chia exporter running beside us is
not disturbed.

The connection is retried with backoff forever: chia restarts, upgrades and machines without chia are
normal, and are logged once per change, not per attempt.
"""
from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
import uuid
from collections.abc import Callable, Sequence

import aiohttp

from monitor.client.chia.chia_root import ChiaRoot
from monitor.client.chia.coverage import Coverage
from monitor.client.chia.services.base import ChiaService, EventHandler

log = logging.getLogger(__name__)

SERVICE_NAME = "metrics"


class DaemonListener:
    def __init__(self, root_loader: Callable[[], ChiaRoot], services: Sequence[ChiaService],
                 retry_max: float = 30.0, clock: Callable[[], float] = time.time) -> None:
        self._root_loader = root_loader          # re-read on every attempt: ports and certs may change
        self._services = services
        self._routes: dict[str, list[EventHandler]] = {}
        for service in services:
            for command, handler in service.events().items():
                self._routes.setdefault(command, []).append(handler)
        self._retry_max = retry_max
        self._clock = clock
        self.connected = False
        self.answered = False      # the first attempt is over: until then its state is unknown, not "stopped"
        self.heard = Coverage()    # while registered, every farmer event (a proof) reached us

    async def run(self) -> None:
        """Listen until cancelled."""
        delay = 1.0
        last_problem = ""
        while True:
            root = self._root_loader()
            problem = "chia not installed" if not root.installed else ""
            self.answered = self.answered or bool(problem)
            if not problem:
                try:
                    await self._listen(root)
                    problem, delay = "daemon closed the connection", 1.0
                except (aiohttp.ClientError, OSError, ssl.SSLError, asyncio.TimeoutError, ValueError) as exc:
                    problem = f"daemon not reachable on port {root.rpc_port('daemon')} ({exc.__class__.__name__})"
                except Exception as exc:  # never let the feed die for good: log it once, retry
                    problem = f"unexpected {exc.__class__.__name__}: {exc}"
                    if problem != last_problem:
                        log.exception("chia daemon events: %s", problem)
                finally:
                    self._set_connected(False)
            if problem != last_problem:
                log.info("chia daemon events: %s; retrying", problem)
                last_problem = problem
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._retry_max)

    def _set_connected(self, up: bool) -> None:
        self.answered = True
        if up != self.connected:
            self.connected = up
            if up:  # events may have been lost while we were away: every service asks again
                self.heard.begin(self._clock())
                for service in self._services:
                    service.reconnected()
            else:
                self.heard.end(self._clock())

    async def _listen(self, root: ChiaRoot) -> None:
        context = root.ssl_context("daemon")
        url = f"wss://{root.hostname}:{root.rpc_port('daemon')}"
        async with aiohttp.ClientSession() as session:
            # heartbeat: notice a daemon that died without closing the socket
            async with session.ws_connect(url, ssl=context, heartbeat=30, max_msg_size=64 * 1024 * 1024) as ws:
                await ws.send_str(json.dumps({
                    "command": "register_service", "data": {"service": SERVICE_NAME}, "ack": False,
                    "origin": SERVICE_NAME, "destination": "daemon", "request_id": uuid.uuid4().hex}))
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    self._dispatch(message.data)

    def _dispatch(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            log.debug("chia daemon sent something that is not JSON; ignored")
            return
        if not isinstance(message, dict):
            return
        command, data = message.get("command"), message.get("data")
        if command == "register_service":
            registered = isinstance(data, dict) and data.get("success") is True
            self._set_connected(registered)
            if registered:
                log.info("chia daemon events: registered as %r", SERVICE_NAME)
            return
        if not isinstance(command, str) or not isinstance(data, dict):
            return
        for handler in self._routes.get(command, ()):
            try:
                handler(data)
            except Exception:  # one odd payload must never stop the feed
                log.exception("chia daemon event %s could not be handled; ignored", command)
