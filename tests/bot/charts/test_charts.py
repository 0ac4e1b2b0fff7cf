"""Charts over a farm filled through the real server: each chart function's series against the
numbers the commands print, each PNG decoded (1280x720, opaque, dark), /chart and /missed 7d through
the real dispatcher, and the PNG as a file on the console and in `teafarm ask`."""
from __future__ import annotations

import asyncio
import io
import re
import time
from pathlib import Path

import pytest
from PIL import Image as PILImage

from bot.alerts.botdb import connect_botdb
from bot.alerts.settings import AlertSettings
from bot.charts.draw import SIZE
from bot.commands.base import CommandContext
from bot.commands.chart import CHARTS, disks_chart, lookup_chart, missed_chart, plots_chart, proofs_chart
from bot.commands.dispatch import Dispatcher
from bot.reply import Image, Reply
from bot.transports.base import Incoming
from bot.transports.console import ConsoleTransport
from monitor.store.reader import StoreReader
from teafarm import cli
from tests.helpers.backbone import event
from tests.helpers.farm import ADD, UPDATE, disk, farming, harvester, identity, start_farm_server

HOUR, DAY = 3600.0, 86400.0
NODES = [f"{i:02x}" * 32 for i in range(1, 13)]      # 12 harvesters: 9 drawn, 3 folded into "others"


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    server = start_farm_server(tmp_path_factory.mktemp("charts") / "farm")
    now = time.time()
    history = [harvester(NODES[0], True, timestamp=now - 3 * DAY, plots=10, total_plot_size=10 * 2**40),
               harvester(NODES[0], True, UPDATE, timestamp=now - 2 * DAY, plots=12, total_plot_size=12 * 2**40)]
    farming_buckets = []
    for i, node in enumerate(NODES):
        farming_buckets += [farming(node, now - 2 * HOUR, expected=64, missed=i, p95=0.3 + i),
                            farming(node, now - 3 * DAY, expected=64, missed=2 * i, p95=0.2)]
    server.send("farmer1", *history, *farming_buckets,
                *[harvester(node, True, UPDATE if node == NODES[0] else ADD, plots=20 + i, total_plot_size=(20 + i) * 2**40)
                  for i, node in enumerate(NODES)],
                event("full_node", synced=True, peak_height=6_000_000, netspace_bytes=30 * 2**60, network="mainnet"),
                *[event("proof", timestamp=now - d * DAY - 60, harvester_node_id=NODES[0], plot="p") for d in (0, 0, 1, 5, 9)],
                *[event("partial", timestamp=now - d * DAY - 60, launcher_id="ab" * 32, accepted=ok)
                  for d, ok in ((0, True), (0, True), (1, False), (2, True))])
    server.send("harv1", identity(NODES[1]))
    for m in range(11):        # 11 machines with disks: the 9 largest drawn, 2 folded into "others"
        server.send(f"m{m:02d}", disk("/mnt/d1", 50.0, total=(m + 1) * 2**40))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ctx(farm):
    context = CommandContext(StoreReader(farm.database), connect_botdb(farm.data_dir / "bot.db"), AlertSettings())
    yield context
    context.reader.close()
    context.botdb.close()


@pytest.fixture(scope="module")
def dispatcher(farm):
    d = Dispatcher(lambda: CommandContext(StoreReader(farm.database), connect_botdb(farm.data_dir / "bot.db"), AlertSettings()))
    yield d
    d.close()


def ask(dispatcher: Dispatcher, text: str) -> Reply:
    return dispatcher.run(Incoming("console", "c", "u1", "alice", text, is_dm=True))


def decoded(png: bytes) -> PILImage.Image:
    image = PILImage.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


def missed_column(reply: Reply) -> dict[str, int]:
    """/missed's table: harvester label -> its missed count."""
    rows = {}
    for line in reply.sections[1].lines[1:-1]:
        rows[line[:22].strip()] = int(line[22:].split()[2])
    return rows


