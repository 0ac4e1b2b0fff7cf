"""Chia's log level is followed while the client runs (issue 14, point 8): a change of config.yaml
is noticed at the next snapshot, said once in the client's log, and carried by log health."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from monitor.client.chia.logs.collector import ChiaLogCollector
from monitor.client.chia.logs.health import hides_info
from protocol import events_pb2


def write_level(root: Path, level: str, edit: int = 0) -> None:
    """config.yaml with this level; each edit a different size (a file system may keep mtime in seconds)."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "config.yaml").write_text(f"# edit {'x' * edit}\nlogging:\n  log_level: {level}\n  log_stdout: false\n")


def test_a_log_level_changed_while_the_client_runs_is_noticed(tmp_path: Path, caplog) -> None:
    root = tmp_path / "chia"
    write_level(root, "INFO")
    collector = ChiaLogCollector(tmp_path / "debug.log", tmp_path / "state.json", chia_root=root)

    async def levels() -> list[set[str]]:
        seen = []
        await collector.start()
        for edit, level in enumerate(("INFO", "ERROR", "ERROR", "DEBUG")):
            write_level(root, level, edit)
            snapshot = events_pb2.ComputerInfo()
            await collector.collect(snapshot)
            seen.append({m.chia_log_level for m in snapshot.log_health})
        await collector.stop()
        return seen

    with caplog.at_level(logging.INFO):
        assert asyncio.run(levels()) == [{"INFO"}, {"ERROR"}, {"ERROR"}, {"DEBUG"}]
    said = [r.getMessage() for r in caplog.records if "log level" in r.getMessage() or "log_level" in r.getMessage()]
    assert len(said) == 2, said                            # once for ERROR, once for DEBUG; nothing for INFO at start
    assert "chia logs at ERROR" in said[0] and "chia configure --log-level INFO" in said[0]
    assert "chia's log level is now DEBUG" in said[1]


def test_every_level_above_info_hides_what_teafarm_reads() -> None:
    assert [level for level in ("DEBUG", "INFO", "WARNING", "warn", "ERROR", "CRITICAL", "FATAL", "") if hides_info(level)] == [
        "WARNING", "warn", "ERROR", "CRITICAL", "FATAL"]
