"""Prometheus /metrics: a running bot (BotApp, in this process, on a free port) whose store is
filled through its real gRPC server, scraped over HTTP and parsed with prometheus_client's own
parser; and the shipped Prometheus rules and Grafana dashboard checked against a real scrape."""
from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from contextlib import closing

import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families

from bot.alerts.botdb import connect_botdb
from bot.alerts.rules import ALERTS
from bot.alerts.settings import AlertSettings
from bot.metrics.exposition import encode
from bot.metrics.server import MetricsServer
from bot.metrics.settings import MetricsSettings
from bot.settings import BotSettings
from monitor.server.settings import ServerSettings
from monitor.store.store import Store
from teafarm.apps import bot_app
from teafarm.config import Config, validate
from teafarm.typed_config import ConfigError
from tests.helpers.backbone import event
from tests.helpers.farm import Farm, disk, farming, harvester, identity, plot
from tests.helpers.paths import REPO
from tests.helpers.ports import free_port
from tests.helpers.waiting import wait_until

RULES = REPO / "deploy" / "prometheus" / "rules.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "teafarm.json"
NODE_A = "a1" * 32          # runs on harv1 (its client says so), farmed by farmer1
NODE_B = "b2" * 32          # known only to farmer1's farmer
LAUNCHER = "c0ffee" * 10 + "abcd"
HOUR = 3600.0


