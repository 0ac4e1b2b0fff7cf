"""Alerts to Apprise URLs (Pushover, ntfy, Slack, email, Matrix, Gotify, JSON webhooks ...): each URL is
a destination with its own least severity, fed by the same outbox as the chats (sent once, retried
with backoff, never lost). Alerts only: Apprise services cannot ask anything back.

Apprise's notify blocks (HTTP, SMTP): it runs on a worker thread of the transport's own, never on the
event loop nor on asyncio's default threads (which resolve the chats' host names). A send that has no
answer within SEND_TIMEOUT fails (its URL's `rto` or a trickling server can keep notify going for
minutes); its thread is left to finish, and until it has, that URL's next sends fail at once instead
of piling up threads. Each URL has an Apprise object of its own, so each delivery succeeds or fails
on its own and is recorded on its own. URLs hold secrets (tokens, passwords): logs and /test name them through `masked`.
"""
from __future__ import annotations

import asyncio
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Sequence

import apprise

from bot import render
from bot.reply import Reply
from bot.transports.base import CommandHandler, ConfiguredTransport, Destination, TransportError
from bot.transports.settings import AppriseURL

NOTIFY_TYPE = {"critical": apprise.NotifyType.FAILURE, "warning": apprise.NotifyType.WARNING,
               "info": apprise.NotifyType.INFO, "ok": apprise.NotifyType.SUCCESS}
_QUERY = re.compile(r"\?.*$")
SEND_TIMEOUT = 15.0     # seconds one notify may take before the send counts as failed (and is retried)


def known_url(url: str) -> bool:
    """Does Apprise know this URL's service (and can it read the URL)?"""
    return apprise.Apprise.instantiate(url, suppress_exceptions=True) is not None


def masked(url: str) -> str:
    """The URL with its secrets hidden ("pover://u...0@a...0/"), as Apprise masks each service's own
    tokens and passwords; options after "?" are left out. A URL Apprise cannot read keeps only its
    scheme."""
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is not None:
        return _QUERY.sub("", plugin.url(privacy=True))
    return url.partition("://")[0] + "://***"


class AppriseTransport(ConfiguredTransport):
    name = "apprise"

    def __init__(self, urls: Sequence[AppriseURL]) -> None:
        super().__init__()
        self._destinations = [Destination(self.name, u.url, min_severity=u.min_severity,
                                          label=f"apprise {masked(u.url)}") for u in urls]
        self._apprise: dict[str, apprise.Apprise] = {}     # by URL: one object each, so each is recorded alone
        self._threads: ThreadPoolExecutor | None = None
        self._in_flight: dict[str, Future] = {}            # by URL: its last notify, maybe still running

    async def start(self, handler: CommandHandler) -> None:
        """Nothing to connect: each notify opens its own connection."""
        for destination in self._destinations:
            notifier = apprise.Apprise()
            if not notifier.add(destination.address):
                raise TransportError(f"{destination.name}: Apprise cannot read this URL")
            self._apprise[destination.address] = notifier
        self._threads = ThreadPoolExecutor(max_workers=max(1, len(self._destinations)), thread_name_prefix="apprise")

    async def send_to(self, destination: Destination, reply: Reply) -> None:
        notifier = self._apprise.get(destination.address)
        if notifier is None or self._threads is None:
            raise TransportError(f"{destination.name}: not started")
        previous = self._in_flight.get(destination.address)
        if previous is not None and not previous.done():
            raise TransportError(f"{destination.name}: the previous send has still no answer")
        # the title line apart (Apprise shows it as the title); no buttons: nothing can press them there
        body = render.plain(replace(reply, buttons=[])).partition("\n")[2] or reply.title
        notify = self._threads.submit(notifier.notify, body=body, title=reply.title,
                                      notify_type=NOTIFY_TYPE.get(reply.severity or "info", apprise.NotifyType.INFO))
        self._in_flight[destination.address] = notify
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                sent = await asyncio.wrap_future(notify)
        except TimeoutError:
            self.health.failed(f"{destination.name}: no answer")
            raise TransportError(f"no answer within {SEND_TIMEOUT:g} s") from None
        if not sent:
            self.health.failed(f"{destination.name} refused the alert")
            raise TransportError("the service did not accept the alert (Apprise's log line above says why)")
        self.health.succeeded()

    async def stop(self) -> None:
        self._apprise.clear()
        if self._threads is not None:       # a notify still running ends by its own socket timeouts
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None
