"""/plots shows a problem plot as what it is, named, never "1 x k0 invalid: 0 B" (issue 14, point 9);
/node's note covers every chia log level above INFO (point 8). A farm filled through the real server."""
from __future__ import annotations

import pytest

from bot import render
from bot.alerts.botdb import connect_botdb
from bot.alerts.settings import AlertSettings
from bot.commands.base import CommandContext
from bot.commands.dispatch import Dispatcher
from bot.transports.base import Incoming
from monitor.store.reader import StoreReader
from tests.helpers.backbone import event
from tests.helpers.farm import harvester, plot, start_farm_server

NODE = "d4" * 32
INVALID, MISSING_KEY = 2, 3


def problem(name: str, status: int = INVALID):
    """A problem plot as the farmer reports it: its file name, nothing else (no k, no size)."""
    return event("plot", id=name, harvester_node_id=NODE, status=status, filename=name, disk="/mnt/d9")


@pytest.fixture(scope="module")
def dispatcher(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plots")
    server = start_farm_server(folder / "farm")
    server.send("farmer1", harvester(NODE, True, plots=2, invalid_plots=5),
                plot("p1", NODE), plot("p2", NODE),
                *[problem(f"/mnt/d9/plot-k32-bad{i}.plot") for i in range(5)],
                problem("/mnt/d9/plot-k32-foreign.plot", MISSING_KEY),
                *[event("chia_service", id=name, state=3, version="2.7.5", log_level=level)
                  for name, level in (("farmer", "ERROR"), ("harvester", "CRITICAL"), ("full_node", "INFO"),
                                      ("wallet", "WARNING"))])
    d = Dispatcher(lambda: CommandContext(StoreReader(server.database), connect_botdb(folder / "bot.db"), AlertSettings()))
    yield d
    d.close()
    server.stop()


def ask(dispatcher: Dispatcher, text: str) -> str:
    return render.plain(dispatcher.run(Incoming("console", "c", "u1", "alice", text, is_dm=True, is_admin=True)))


def test_plots_shows_problem_plots_by_name_not_as_k0_of_0_bytes(dispatcher):
    text = ask(dispatcher, "/plots")
    assert "Plots (8 on 1 harvester)" in text and "2 x k32: 202.66 GiB" in text
    assert ("5 invalid (cannot be read): /mnt/d9/plot-k32-bad0.plot, /mnt/d9/plot-k32-bad1.plot, "
            "/mnt/d9/plot-k32-bad2.plot and 2 more") in text
    assert "1 with a farmer key not in this farm: /mnt/d9/plot-k32-foreign.plot" in text
    assert "k0" not in text and "0 B" not in text


def test_node_notes_every_log_level_above_info(dispatcher):
    lines = ask(dispatcher, "/node").splitlines()
    noted = sorted(line.split()[1].rstrip(":") for line in lines if "log level hides what teafarm reads" in line)
    assert noted == ["farmer", "harvester", "wallet"]       # ERROR, CRITICAL, WARNING; not INFO