class RunningBot:
    """BotApp on an event loop of its own thread, so the test can send and scrape synchronously."""

    def __init__(self, config: Config) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bot-loop", daemon=True)
        self.thread.start()
        self.app = self._run(self._make(config))

    async def _make(self, config: Config):
        app = bot_app(config, transports=[])
        await app.start()
        return app

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def stop(self) -> None:
        try:
            self._run(self.app.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        return response.read().decode()


def samples(text: str) -> dict[str, list]:
    """Sample name (with its _total, _bucket ... suffix) -> its samples."""
    found: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def value(found: dict[str, list], name: str, **labels) -> float:
    matching = [s.value for s in found.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(matching) == 1, f"{name} {labels}: {matching} (all: {[s.labels for s in found.get(name, [])]})"
    return matching[0]


def fill(farm: Farm) -> int:
    """Three machines' worth of state and facts; returns the last sequence number stored."""
    now = time.time()
    farm.send("farmer1",
              event("machine_info", hostname="farmer1", teafarm_version="0.1.0", os="Linux"),
              event("cpu", usage_percent=25.0, frequency_mhz=3000.0, temperature_c=55.0, cores=8, load_1m=1.5),
              event("ram", total_bytes=16 * 2**30, used_bytes=4 * 2**30, available_bytes=12 * 2**30, percent=25.0),
              event("full_node", synced=True, peak_height=6_000_000, sync_tip_height=6_000_000,
                    netspace_bytes=30 * 2**60, network="mainnet", difficulty=1000),
              event("wallet", synced=True, height=6_000_000, farmed_amount=2_000_000_000_000, blocks_won=1),
              event("wallet_transaction", id="ab" * 32, wallet_id=1, type=0, amount=10**12, created_at_time=now - 60),
              event("wallet_transaction", id="cd" * 32, wallet_id=1, type=1, amount=10**11, created_at_time=now - 30),
              event("farmer", running=True, harvesters_connected=1, full_node_connected=True, last_signage_point_time=now),
              event("chia_service", id="farmer", state=3, version="2.5.7"),
              event("log_health", id="debug.log:harvester", file="debug.log", parser="harvester", lines_matched=42, blind=True),
              harvester(NODE_A, True, plots=4, invalid_plots=1, total_plot_size=4 * 108_800_000_000,
                        total_effective_size=4 * 108_800_000_000, last_answer_time=now - 5),
              harvester(NODE_B, False, plots=2, disconnected_since=now - 2 * HOUR),
              event("pool", id=LAUNCHER, launcher_id=LAUNCHER, pool_url="https://pool.example", current_points=1234,
                    current_difficulty=5, points_found_24h=300, points_acknowledged_24h=290, reachable=True),
              event("partial", launcher_id=LAUNCHER, harvester_node_id=NODE_A, accepted=True),
              event("partial", launcher_id=LAUNCHER, harvester_node_id=NODE_A, accepted=True),
              event("partial", launcher_id=LAUNCHER, harvester_node_id=NODE_A, accepted=False, error="too late"),
              farming(NODE_A, now - 30 * 60, expected=64, missed=2, late5=3, late28=1, p95=0.4, proofs=1),
              farming(NODE_A, now - 3 * HOUR, expected=64, missed=10, p95=0.9),
              farming(NODE_B, now - 30 * 60, expected=64, missed=0, p95=6.0))
    farm.send("harv1", identity(NODE_A),
              plot("p1", NODE_A), plot("p2", NODE_A), plot("p3", NODE_A, compression=7, size=80_000_000_000, disk="/mnt/d2"),
              plot("bad.plot", NODE_A, status=2, disk="/mnt/d2"),
              disk("/mnt/d1", 99.0), disk("/mnt/d2", 50.0), disk("/mnt/gone", 10.0, error="Input/output error"),
              disk("/", 99.0),          # full, no plots on it: a disk_full alert opens
              disk('/mnt/odd "name"\\with\nbreaks', 10.0),   # label values that need escaping
              event("smart", available=True, smartctl_version="7.3"),
              event("smart_disk", id="9JG4K2ZT", device="/dev/sdb", device_type="sat", model="WDC WUH721414ALE6L4",
                    health=1, temperature_c=41.0, reallocated_sectors=8, pending_sectors=0, power_on_hours=1000),
              event("smart_disk", id="S5GXNX0T", device="/dev/nvme0", device_type="nvme", health=2, temperature_c=80.0,
                    reallocated_sectors=-1, pending_sectors=-1))
    return farm.send("plotter1",
                     event("plotter_job", id="job1", plotter="madmax", k=32, phase="P2", progress=0.4),
                     event("copy_job", id="c1", plot="x.plot", source="/tmp/x", target="/mnt/d1", state=2,
                           bytes_total=100, bytes_done=40, rate_bytes_per_s=200 * 2**20),
                     event("copy_job", id="c2", plot="y.plot", source="/tmp/y", target="/mnt/d2", state=4, error="No space left"),
                     event("copy_target", id="/mnt/d1", state=1, free_bytes=2 * 10**12, writers=1),
                     event("copy_target", id="/mnt/d2", state=2, free_bytes=10**9))


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    farm = Farm.create(tmp_path_factory.mktemp("metrics") / "farm")
    metrics_port = free_port()
    config = Config(data_dir=farm.data_dir, server=ServerSettings(listen=f"127.0.0.1:{farm.port}"),
                    bot=BotSettings(alerts=AlertSettings(startup_grace=0.0, daily_summary=""),
                                    metrics=MetricsSettings(listen=str(metrics_port))))
    running = RunningBot(config)
    try:
        running.last_seq = fill(farm)
        # the bot folds new farming buckets every few seconds, and opens the disk_full alert
        wait_until(lambda: "teafarm_signage_points_expected_total{" in (text := scrape(metrics_port))
                   and 'rule="disk_full"' in text, 30, "the farming totals and the alert in a scrape")
        yield running, metrics_port
    finally:
        running.stop()


@pytest.fixture(scope="module")
def scraped(bot) -> dict[str, list]:
    return samples(scrape(bot[1]))


def test_names_types_and_labels_follow_the_conventions(bot):
    families = list(text_string_to_metric_families(scrape(bot[1])))
    assert len(families) > 60
    for family in families:
        assert family.name.startswith("teafarm_"), family.name
        for sample in family.samples:
            if family.type == "counter":
                assert sample.name.endswith("_total"), sample.name
            else:
                assert not sample.name.endswith("_total"), sample.name
            assert sample.value == sample.value, f"{sample.name}: NaN"   # NaN is not equal to itself
    by_name = {f.name: f for f in families}
    for name in ("teafarm_harvester_connected", "teafarm_signage_points_missed", "teafarm_lookup_p95_seconds",
                 "teafarm_plot_files", "teafarm_partials"):
        assert by_name[name].samples, name
        for sample in by_name[name].samples:
            assert {"machine", "node_id"} <= set(sample.labels), (name, sample.labels)


def test_harvesters_plots_and_farming_counters(scraped):
    # NODE_A is filed under the machine its client runs on, NODE_B under its farmer's
    assert value(scraped, "teafarm_harvester_connected", machine="harv1", node_id=NODE_A) == 1
    assert value(scraped, "teafarm_harvester_connected", machine="farmer1", node_id=NODE_B) == 0
    assert value(scraped, "teafarm_harvester_plots", node_id=NODE_A, status="valid") == 4
    assert value(scraped, "teafarm_harvester_plots", node_id=NODE_A, status="invalid") == 1
    assert value(scraped, "teafarm_harvester_raw_size_bytes", node_id=NODE_A) == 4 * 108_800_000_000
    assert value(scraped, "teafarm_plot_files", machine="harv1", node_id=NODE_A, k="32", compression="0") == 2
    assert value(scraped, "teafarm_plot_files", node_id=NODE_A, k="32", compression="7") == 1
    assert value(scraped, "teafarm_plot_files_size_bytes", node_id=NODE_A, compression="7") == 80_000_000_000

    assert value(scraped, "teafarm_signage_points_expected_total", machine="harv1", node_id=NODE_A) == 128
    assert value(scraped, "teafarm_signage_points_missed_total", node_id=NODE_A) == 12
    assert 0 < value(scraped, "teafarm_signage_points_answered_total", node_id=NODE_A) <= 128 - 12
    assert value(scraped, "teafarm_signage_points_late_total", node_id=NODE_A) == 1
    assert value(scraped, "teafarm_signage_points_slow_lookup_total", node_id=NODE_A) == 3
    assert value(scraped, "teafarm_proofs_total", node_id=NODE_A) == 1
    assert value(scraped, "teafarm_signage_points_expected_total", machine="farmer1", node_id=NODE_B) == 64
    # minutes by p95 lookup: 0.4 s falls in the 0.5 bin, 0.9 s in the 1 s bin; NODE_B's 6 s above 5
    assert value(scraped, "teafarm_lookup_p95_seconds_bucket", node_id=NODE_A, le="0.25") == 0
    assert value(scraped, "teafarm_lookup_p95_seconds_bucket", node_id=NODE_A, le="0.5") == 1
    assert value(scraped, "teafarm_lookup_p95_seconds_bucket", node_id=NODE_A, le="+Inf") == 2
    assert value(scraped, "teafarm_lookup_p95_seconds_bucket", node_id=NODE_B, le="5.0") == 0

    assert value(scraped, "teafarm_partials_total", node_id=NODE_A, launcher_id=LAUNCHER, result="accepted") == 2
    assert value(scraped, "teafarm_partials_total", node_id=NODE_A, launcher_id=LAUNCHER, result="failed") == 1


def test_machines_chain_copier_alerts_and_ingest(bot, scraped):
    assert value(scraped, "teafarm_cpu_usage_ratio", machine="farmer1") == 0.25
    assert value(scraped, "teafarm_cpu_temperature_celsius", machine="farmer1") == 55.0
    assert value(scraped, "teafarm_memory_usage_ratio", machine="farmer1") == 0.25
    assert value(scraped, "teafarm_disk_plots", machine="harv1", mountpoint="/mnt/d1") == 2
    assert value(scraped, "teafarm_disk_plots", machine="harv1", mountpoint="/") == 0
    assert value(scraped, "teafarm_disk_readable", machine="harv1", mountpoint="/mnt/gone") == 0
    assert value(scraped, "teafarm_disk_usage_ratio", machine="harv1", mountpoint="/mnt/d1") == 0.99

    assert value(scraped, "teafarm_smart_available", machine="harv1") == 1
    assert value(scraped, "teafarm_smart_disk_temperature_celsius", machine="harv1", serial="9JG4K2ZT") == 41.0
    assert value(scraped, "teafarm_smart_disk_reallocated_sectors", serial="9JG4K2ZT") == 8
    assert not [s for s in scraped["teafarm_smart_disk_reallocated_sectors"] if s.labels["serial"] == "S5GXNX0T"]
    assert value(scraped, "teafarm_smart_disk_failed", serial="S5GXNX0T") == 1
    assert value(scraped, "teafarm_smart_disk_info", serial="S5GXNX0T", device="/dev/nvme0", device_type="nvme") == 1
    assert value(scraped, "teafarm_smart_disk_power_on_seconds", serial="9JG4K2ZT") == 1000 * 3600

    assert value(scraped, "teafarm_node_synced", machine="farmer1", network="mainnet") == 1
    assert value(scraped, "teafarm_node_peak_height", machine="farmer1") == 6_000_000
    assert value(scraped, "teafarm_netspace_bytes", machine="farmer1") == 30 * 2**60
    assert value(scraped, "teafarm_wallet_farmed_xch", machine="farmer1") == 2.0
    assert value(scraped, "teafarm_wallet_last_transaction_timestamp_seconds", machine="farmer1", direction="sent") \
        > value(scraped, "teafarm_wallet_last_transaction_timestamp_seconds", machine="farmer1", direction="received")
    assert value(scraped, "teafarm_expected_time_to_win_seconds") > 0
    assert value(scraped, "teafarm_pool_points", launcher_id=LAUNCHER) == 1234
    assert value(scraped, "teafarm_chia_service_state", machine="farmer1", service="farmer", state="running") == 1
    assert not [s for s in scraped["teafarm_chia_service_state"] if s.labels["state"] != "running"]
    assert value(scraped, "teafarm_log_parser_blind", machine="farmer1", parser="harvester") == 1

    assert value(scraped, "teafarm_copy_jobs", machine="plotter1", state="copying") == 1
    assert value(scraped, "teafarm_copy_jobs", machine="plotter1", state="failed") == 1
    assert value(scraped, "teafarm_copy_jobs", machine="plotter1", state="queued") == 0
    assert value(scraped, "teafarm_copy_rate_bytes_per_second", machine="plotter1") == 200 * 2**20
    assert value(scraped, "teafarm_copy_remaining_bytes", machine="plotter1") == 60
    assert value(scraped, "teafarm_copy_target_state", machine="plotter1", target="/mnt/d2", state="full") == 1
    assert value(scraped, "teafarm_plotter_jobs", machine="plotter1", plotter="madmax") == 1

    assert value(scraped, "teafarm_alerts_open", rule="disk_full", severity="warning") == 1

    assert value(scraped, "teafarm_ingest_events_total") == bot[0].last_seq
    assert value(scraped, "teafarm_metrics_errors_total") == 0
    for machine in ("farmer1", "harv1", "plotter1"):
        assert value(scraped, "teafarm_machine_last_seen_timestamp_seconds", machine=machine) > 0
        assert value(scraped, "teafarm_machine_outbox_lag_seconds", machine=machine) >= 0
    assert value(scraped, "teafarm_machine_info", machine="farmer1", os="Linux", teafarm_version="test") == 1


def parsed(text: bytes) -> list:
    return sorted((f.name, f.type, f.documentation,
                   sorted((s.name, sorted(s.labels.items()), float(s.value)) for s in f.samples))
                  for f in text_string_to_metric_families(text.decode()))


def test_the_fast_encoder_says_what_prometheus_client_says(bot):
    odd = GaugeMetricFamily("teafarm_odd", "Edge values\\ and a\nnewline", labels=["where"])
    odd.add_metric(['a "quoted" \\ value\nwith a newline'], float("inf"))
    odd.add_metric(["big"], 2**60 + 1)
    odd.add_metric(["small"], 1e-7)
    counter = CounterMetricFamily("teafarm_odd_events", "A counter without labels")
    counter.add_metric([], 3)
    families = [*bot[0].app.metrics.collector.collect(), odd, counter]

    class Fixed:
        def collect(self):
            return families

    assert parsed(encode(families)) == parsed(generate_latest(Fixed()))
    assert 'mountpoint="/mnt/odd \\"name\\"\\\\with\\nbreaks"' in encode(families).decode()


def metric_names(text: str) -> set[str]:
    return set(re.findall(r"\bteafarm_[a-z0-9_]+", text))


def rule_expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    found = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                found.append(node["expr"])
            if isinstance(node.get("query"), str):   # template variables
                found.append(node["query"])
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(DASHBOARD.read_text()))
    return found


@pytest.mark.parametrize("where", ["rules", "dashboard"])
def test_every_metric_the_rules_and_dashboard_use_is_in_a_real_scrape(scraped, where):
    expressions = rule_expressions() if where == "rules" else dashboard_expressions()
    assert len(expressions) >= 15
    used = set().union(*(metric_names(e) for e in expressions))
    missing = sorted(name for name in used if not scraped.get(name))
    assert not missing, f"{where} use metrics a scrape does not have: {missing}"


def test_the_rules_mirror_every_bot_alert():
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"] if "alert" in r]
    mirrored = {r["labels"]["teafarm_rule"] for r in rules if "teafarm_rule" in r.get("labels", {})}
    assert mirrored == set(ALERTS), f"missing {set(ALERTS) - mirrored}, unknown {mirrored - set(ALERTS)}"
    for r in rules:
        name = r.get("labels", {}).get("teafarm_rule")
        if name:
            assert r["labels"]["severity"] == ALERTS[name].severity, r["alert"]
        assert r["annotations"]["summary"], r["alert"]


# promtool's own rule unit tests: series as a scrape would give them, the alerts they must raise
RULE_CASES = """
rule_files: [%s]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - {series: 'teafarm_disk_size_bytes{machine="h1",mountpoint="/mnt/a"}', values: '100x5 stale'}
      - {series: 'teafarm_machine_connected{machine="h1"}', values: '1x20'}
      - {series: 'teafarm_chia_service_state{machine="h1",service="farmer",state="running"}', values: '1x5 stale'}
      - {series: 'teafarm_chia_service_state{machine="h1",service="farmer",state="stopped"}', values: '_x5 1x10'}
      - {series: 'teafarm_chia_service_state{machine="h1",service="wallet",state="stopped"}', values: '1x15'}
      - {series: 'teafarm_signage_points_expected_total{machine="h1",node_id="n"}', values: '0+64x70'}
      - {series: 'teafarm_signage_points_missed_total{machine="h1",node_id="n"}', values: '0+5x70'}
      - {series: 'teafarm_signage_points_late_total{machine="h1",node_id="n"}', values: '0+1x70'}
      - {series: 'teafarm_lookup_p95_seconds_bucket{machine="h1",node_id="n",le="5.0"}', values: '0x70'}
      - {series: 'teafarm_lookup_p95_seconds_bucket{machine="h1",node_id="n",le="8.0"}', values: '0+1x70'}
      - {series: 'teafarm_lookup_p95_seconds_bucket{machine="h1",node_id="n",le="+Inf"}', values: '0+1x70'}
      - {series: 'teafarm_copy_jobs{machine="p1",state="failed"}', values: '0x5 1x10'}
      - {series: 'teafarm_copy_target_state{machine="p1",target="/a",state="available"}', values: '0x10'}
      - {series: 'teafarm_copy_target_state{machine="p1",target="/a",state="full"}', values: '1x10'}
      - {series: 'teafarm_smart_disk_temperature_celsius{machine="h1",serial="sata"}', values: '60x10'}
      - {series: 'teafarm_smart_disk_temperature_celsius{machine="h1",serial="nvme-warm"}', values: '60x10'}
      - {series: 'teafarm_smart_disk_temperature_celsius{machine="h1",serial="nvme-hot"}', values: '80x10'}
      - {series: 'teafarm_smart_disk_info{machine="h1",serial="sata",device="/dev/sda",device_type="sat",model=""}', values: '1x10'}
      - {series: 'teafarm_smart_disk_info{machine="h1",serial="nvme-warm",device="/dev/nvme0",device_type="nvme",model=""}', values: '1x10'}
      - {series: 'teafarm_smart_disk_info{machine="h1",serial="nvme-hot",device="/dev/nvme1",device_type="nvme",model=""}', values: '1x10'}
    alert_rule_test:
      - eval_time: 10m
        alertname: TeafarmDiskGone
        exp_alerts: [{exp_labels: {severity: critical, teafarm_rule: disk_gone, machine: h1, mountpoint: /mnt/a},
                      exp_annotations: {summary: 'Disk /mnt/a on h1 is gone or unreadable'}}]
      - eval_time: 10m       # the farmer was running and stopped; the wallet never ran: no alert for it
        alertname: TeafarmServiceStopped
        exp_alerts: [{exp_labels: {severity: critical, teafarm_rule: service_stopped, machine: h1, service: farmer,
                                   state: stopped}, exp_annotations: {summary: 'chia farmer on h1 is stopped'}}]
      - eval_time: 65m       # (5 + 1) of 64 a minute: 9.4 %%
        alertname: TeafarmMissedSignagePoints
        exp_alerts: [{exp_labels: {severity: warning, teafarm_rule: missed_signage_points, machine: h1, node_id: n},
                      exp_annotations: {summary: 'Harvester n on h1 missed 9.375%% of signage points in the last hour'}}]
      - eval_time: 65m       # every minute's p95 above 5 s
        alertname: TeafarmSlowLookups
        exp_alerts: [{exp_labels: {severity: warning, teafarm_rule: slow_lookups, machine: h1, node_id: n},
                      exp_annotations: {summary: 'Harvester n on h1: lookup p95 7.85 s over the last hour'}}]
      - eval_time: 8m
        alertname: TeafarmCopyFailed
        exp_alerts: [{exp_labels: {severity: warning, teafarm_rule: copy_failed, machine: p1, state: failed},
                      exp_annotations: {summary: 'A plot copy failed on p1'}}]
      - eval_time: 5m
        alertname: TeafarmCopyTargetsFull
        exp_alerts: [{exp_labels: {severity: warning, teafarm_rule: copy_targets_full, machine: p1},
                      exp_annotations: {summary: 'No copy target of p1 has room'}}]
      - eval_time: 5m        # 60 °C is hot for a SATA disk, not for an NVMe drive
        alertname: TeafarmDiskHot
        exp_alerts:
          - {exp_labels: {severity: warning, teafarm_rule: disk_hot, machine: h1, serial: sata},
             exp_annotations: {summary: 'Disk sata on h1 is at 60 °C'}}
          - {exp_labels: {severity: warning, teafarm_rule: disk_hot, machine: h1, serial: nvme-hot},
             exp_annotations: {summary: 'Disk nvme-hot on h1 is at 80 °C'}}
"""


def test_promtool_checks_the_rules_and_their_cases(tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus)")
    checked = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (tmp_path / "cases.yml").write_text(RULE_CASES % json.dumps(str(RULES)))
    tested = subprocess.run([promtool, "test", "rules", "cases.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_listen_is_off_by_default_and_local_unless_an_address_is_given():
    assert MetricsSettings().address() is None
    assert MetricsSettings(listen="9915").address() == ("127.0.0.1", 9915)
    assert MetricsSettings(listen="0.0.0.0:9915").address() == ("0.0.0.0", 9915)
    assert MetricsSettings(listen="[::1]:9915").address() == ("::1", 9915)
    for wrong, problem in (("99999", "from 1 to 65535"), ("nowhere", "host:port"), ("0.0.0.0:", "host:port")):
        with pytest.raises(ConfigError, match=rf"bot\.metrics\.listen: .*{problem}"):
            validate(Config(bot=BotSettings(metrics=MetricsSettings(listen=wrong))))


def test_a_port_in_use_is_one_config_line(tmp_path):
    with closing(socket.socket()) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = MetricsServer(MetricsSettings(listen=str(port)), tmp_path / "teafarm.db", tmp_path / "bot.db")
        with pytest.raises(ConfigError, match=rf"bot\.metrics\.listen: cannot listen on 127\.0\.0\.1:{port}"):
            server.start()
        server.stop()


def test_a_scrape_before_the_database_exists_says_so_and_the_next_one_reads_it(tmp_path):
    server = MetricsServer(MetricsSettings(listen=str(free_port())), tmp_path / "teafarm.db", tmp_path / "bot.db")
    server.start()
    try:
        found = samples(scrape(server.port))
        assert value(found, "teafarm_metrics_errors_total") == 1
        assert "teafarm_ingest_events_total" not in found
        Store(tmp_path / "teafarm.db").close()
        connect_botdb(tmp_path / "bot.db").close()
        found = samples(scrape(server.port))
        assert value(found, "teafarm_ingest_events_total") == 0
        assert value(found, "teafarm_metrics_errors_total") == 1
    finally:
        server.stop()
