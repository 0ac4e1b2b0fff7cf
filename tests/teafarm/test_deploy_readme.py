"""README.md's "Deploying on a farm", run as written: on a fresh bot machine after a first start
(`make run`, i.e. `teafarm up` in the checkout), every fenced block of the section in order; a
second machine, with its own home and data folder, enrols by token and connects; revoking it ends
its stream. The commands come from the README, so the test fails when the README and the code drift.

What the README leaves to a person is done here: copying the token file between the machines, and
the ports (free ones instead of 8443 and 8442, which other tests may hold) and host (farm-bot is
this machine: localhost)."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.helpers.backbone import TEAFARM, TeafarmProcess
from tests.helpers.paths import REPO
from tests.helpers.ports import free_port
from tests.helpers.waiting import wait_until

LONG_RUNNING = {"bot": "teafarm bot running", "up": "teafarm bot running", "client": "connected to"}
TEST_ONLY = {"chia": {"enabled": False}}    # no chia on the test machine


def farm_section() -> str:
    """The steps of "Deploying on a farm", up to its first subsection (doctor, services, Docker)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.split(r"\n##+ ", text.split("## Deploying on a farm\n", 1)[1], maxsplit=1)[0]


def blocks(section: str) -> list[tuple[str, str, list[str]]]:
    """(language, machine, lines) of each fenced block; the machine is named by its first line's comment."""
    found = []
    for language, body in re.findall(r"```(bash|yaml)\n(.*?)\n\s*```", section, re.S):
        lines = [line.strip() if language == "bash" else line for line in body.splitlines()]
        indent = len(lines[0]) - len(lines[0].lstrip())
        lines = [line[indent:] for line in lines]
        machine = lines[0].lstrip("# ").split(":")[0].strip()
        found.append((language, machine, lines))
    return found


@dataclass
class Machine:
    folder: Path
    ports: dict[str, str]
    processes: list[TeafarmProcess] = field(default_factory=list)

    @property
    def home(self) -> Path:
        return self.folder / "home"

    @property
    def checkout(self) -> Path:
        return self.folder / "checkout"

    @property
    def config(self) -> Path:
        return self.home / ".config" / "teafarm" / "config.yml"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "HOME": str(self.home), "PYTHONUNBUFFERED": "1"}

    def localize(self, text: str) -> str:
        for port, free in self.ports.items():
            text = text.replace(port, free)
        return text.replace("farm-bot:", "localhost:")

    def merge_config(self, lines: list[str], path: Path | None = None) -> None:
        path = path or self.config
        config = yaml.safe_load(path.read_text()) if path.exists() else {}
        for name, values in [*(yaml.safe_load(self.localize("\n".join(lines))) or {}).items(), *TEST_ONLY.items()]:
            config.setdefault(name, {}).update(values)
        path.write_text(self.localize(yaml.safe_dump(config)))

    def run(self, line: str) -> str:
        command = re.sub(r"\s+#.*$", "", self.localize(line)).replace(".venv/bin/teafarm", shlex.quote(TEAFARM[0]))
        subcommand = shlex.split(command)[1]
        if subcommand in LONG_RUNNING:
            process = TeafarmProcess(shlex.split(command)[1:], self.checkout / f"{subcommand}.log", env={"HOME": str(self.home)})
            self.processes.append(process)
            wait_until(lambda: LONG_RUNNING[subcommand] in process.log_text() or process.proc.poll() is not None, 60,
                       f"`{line}` to start")
            assert process.proc.poll() is None, process.log_text()
            return process.log_text()
        result = subprocess.run(["bash", "-c", command], cwd=self.checkout, env=self.env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, f"`{line}` failed:\n{result.stdout}{result.stderr}"
        return result.stdout

    def stop(self) -> None:
        for process in reversed(self.processes):
            assert process.stop(signal.SIGTERM) == 0, process.log_text()
            assert "Traceback" not in process.log_text(), process.log_text()


def test_the_readme_farm_steps_take_a_second_machine_from_token_to_revoked(tmp_path):
    ports = {"8443": str(free_port()), "8442": str(free_port())}
    bot, harvester = Machine(tmp_path / "bot", ports), Machine(tmp_path / "harvester-7", ports)
    for machine in (bot, harvester):
        machine.checkout.mkdir(parents=True)
        machine.home.mkdir()
    # the first start: `make run` in the checkout, on its documented config.yml
    shutil.copyfile(REPO / "config.yml", bot.checkout / "config.yml")
    bot.merge_config([], bot.checkout / "config.yml")
    first = TeafarmProcess(["up"], bot.checkout / "first-start.log", env={"HOME": str(bot.home)})
    wait_until(lambda: "connected to" in first.log_text() or first.proc.poll() is not None, 60, "the first start")
    assert first.stop() == 0, first.log_text()
    assert (bot.home / ".local/share/teafarm/certs/ca.key").is_file()

    output = {}
    try:
        for language, name, lines in blocks(farm_section()):
            machine = harvester if name == "harvester-7" else bot
            assert name in ("bot machine", "harvester-7"), f"a block for an unknown machine: {name}"
            if language == "yaml":
                machine.merge_config(lines[1:])
                continue
            for line in lines[1:]:
                if "--enrol-file" in line:     # the token file travelled from the bot machine
                    shutil.copyfile(bot.checkout / "harvester-7.token", harvester.checkout / "harvester-7.token")
                output[line] = machine.run(line)
                if "certs revoke" in line:
                    client = harvester.processes[-1]
                    wait_until(lambda: "revoked" in client.log_text(), 60, "the client to be refused")
    finally:
        harvester.stop()
        bot.stop()

    steps = list(output)
    assert any("certs token harvester-7" in s for s in steps) and any("--enrol-file" in s for s in steps)
    machines = next(text for line, text in output.items() if '"/machines"' in line)
    assert "harvester-7: online" in machines, machines
    certs = next(text for line, text in output.items() if "certs list" in line)
    assert re.search(r"^harvester-7 +[0-9a-f]+ .* enrolled ", certs, re.M), certs
    key = harvester.home / ".local/share/teafarm/certs/harvester-7.key"
    assert key.stat().st_mode & 0o077 == 0
    client_log = (harvester.checkout / "client.log").read_text()
    assert "enrolled at localhost:" in client_log and "is revoked" in client_log
    # the user's file wins over the checkout's config.yml, and the log says which it is
    assert f"config: {bot.config};" in (bot.checkout / "bot.log").read_text()