def test_missed_chart_adds_up_to_what_missed_prints_and_comes_with_missed_7d(dispatcher, ctx):
    reply = ask(dispatcher, "/missed 7d")
    printed = missed_column(reply)
    assert len(printed) == 12 and max(printed.values()) == 33          # 11 + 22 for the 12th harvester
    chart = missed_chart(ctx, "7d")
    drawn = {label: sum(values) for label, values in chart.series.items()}
    others = drawn.pop("others (3, mean)")
    assert len(drawn) == 9
    assert drawn == {label: printed[label] for label in drawn}, "each harvester's steps add up to /missed"
    assert sorted(drawn.values(), reverse=True) == sorted(printed.values(), reverse=True)[:9], "the 9 that missed most"
    assert others * 3 == sum(printed.values()) - sum(drawn.values()), "others: the mean of the other 3"
    assert [i.name for i in reply.images] == ["missed-7d.png"] and decoded(reply.images[0].png).size == SIZE
    assert ask(dispatcher, "/missed 24h").images == [], "a day reads fine as a table"


def test_every_chart_is_an_opaque_dark_1280x720_png_with_at_most_ten_series(ctx):
    for name, chart_function in CHARTS.items():
        chart = chart_function(ctx)
        image = decoded(chart.png).convert("RGBA")
        assert image.size == SIZE, name
        assert image.getextrema()[3] == (255, 255), f"{name}: transparent pixels"
        assert sum(image.getpixel((3, 3))[:3]) < 150, f"{name}: the background is not dark"
        assert 0 < len(chart.series) <= 10, name


def test_lookup_proofs_and_disks_series(ctx):
    lookup = lookup_chart(ctx, "24h")
    worst = {label: max(v for v in values if v == v) for label, values in lookup.series.items()}
    assert worst["others (3)"] == 3.0 and max(worst.values()) == 15.0, worst   # p95 bins: 0.3..2.3 s -> <=3 s; 11.3 s -> <=15 s
    proofs = proofs_chart(ctx, "7d")
    assert [sum(proofs.series[k]) for k in ("proofs", "partials accepted", "partials failed")] == [4, 3, 1]
    assert proofs.series["proofs"][-1] == 2, "today's bar holds today's proofs"
    disks = disks_chart(ctx)
    assert list(disks.series)[:3] == ["m10", "m09", "m08"]
    assert disks.series["others (2, mean)"] == [0.75, 0.75], "m00 and m01: 0.5 and 1 TiB used, as much free"


def test_plots_chart_rebuilds_past_days_from_the_harvester_events(ctx):
    chart = plots_chart(ctx, "30d")
    plots = chart.series["plots"]
    assert plots[-1] == sum(20 + i for i in range(12)), "today: the farm as it is"
    assert plots[:2] == [10, 12], "the days before the first row, from the store's harvester events"


def test_chart_command(dispatcher):
    reply = ask(dispatcher, "/chart lookup 7d")
    assert reply.title.startswith("Lookup p95 per harvester (7d") and decoded(reply.images[0].png).size == SIZE
    assert ask(dispatcher, "/chart").title.startswith("/chart (nothing): say which chart: missed, lookup, proofs, plots, disks")
    assert ask(dispatcher, "/chart disks 7d").title == "/chart disks shows the disks as they are now: it takes no window"
    assert ask(dispatcher, "/chart missed 1y").title.startswith("'1y' is not a window")


def test_the_console_and_teafarm_ask_write_charts_to_files(farm, capsys):
    out = io.StringIO()
    console = ConsoleTransport(input=None, output=out)
    asyncio.run(console.send_alert(Reply("Daily summary", images=[Image("missed-24h.png", b"\x89PNG-bytes", "a chart")])))
    written = Path(re.search(r"a chart: (\S+)", out.getvalue()).group(1))
    assert written.read_bytes() == b"\x89PNG-bytes" and written.name.endswith("missed-24h.png")

    assert cli.main(["ask", "--config", str(farm.config), "/chart disks"]) == 0     # in-process: the same code path
    path = Path(re.search(r"Disk space per machine: .*: (\S+\.png)$", capsys.readouterr().out, re.M).group(1))
    assert decoded(path.read_bytes()).size == SIZE
