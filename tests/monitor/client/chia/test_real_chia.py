"""Real chia-blockchain 2.7.5 (farmer + harvester, k18 plots, testnet11) through `teafarm client`
and `teafarm server`: assertions are on the server's sqlite database.

Signage points come from a stand-in full node peer (offline there is no timelord); everything else
is chia's own code. The group starts chia once (the package's `real_farm`) and runs in file order.
"""
from __future__ import annotations

import shutil

import pytest

from tests.helpers.backbone import query
from tests.helpers.real_farm import RealFarm
from tests.helpers.waiting import wait_until

pytestmark = [pytest.mark.chia, pytest.mark.timeout(420)]


@pytest.fixture(scope="module")
def farm(real_farm) -> RealFarm:
    """The package's real farm (conftest.py): the real-chia modules share one chia start."""
    return real_farm


def test_the_harvester_appears_under_its_node_id_with_its_plot_count(farm):
    wait_until(lambda: farm.harvester() == (1, 5, 0), 90, f"harvester {farm.node_id[:8]} with 5 plots\n{farm.logs()}")
    (machine, node_id), = query(farm.database, "SELECT machine, node_id FROM harvester_identity")
    assert (machine, node_id) == ("testbox", farm.node_id)      # links the farmer's view to this machine
    services = dict(query(farm.database, "SELECT id, state FROM chia_service WHERE machine = 'testbox'"))
    assert services["farmer"] == services["harvester"] == services["daemon"] == "RUNNING"
    assert services["wallet"] == "STOPPED"


def test_a_stopped_harvester_shows_disconnected_and_comes_back(farm):
    wait_until(lambda: farm.harvester() and farm.harvester()[0] == 1, 60, "harvester connected")
    farm.chia.stop("harvester")
    wait_until(lambda: farm.harvester()[0] == 0, 15, f"harvester disconnected\n{farm.logs()}")
    (since,), = query(farm.database, "SELECT disconnected_since FROM harvester WHERE id = ?", (farm.node_id,))
    assert since > 0
    farm.chia.start("harvester")
    wait_until(lambda: farm.harvester() == (1, 5, 0), 90, f"harvester back with its plots\n{farm.logs()}")


def test_a_truncated_plot_is_counted_invalid(farm):
    folder = farm.chia.plots / "main"
    source = sorted(folder.glob("*.plot"))[0]
    truncated = folder / ("plot-k18-2026-01-01-00-00-" + "ab" * 32 + ".plot")
    truncated.write_bytes(source.read_bytes()[:200_000])
    wait_until(lambda: farm.harvester() == (1, 5, 1), 60, f"one invalid plot\n{farm.logs()}")
    wait_until(lambda: query(farm.database, "SELECT status FROM plot WHERE filename = ?", (str(truncated),)) == [("INVALID",)],
               30, f"the truncated plot's row\n{farm.logs()}")


def test_a_removed_plot_folder_lowers_the_plot_count(farm):
    shutil.rmtree(farm.chia.plots / "extra")
    wait_until(lambda: farm.harvester() and farm.harvester()[1] == 3, 60, f"3 plots left\n{farm.logs()}")


def test_answered_signage_points_are_counted_and_an_index_gap_is_missed(farm):
    def farming():
        return query(farm.database, "SELECT SUM(sp_answered), SUM(sp_expected), SUM(eligible_plots), "
                     "SUM(expected_eligible) FROM farming_events WHERE harvester_node_id = ?", (farm.node_id,))[0]

    def skipped():
        return query(farm.database, "SELECT SUM(skipped), SUM(seen) FROM signage_events")[0]

    wait_until(lambda: (farming()[0] or 0) > 0, 150, f"answered signage points\n{farm.logs()}")
    wait_until(lambda: (skipped()[0] or 0) >= 1, 150, f"skipped signage points\n{farm.logs()}")
    answered, expected, eligible, expected_eligible = farming()
    assert 0 < answered <= expected
    # testnet11 at the stand-in's height 16.2M filters 1 plot in 32: the filter comes from the height
    # (a minute in which the plot count and the filter were steady shows it exactly)
    def filtered_by_32():
        buckets = query(farm.database, "SELECT sp_expected, total_plots, expected_eligible FROM farming_events "
                        "WHERE harvester_node_id = ?", (farm.node_id,))
        return any(e > 0 and ee == pytest.approx(e * plots / 32, abs=0.001) for e, plots, ee in buckets)
    wait_until(filtered_by_32, 150, f"a minute with expected eligible plots = SPs x plots / 32\n{farm.logs()}")
    total_skipped, seen = skipped()
    assert total_skipped >= 5 and seen > 0       # the stand-in jumped the index by 5 once
    assert "Traceback" not in farm.client.log_text()
