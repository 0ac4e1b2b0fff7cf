"""/sql runs each query in a process of its own with a memory limit and a time limit; the bot's
process neither grows nor waits past the limit, and the reply says which limit was hit."""
from __future__ import annotations

import resource
import sys

import psutil
import pytest

from bot import render
from bot.alerts.botdb import connect_botdb
from bot.alerts.settings import AlertSettings
from bot.commands.base import CommandContext, CommandError
from bot.commands.dispatch import Dispatcher
from bot.commands.sql import run_query
from bot.transports.base import Incoming
from monitor.store.reader import StoreReader
from monitor.store.store import Store

MEMORY_LINE = "sql: query needed more than 256 MiB of memory and was stopped"
TIME_LINE = "sql: query took longer than 2 s and was stopped"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = tmp_path_factory.mktemp("sql") / "teafarm.db"
    Store(path).close()
    return path


@pytest.fixture
def sql(database, tmp_path):
    dispatcher = Dispatcher(lambda: CommandContext(StoreReader(database), connect_botdb(tmp_path / "bot.db"), AlertSettings()))

    def ask(query: str) -> str:
        return render.plain(dispatcher.run(Incoming("shell", "shell", "shell", "shell", f"/sql {query}", is_dm=True,
                                                    is_admin=True))).strip()
    yield ask
    dispatcher.close()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024     # Linux: KiB


@pytest.mark.parametrize("query", [
    "SELECT length(hex(zeroblob(400000000)))",          # 1.2 GB of blob and hex text in one expression
    "SELECT zeroblob(900000000)",                       # a 900 MB cell handed to Python
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 30000) "
    "SELECT length(group_concat(printf('%030000d', i))) FROM n",   # a 900 MB group_concat
])
def test_a_query_needing_gigabytes_stops_at_the_memory_limit_outside_the_bot(sql, query):
    before = peak_rss_mib()
    assert sql(query) == MEMORY_LINE
    # in the bot's own process this query would have taken its peak up by a gigabyte
    assert peak_rss_mib() - before < 100


def test_one_long_function_call_is_killed_by_the_bot_after_the_time_limit(sql):
    # instr() of a 30 MB haystack for a needle it nearly matches everywhere: one call of ~16 s,
    # in which sqlite's progress handler never runs: only the kill stops it
    others = set(psutil.Process().children())       # processes of other tests in this worker, if any
    answer = sql("SELECT instr(printf('%.*c', 30000000, 'a'), printf('%.*c', 30000, 'a') || 'b')")
    assert answer == TIME_LINE
    assert set(psutil.Process().children()) <= others, "the killed query process was reaped"


def test_a_long_query_stops_at_the_time_limit_and_small_ones_answer(sql):
    assert sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n") == TIME_LINE
    assert [line.strip() for line in sql("SELECT 6 * 7 AS answer, zeroblob(100) AS blob").splitlines()[1:]] == [
        "answer | blob", "42 | " + ("b'" + "\\x00" * 100)[:110] + "…"]   # cut only as far as 120 characters need


def test_a_query_process_that_dies_is_one_line(database):
    with pytest.raises(CommandError) as failed:
        run_query(database, "SELECT 1", 10, command=[sys.executable, "-c", "import sys; sys.stderr.write('boom\\n'); sys.exit(3)"])
    assert str(failed.value) == "sql: the query process failed (exit status 3: boom)"
