"""The unreadable-plots alert names the files, a few of them and how many more (issue 14, point 9).
Events go through a real server; the engine runs with a clock the test moves."""
from __future__ import annotations

from tests.helpers.alert_harness import Harness, text_of, titles
from tests.helpers.backbone import event
from tests.helpers.farm import plot

NODE = "e5" * 32


def unreadable(name: str):
    """As the farmer reports a plot its harvester cannot open: the file name and nothing else."""
    return event("plot", id=name, harvester_node_id=NODE, status=2, filename=name, disk="/mnt/d3")


def test_the_unreadable_plots_alert_names_the_files(farm_server, tmp_path):
    farm = farm_server
    h = Harness(farm.database, tmp_path / "alerts")
    farm.send("farmer1", plot("p1", NODE), plot("p2", NODE))
    assert h.run() == []
    farm.send("farmer1", unreadable("/mnt/d3/plot-k32-b.plot"))
    first = h.run()
    assert titles(first) == ["Unreadable plots"]
    assert "1 plots cannot be read (bad file or failing disk): /mnt/d3/plot-k32-b.plot" in text_of(first[0])
    farm.send("farmer1", *[unreadable(f"/mnt/d3/plot-k32-{name}.plot") for name in ("a", "c", "d", "e")])
    h.advance(4000)                                         # the first reminder shows the latest detail
    reminder = h.run()
    assert [r.title.split(" (for")[0] for r in reminder] == ["Still: Unreadable plots"]
    assert ("5 plots cannot be read (bad file or failing disk): /mnt/d3/plot-k32-a.plot, /mnt/d3/plot-k32-b.plot, "
            "/mnt/d3/plot-k32-c.plot and 2 more") in text_of(reminder[0])
    h.close()
