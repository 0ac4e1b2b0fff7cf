"""The console transport on real pipes: commands in, plain-text replies and alerts out."""
from __future__ import annotations

import asyncio
import io
import os

from bot.access import guarded
from bot.reply import Reply, Section
from bot.settings import BotSettings
from bot.transports.console import ConsoleTransport
from tests.helpers.chat_harness import RecordingHandler, run
from tests.helpers.waiting import wait_until_async


def test_a_command_from_a_pipe_is_answered_and_alerts_are_printed(chat_errors):
    handler = RecordingHandler(Reply("Missed signage points", [Section("last 24h", ["h-1  3"], monospace=True)]))
    output = io.StringIO()
    read_fd, write_fd = os.pipe()

    async def scenario():
        with open(read_fd, encoding="utf-8") as stdin, open(write_fd, "w", encoding="utf-8") as writer:
            transport = ConsoleTransport(stdin, output)
            await transport.start(guarded(handler, BotSettings()))
            writer.write("\nmissed 24h\n")
            writer.flush()
            await wait_until_async(lambda: "h-1  3" in output.getvalue(), 10,
                                   lambda: f"'h-1  3' printed; got {output.getvalue()!r}", interval=0.02)
            writer.close()                      # end of input: the console keeps printing alerts
            await transport.send_alert(Reply.text("Disk lost", "farmer-1 /mnt/d7", severity="critical"))
            await transport.stop()

    run(scenario())
    assert output.getvalue() == "Missed signage points\nlast 24h:\n  h-1  3\n[CRITICAL] Disk lost\nfarmer-1 /mnt/d7\n"
    (incoming,) = handler.received
    assert (incoming.transport, incoming.text, incoming.is_admin) == ("console", "/missed 24h", True)


def test_without_stdin_only_alerts_are_printed(chat_errors):
    handler = RecordingHandler()

    async def scenario(stdin) -> str:
        output = io.StringIO()
        transport = ConsoleTransport(stdin, output)
        await transport.start(handler)
        await asyncio.sleep(0.1)                 # an empty stdin must not end or break anything
        await transport.send_alert(Reply.text("Harvester back", severity="ok"))
        await transport.stop()
        return output.getvalue()

    with open(os.devnull, encoding="utf-8") as empty:
        assert run(scenario(empty)) == "[OK] Harvester back\n"
    closed = io.StringIO()
    closed.close()
    assert run(scenario(closed)) == "[OK] Harvester back\n"
    assert handler.received == []


def test_the_console_is_refused_nothing_but_admin_can_be_switched_off(chat_errors):
    handler = RecordingHandler()
    settings = BotSettings()
    settings.console.admin = False
    output = io.StringIO()
    read_fd, write_fd = os.pipe()

    async def scenario():
        with open(read_fd, encoding="utf-8") as stdin, open(write_fd, "w", encoding="utf-8") as writer:
            transport = ConsoleTransport(stdin, output)
            await transport.start(guarded(handler, settings))
            writer.write("/sql select 1\n")
            writer.flush()
            await wait_until_async(lambda: "Farm OK" in output.getvalue(), 10,
                                   lambda: f"'Farm OK' printed; got {output.getvalue()!r}", interval=0.02)
            await transport.stop()

    run(scenario())
    (incoming,) = handler.received
    assert (incoming.text, incoming.is_admin) == ("/sql select 1", False)
