"""Chat speed: rendering and splitting big replies, and command round trips through the real chat
libraries against the local fakes (not part of the tests; the fakes live in tests/helpers).

    .venv/bin/python -m bench.chat [--rows 100000] [--round-trips 50]
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import time

from bot import render
from bot.reply import Reply, Section
from bot.transports.settings import DiscordSettings, TelegramSettings


def bench_render(rows: int) -> None:
    table = [f"harvester-{i:06d}  missed {i % 7:>3}  lookup {i / 10:8.1f}s  <plot & co>" for i in range(rows)]
    reply = Reply("Missed signage points", [Section("last 24h", table, monospace=True)])
    for name, messages in (("discord", render.discord_embeds), ("telegram", render.telegram_pieces)):
        start = time.perf_counter()
        pieces = messages(reply)
        elapsed = time.perf_counter() - start
        print(f"render+split {name:8s} {rows} rows: {elapsed * 1000:8.1f} ms, {len(pieces)} messages")


async def telegram_round_trips(count: int) -> list[float]:
    from bot.transports.telegram_transport import TelegramTransport
    from tests.helpers.fake_telegram import TOKEN, FakeTelegram

    fake = FakeTelegram()
    await fake.start()
    transport = TelegramTransport(TelegramSettings(token=TOKEN, api_base_url=fake.api_base_url))
    await transport.start(_answer)
    times = []
    try:
        for i in range(count):
            start = time.perf_counter()
            await fake.push_text("/farm")
            await fake.wait_for_calls("sendMessage", i + 1)
            times.append(time.perf_counter() - start)
    finally:
        await transport.stop()
        await fake.stop()
    return times


async def discord_round_trips(count: int) -> list[float]:
    from bot.transports.discord_transport import DiscordTransport
    from tests.helpers.fake_discord import TOKEN, FakeDiscord

    fake = FakeDiscord()
    await fake.start()
    transport = DiscordTransport(DiscordSettings(token=TOKEN), guild_ready_timeout=0.05)
    times = []
    with fake.patched_urls():
        try:
            await transport.start(_answer)
            for i in range(count):
                start = time.perf_counter()
                await fake.send_message("!farm")
                await fake.wait_for_calls("create_message", i + 1)
                times.append(time.perf_counter() - start)
        finally:
            await transport.stop()
            await fake.stop()
    return times


async def _answer(incoming) -> Reply:
    return Reply.text("Farm OK", "3 harvesters, 0 alerts")


def summary(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    print(f"{name:8s} command round trip over {len(times)}: median {ordered[len(ordered) // 2] * 1000:6.1f} ms, "
          f"max {ordered[-1] * 1000:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--round-trips", type=int, default=50)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    bench_render(args.rows)
    summary("telegram", asyncio.run(telegram_round_trips(args.round_trips)))
    summary("discord", asyncio.run(discord_round_trips(args.round_trips)))


if __name__ == "__main__":
    main()
