"""The daily summary over a farm filled through the real server, queued and delivered by the real
engine and outbox: every figure of the last 24 hours, the chances ahead, alerts opened and closed,
and its small chart."""
from __future__ import annotations

import io
import time

from PIL import Image as PILImage

from bot.alerts.summary import queue_daily_summary
from bot.charts.draw import SMALL
from bot.commands.base import CommandContext
from bot.stats import daily
from bot.alerts.settings import RuleSettings
from tests.helpers.alert_harness import no_debounce, text_of, titles
from tests.helpers.backbone import event
from tests.helpers.farm import DELETE, UPDATE, farming, harvester, identity, plot

NODE_A, NODE_B = "5a" * 32, "5b" * 32
HOUR, DAY, TIB = 3600.0, 86400.0, 2**40


def test_daily_summary_tells_the_day(server, harness):
    # a harvester away and back: one alert opened and closed; the figures' own alerts stay out of the count
    quiet = {name: RuleSettings(enabled=False) for name in ("plots_lost", "missed_signage_points", "slow_lookups")}
    h = harness(rules=no_debounce() | quiet)
    now = time.time()
    server.send("sfarmer", harvester(NODE_A, True, plots=100, total_plot_size=100 * TIB, total_effective_size=100 * TIB),
                harvester(NODE_B, True, plots=50, total_plot_size=50 * TIB, total_effective_size=50 * TIB))
    daily.record(h.reader, h.botdb, now - DAY)          # yesterday's row: the farm had 150 TiB
    server.send("sharv", identity(NODE_A), plot("p1", NODE_A), plot("p2", NODE_A), plot("p3", NODE_A))
    server.send("sharv", plot("p3", NODE_A, kind=DELETE))
    server.send("sfarmer",
                harvester(NODE_A, True, UPDATE, plots=102, total_plot_size=102 * TIB, total_effective_size=102 * TIB),
                event("full_node", synced=True, peak_height=6_000_000, netspace_bytes=30 * 2**60, network="mainnet"),
                event("proof", timestamp=now - HOUR, harvester_node_id=NODE_A, plot="p1"),
                event("proof", timestamp=now - 2 * DAY, harvester_node_id=NODE_A, plot="p2"),
                event("block", timestamp=now - HOUR, height=5_999_000, signage_point_index=3),
                event("partial", timestamp=now - HOUR, launcher_id="ab" * 32, accepted=True),
                event("partial", timestamp=now - HOUR, launcher_id="ab" * 32, accepted=True),
                event("partial", timestamp=now - HOUR, launcher_id="ab" * 32, accepted=False, error="too late"),
                event("pool", id="ab" * 32, launcher_id="ab" * 32, current_points=1234, points_found_24h=56, reachable=True),
                event("signage", timestamp=now - HOUR, minute=now - HOUR, seen=60, skipped=4),
                farming(NODE_A, now - HOUR, expected=64, missed=1, p95=0.4),
                farming(NODE_B, now - HOUR, expected=64, missed=8, p95=6.0),
                event("wallet_transaction", id="01" * 32, type=0, amount=5 * 10**11, confirmed=True, created_at_time=now - HOUR),
                event("wallet_transaction", id="02" * 32, type=3, amount=25 * 10**10, confirmed=True, created_at_time=now - HOUR),
                event("wallet_transaction", id="03" * 32, type=1, amount=10**12, confirmed=True, created_at_time=now - HOUR),
                event("wallet_transaction", id="04" * 32, type=0, amount=10**12, confirmed=True, created_at_time=now - 3 * DAY))
    server.send("sfarmer", harvester(NODE_B, False, UPDATE, plots=50, total_plot_size=50 * TIB, total_effective_size=50 * TIB))
    h.run()                                             # harvester B disconnected: an alert opened ...
    server.send("sfarmer", harvester(NODE_B, True, UPDATE, plots=50, total_plot_size=50 * TIB, total_effective_size=50 * TIB))
    h.run()                                             # ... and closed

    queue_daily_summary(CommandContext(h.reader, h.botdb, h.settings, lambda: h.t))
    sent = h.run()
    assert titles(sent) == ["Daily summary"]
    text = text_of(sent[0])
    for line in ("machines online: 0 / 2",          # the test's clients sent a batch and left
                 "plots: 152 (+3 / -1 in 24 h)",
                 "size: 152.00 TiB raw (+2.00 TiB in 24 h), 152.00 TiB effective",
                 "proofs: 1, blocks: 1",
                 "partials: 2 accepted, 1 failed; pool points 1,234 (56 found in 24 h)",
                 "missed signage points (24 h): 9 of 128 (7.0 %)",
                 "skipped by the full node: 4 of 64 (6.2 %)",
                 f"worst harvester: sfarmer {NODE_B[:8]}, 8 missed of 64 (12.5 %)",
                 f"worst lookup p95: <= 8 s (sfarmer {NODE_B[:8]})",
                 "coins received: 0.75 XCH (2 transactions)",
                 "netspace: 30.00 EiB, expected time to win: ",
                 "in 24 h: 2 opened (warning or critical), 1 closed; open now: 0"):    # the coins sent are a warning too
        assert line in text, f"{line!r} not in:\n{text}"
    [image] = sent[0].images
    assert image.name == "missed-24h.png" and PILImage.open(io.BytesIO(image.png)).size == SMALL

