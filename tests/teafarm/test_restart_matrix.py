"""The restart matrix (issue 14): `teafarm client`, `teafarm bot`, the bot's store writer and
`teafarm copy` (mid-copy), each stopped with SIGTERM and with kill -9, twice within 2 s; client and
bot restarted in both orders.
Real processes through the CLI; chia is the recorded-payload fake (its services slow to answer a
new client, so a restarted client meets services it does not know yet), and a debug.log gets a proof
line every 0.15 s throughout. Nothing may be raised beyond what the first sync raised and the
proofs, no event or proof lost or doubled, no plot lost or doubled, and the machine online whenever
its client and bot run.
The real-chia part is tests/monitor/client/chia/test_restart_on_real_chia.py."""
from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest

from bot.alerts.rules import ALERTS
from copier.partials import read_owner
from tests.helpers.backbone import TEAFARM, TeafarmProcess, query, write_config
from tests.helpers.copier import digest, make_plot
from tests.helpers.fake_chia import SERVICES, FakeChia, Slow, recorded_routes, write_chia_root
from tests.helpers.farm import max_seq
from tests.helpers.ports import free_port
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.timeout(240)

CHIA_TABLES = ("chia_service", "harvester", "harvester_identity", "plot", "farmer", "full_node", "wallet", "pool")
STATE_TABLES = CHIA_TABLES + ("disk", "cpu", "ram", "machine_info", "log_health")
DUPLICATES = "SELECT COUNT(*) FROM (SELECT 1 FROM {table} GROUP BY machine, id, event_type, client_time HAVING COUNT(*) > 1)"
ALERT_LINE = re.compile(r"^(?:\[(?:CRITICAL|WARNING|INFO|OK)\] (.+)|([A-Z][^:\n]*):)$", re.M)  # title, or section
MERGED = re.compile(r"^\S+: \d+ alerts$")
PROOF_EVERY = 0.15
PLOTS, PLOT_BYTES, COPY_RATE_MB = 6, 3 * 2**20, 4.0    # about 5 s of copying: every stop lands mid-copy


def proof_line(at: float, challenge: str) -> bytes:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(at)) + f".{int(at * 1000) % 1000:03d}"
    return (f"{stamp} 2.7.5 harvester chia.harvester.harvester: INFO     challenge_hash: {challenge} ...1 plots were "
            f"eligible for farming challengeFound 1 V1 proofs and 0 V2 qualities. Time: 0.01189 s. Total 10 plots\n").encode()


class ProofWriter(threading.Thread):
    """chia's harvester finding a proof every PROOF_EVERY s, whatever teafarm is doing."""

    def __init__(self, log: Path) -> None:
        super().__init__(daemon=True)
        self.log, self.written, self._halt = log, 0, threading.Event()

    def run(self) -> None:
        while not self._halt.wait(PROOF_EVERY):
            with self.log.open("ab") as file:
                file.write(proof_line(time.time(), f"{self.written:010x}"))
            self.written += 1

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.written


class OnlineWatch(threading.Thread):
    """Samples the machine's online flag while `watching` (its client and bot run, nothing restarts)."""

    def __init__(self, database: Path) -> None:
        super().__init__(daemon=True)
        self.database, self.watching, self.offline, self.samples, self._halt = database, False, [], 0, threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.05):
            if self.watching:
                (connected,), = query(self.database, "SELECT connected FROM machines WHERE machine = 'testbox'")
                self.samples += 1
                if not connected:
                    self.offline.append(time.strftime("%H:%M:%S"))

    def stop(self) -> None:
        self._halt.set()
        self.join()


