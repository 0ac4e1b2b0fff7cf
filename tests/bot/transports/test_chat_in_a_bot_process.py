"""`teafarm bot` as a real process: Telegram against the fake Bot API, and the console on a pipe."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.helpers.chat_harness import run
from tests.helpers.fake_telegram import TOKEN, FakeTelegram
from tests.helpers.ports import free_port
from tests.helpers.paths import REPO



def write_config(tmp_path: Path, bot_section: str) -> Path:
    config = tmp_path / "config.yml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\nserver:\n  listen: 127.0.0.1:{free_port()}\n"
                      f"bot:\n{bot_section}", encoding="utf-8")
    return config


async def start_bot(config: Path, tmp_path: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "NO_PROXY": "127.0.0.1", "PYTHONPATH": str(REPO)}
    for name in ("TEAFARM_DISCORD_TOKEN", "TEAFARM_TELEGRAM_TOKEN", "TEAFARM_CONFIG"):
        env.pop(name, None)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "teafarm.cli", "bot", "--config", str(config), cwd=tmp_path, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def interrupt(process: asyncio.subprocess.Process) -> tuple[int, str, str]:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode, out.decode(), err.decode()


def test_teafarm_bot_answers_a_telegram_command(tmp_path, chat_errors):
    async def scenario():
        fake = FakeTelegram()
        await fake.start()
        config = write_config(tmp_path, f'  telegram:\n    token: "{TOKEN}"\n    api_base_url: {fake.api_base_url}\n'
                                        "    command_chat_ids: [1001]\n    alert_chat_ids: [1001]\n")
        process = await start_bot(config, tmp_path)
        try:
            await fake.wait_for_calls("setMyCommands", timeout=30)
            await fake.push_text("/help", chat_id=1001, user_id=1001)
            await fake.push_text("/help", chat_id=666, user_id=666)        # a stranger
            replies = await fake.wait_for_calls("sendMessage", 2, timeout=30)
        finally:
            result = await interrupt(process)
            await fake.stop()
        return {c.params["chat_id"]: c.shown_text for c in replies}, result

    replies, (code, _, err) = run(scenario(), timeout=60)
    assert code == 0, err
    assert "/missed" in replies[1001]
    assert replies[666].startswith("Not allowed") and "\n" not in replies[666]
    assert "Traceback" not in err and TOKEN not in err      # the token never reaches the log


def test_teafarm_bot_without_a_token_answers_on_the_console(tmp_path, chat_errors):
    async def scenario():
        process = await start_bot(write_config(tmp_path, "  console:\n    admin: true\n"), tmp_path)
        try:
            process.stdin.write(b"help\n")
            await process.stdin.drain()
            line = b""
            while b"/missed" not in line:
                line = await asyncio.wait_for(process.stdout.readline(), 30)
                assert line, "the bot's stdout ended before the reply"
        finally:
            result = await interrupt(process)
        return result

    code, _, err = run(scenario(), timeout=60)
    assert code == 0, err
    assert "Traceback" not in err