class Farm:
    """A bot (console alerts) and a client on one config, restarted at will."""

    def __init__(self, folder: Path, config: Path, plotter: Path) -> None:
        self.folder, self.config, self.plotter = folder, config, plotter
        self.database = folder / "data" / "teafarm.db"
        self.bot: TeafarmProcess | None = None
        self.client: TeafarmProcess | None = None
        self.copier: TeafarmProcess | None = None
        self.client_log_at = self.bot_log_at = 0    # where the last client's and bot's logs begin
        self.started_at = 0.0                       # when the last of them started
        self.started: list[TeafarmProcess] = []

    def start_bot(self, wait: bool = True) -> None:
        self.bot_log_at, self.started_at = len(self.bot_log()), time.time()
        self.bot = TeafarmProcess(["bot", "--config", str(self.config)], self.folder / "bot.log")
        self.started.append(self.bot)
        if wait:
            self.bot_running()

    def bot_running(self) -> None:
        wait_until(lambda: "teafarm bot running" in self.bot_log()[self.bot_log_at:] or self.bot.proc.poll() is not None,
                   60, "the bot")
        assert self.bot.proc.poll() is None, self.bot_log()[-3000:]

    def start_client(self) -> None:
        self.client_log_at, self.started_at = len(self.client_log()), time.time()
        self.client = TeafarmProcess(["client", "--config", str(self.config)], self.folder / "client.log")
        self.started.append(self.client)

    def start_copier(self) -> None:
        self.copier = TeafarmProcess(["copy", "--config", str(self.config)], self.folder / "copier.log")
        self.started.append(self.copier)

    def copying(self) -> bool:
        """The running copier's partial copy has bytes in it (not one a stopped copier left behind;
        files come and go under the copier: a vanished one is none)."""
        for partial in self.folder.glob("hdd*/*.teafarm-partial"):
            owner = read_owner(partial)
            with contextlib.suppress(FileNotFoundError):
                if owner is not None and owner.pid == self.copier.proc.pid and partial.stat().st_size:
                    return True
        return False

    def plots(self) -> dict[str, list[str]] | None:
        """Each plot name in the targets: the digests of its copies; None while the plotter folder
        still holds a plot or a partial copy (or its owner file) is left."""
        if any(self.plotter.glob("*.plot")) or any(self.folder.glob("hdd*/*.teafarm-partial*")):
            return None
        found: dict[str, list[str]] = {}
        for path in sorted(self.folder.glob("hdd*/*.plot")):
            with contextlib.suppress(FileNotFoundError):
                found.setdefault(path.name, []).append(digest(path))
        return found

    def bot_log(self) -> str:
        path = self.folder / "bot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client_log(self) -> str:
        path = self.folder / "client.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def settled(self) -> None:
        """The last bot runs, the last client knows every chia service again and is online with it."""
        self.bot_running()
        def answered() -> bool:
            since_start = self.client_log()[self.client_log_at:]
            return all(f"chia {service}: RUNNING" in since_start for service in SERVICES[1:])
        wait_until(answered, 60, lambda: f"the last client answered by chia\n{self.client_log()[-3000:]}")
        wait_until(lambda: query(self.database, "SELECT connected, connected_since >= ? FROM machines",
                                 (self.started_at - 1,)) == [(1, 1)], 60,
                   lambda: f"the machine online\n{self.client_log()[-2000:]}")

    def writer(self) -> psutil.Process | None:
        """The bot's store writer (multiprocessing starts a resource tracker beside it); None between two."""
        writers = [c for c in psutil.Process(self.bot.proc.pid).children()
                   if c.is_running() and c.status() != psutil.STATUS_ZOMBIE and "spawn_main" in " ".join(c.cmdline())]
        return writers[0] if len(writers) == 1 else None

    def alerts(self) -> list[str]:
        """What the console said, alert by alert: a message's title, or a merged message's sections."""
        found = (m[1] or m[2] for m in ALERT_LINE.finditer(self.bot_log()))
        return [title for title in found if not MERGED.match(title)]

    def stop(self) -> None:
        for process in self.started:       # each one started (a failed step may leave more than the last)
            process.stop()
        self.started = []


def chia_state(database: Path) -> dict[str, list[tuple]]:
    """The chia rows of the machine, without their sequence number and times (machine, id, seq, time,
    server_time come first)."""
    return {t: sorted(r[:2] + r[5:] for r in query(database, f'SELECT * FROM "{t}" WHERE machine = ?', ("testbox",)))
            for t in CHIA_TABLES}


def ask(config: Path, command: str) -> str:
    """`teafarm ask`, its durations ("since 46 s") left out."""
    result = subprocess.run([*TEAFARM, "ask", command, "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return re.sub(r"\(since [^)]*\)", "(since ...)", result.stdout)


def twice(stop, start) -> None:
    """Stop, start, and stop the new one again within 2 s (mid-start), then start for good."""
    stop()
    start()
    time.sleep(1.0)
    stop()
    start()


def test_restarts_raise_nothing_and_lose_nothing(tmp_path):
    ports = {service: free_port() for service in SERVICES}
    root = tmp_path / "chia-root"
    write_chia_root(root, ports)
    routes = recorded_routes()
    for service in SERVICES[1:]:          # every new client waits 1.5 s for each service's first answer
        routes[service]["get_version"] = Slow(1.5, routes[service]["get_version"])
    fake = FakeChia(root, routes, ports).start(SERVICES[1:])     # no daemon: debug.log is where proofs come from
    debug_log = tmp_path / "debug.log"
    debug_log.write_bytes(b"")
    # the plotter's folder on another filesystem than the targets: plots are copied, not renamed
    plotter = Path(tempfile.mkdtemp(prefix="plotter-", dir="/dev/shm"))
    plots = {f"plot-k32-{n}.plot": make_plot(plotter, f"plot-k32-{n}.plot", PLOT_BYTES) for n in range(PLOTS)}
    targets = [tmp_path / "hdd1", tmp_path / "hdd2"]
    for target in targets:
        target.mkdir()
    port = free_port()
    config = write_config(tmp_path, port, chia={"enabled": True, "root": str(root), "poll_interval": 1.0,
                                                "debug_log": str(debug_log)},
                          copy={"sources": [str(plotter)], "targets": [str(t) for t in targets],
                                "stable_seconds": 0.0, "scan_interval": 0.3, "status_interval": 0.2,
                                "bandwidth_limit_mb": COPY_RATE_MB},
                          bot={"alerts": {"startup_grace": 0.0, "group_window": 0.0, "daily_summary": "",
                                          "rules": {name: {"debounce": 0.0} for name in ALERTS}}})
    farm = Farm(tmp_path, config, plotter)
    proofs = ProofWriter(debug_log)
    watch = OnlineWatch(farm.database)
    started = time.monotonic()
    try:
        farm.start_bot()
        farm.start_client()
        farm.settled()
        wait_until(lambda: query(farm.database, "SELECT COUNT(*) FROM plot")[0][0] > 0
                   and query(farm.database, "SELECT COUNT(*) FROM harvester")[0][0] > 0, 30, "the first sync")
        time.sleep(1.0)                                 # what the first sync raises, it raises now
        baseline_alerts = farm.alerts()
        baseline_state, baseline_seq = chia_state(farm.database), max_seq(farm.database)
        firing = ask(config, "/alerts")
        proofs.start()
        watch.start()

        def step(action) -> None:
            watch.watching = False
            action()
            farm.settled()
            watch.watching = True
            time.sleep(0.5)                             # a moment of steady state, watched

        step(lambda: twice(lambda: farm.client.stop(), farm.start_client))
        step(lambda: twice(lambda: farm.client.kill9(), farm.start_client))
        step(lambda: twice(lambda: farm.bot.stop(), lambda: farm.start_bot(wait=False)))
        step(lambda: twice(lambda: farm.bot.kill9(), lambda: farm.start_bot(wait=False)))

        def copier_stopped_mid_copy() -> None:
            farm.start_copier()
            for stop in (lambda: farm.copier.stop(), lambda: farm.copier.kill9()):
                wait_until(farm.copying, 30, "a copy in flight")
                twice(stop, farm.start_copier)
        step(copier_stopped_mid_copy)                    # its copies go on through the writer's restarts
        watch.watching = True                           # the writer's restarts must not even blip
        for sig in (signal.SIGTERM, signal.SIGKILL):
            killed = []
            for _ in range(2):                          # twice within 2 s
                writer = wait_until(lambda: (w := farm.writer()) is not None and w.pid not in killed and w, 10,
                                    "a store writer")
                writer.send_signal(sig)
                killed.append(writer.pid)
                time.sleep(1.0)
            wait_until(lambda: (w := farm.writer()) is not None and w.pid not in killed, 10, "a new store writer")
            time.sleep(0.5)
        wait_until(lambda: farm.plots() == {name: [sha] for name, sha in plots.items()}, 60,
                   lambda: f"each plot once in a target, intact, no partial left: {farm.plots()}")

        def client_first() -> None:
            farm.stop()
            farm.start_client()
            time.sleep(1.0)
            farm.start_bot()

        def bot_first() -> None:
            farm.stop()
            farm.start_bot()
            farm.start_client()
        step(client_first)
        step(bot_first)

        written = proofs.stop()
        wait_until(lambda: query(farm.database, "SELECT COUNT(*) FROM proof_events")[0][0] >= written, 30,
                   lambda: f"{written} proofs stored, not {query(farm.database, 'SELECT COUNT(*) FROM proof_events')}")
        time.sleep(1.0)                                 # a late duplicate would arrive now
        watch.stop()
        matrix_time = time.monotonic() - started

        stored = query(farm.database, "SELECT signage_point FROM proof_events")
        assert len(stored) == written and len(set(stored)) == written, (written, len(stored), len(set(stored)))
        deletes = query(farm.database, "SELECT 'x' FROM chia_service_events WHERE event_type = 'DELETE' AND seq > ?",
                        (baseline_seq,))
        for table in CHIA_TABLES[1:]:
            deletes += query(farm.database, f'SELECT id FROM "{table}_events" WHERE event_type = ? AND seq > ?',
                             ("DELETE", baseline_seq))
        assert deletes == []
        for table in STATE_TABLES:
            assert query(farm.database, DUPLICATES.format(table=f"{table}_events")) == [(0,)], table
        assert chia_state(farm.database) == baseline_state

        news = farm.alerts()[len(baseline_alerts):]
        assert [a for a in news if a != "Proof found"] == [], news
        # a bot killed between a send and its record may repeat that one alert (DESIGN.md): two kills
        assert written <= news.count("Proof found") <= written + 2, (written, news.count("Proof found"))
        assert watch.samples > 20 and watch.offline == [], watch.offline
        assert "testbox: online" in ask(config, "/machines")
        assert ask(config, "/alerts") == firing            # what the first sync raised, and nothing more
        print(f"restart matrix (without the first sync and the final checks): {matrix_time:.1f} s")
    finally:
        if proofs.is_alive():
            proofs.stop()
        farm.stop()
        fake.stop()
        shutil.rmtree(plotter, ignore_errors=True)
    for text in (farm.bot_log(), farm.client_log(), (tmp_path / "copier.log").read_text(errors="replace")):
        assert "Traceback" not in text
