"""What ships for deployment stays true without building or installing anything: the systemd units
pass `systemd-analyze verify` (CI installs it where missing: .ci/run) and keep their hardening, and
the Dockerfile, .dockerignore and deploy/docker-compose.yml keep what the README promises."""
from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from bot.metrics.settings import DEFAULT_HEALTH
from tests.helpers.paths import REPO

UNITS = REPO / "deploy" / "systemd"
DOCKERFILE = REPO / "Dockerfile"
README = REPO / "README.md"
INSTALLED = "/opt/teafarm/.venv/bin/teafarm"   # where the units expect teafarm (the README's install)


def unit(name: str) -> dict[str, list[str]]:
    """A unit's [Service] section: key -> every value given (systemd keys repeat)."""
    parser = configparser.ConfigParser(strict=False, interpolation=None, dict_type=_Repeats)
    parser.optionxform = str
    parser.read_string((UNITS / name).read_text())
    return {key: value.split("\n") for key, value in parser["Service"].items()}


class _Repeats(dict):
    """configparser keeps the last of a repeated key; systemd adds them up: keep all, one a line."""

    def __setitem__(self, key, value):
        if isinstance(value, list) and key in self:
            self[key].extend(value)
        else:
            super().__setitem__(key, value)


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    """Verified where teafarm really is (verify checks that ExecStart's program exists); a warning
    (an unknown key, a typo in a section) fails the test as well as an error."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: .ci/run installs Debian's systemd package for it"
    teafarm = str(Path(sys.executable).parent / "teafarm")
    for source in UNITS.rglob("*"):
        target = tmp_path / source.relative_to(UNITS)
        if source.is_dir():
            target.mkdir()
        else:
            target.write_text(source.read_text().replace(INSTALLED, teafarm))
    names = sorted(p.name for p in tmp_path.glob("*.service"))
    assert names == ["teafarm-bot.service", "teafarm-client.service", "teafarm-copy.service"]
    result = subprocess.run([analyze, "verify", "--man=no", *names], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
    (tmp_path / "teafarm-copy.service.d" / "typo.conf").write_text("[Service]\nReadWritePath=/plots\n")
    typo = subprocess.run([analyze, "verify", "--man=no", "teafarm-copy.service"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert "Unknown key 'ReadWritePath'" in typo.stderr      # the drop-in folder is read: a check that checks


def test_every_unit_restarts_on_failure_and_is_hardened_without_hiding_what_it_needs():
    for name in ("teafarm-bot.service", "teafarm-client.service", "teafarm-copy.service"):
        service = unit(name)
        assert service["ExecStart"][0].startswith(INSTALLED), name
        assert service["Restart"] == ["on-failure"] and service["RestartPreventExitStatus"] == ["2"], name
        assert service["NoNewPrivileges"] == ["yes"] and service["ProtectSystem"] == ["strict"], name
        state = f"/var/lib/{service['StateDirectory'][0]}"
        assert state in service["ReadWritePaths"], f"{name}: its data dir must be writable"
    bot, client, copy = (unit(f"teafarm-{n}.service") for n in ("bot", "client", "copy"))
    assert bot["CapabilityBoundingSet"] == [""] and bot["PrivateDevices"] == ["yes"]
    # the client: chia's user and root, read-only; smartctl's capability and the disks, nothing more
    assert client["User"] == ["chia"] and client["ReadOnlyPaths"] == ["/home/chia/.chia"]
    assert client["ProtectHome"] == ["read-only"]
    assert client["AmbientCapabilities"] == client["CapabilityBoundingSet"] == ["CAP_SYS_RAWIO"]
    assert client["PrivateDevices"] == ["no"] and "block-sd r" in client["DeviceAllow"]
    # the copier: the same user and data dir as the client (which reads its status file); plots
    # are written only where it is allowed, more through the documented drop-in
    assert copy["User"] == client["User"] and copy["StateDirectory"] == client["StateDirectory"]
    assert copy["Environment"] == client["Environment"]
    assert "-/mnt -/media -/srv" in copy["ReadWritePaths"]
    assert "ReadWritePaths=" in (UNITS / "teafarm-copy.service.d" / "paths.conf").read_text()
    smart = (REPO / "monitor" / "client" / "smart.py").read_text()
    assert "CAP_SYS_RAWIO" in smart and "deploy/systemd/teafarm-client.service" in smart


def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def instruction(name: str) -> list[str]:
    return [line[len(name):].strip() for line in dockerfile() if line.startswith(name + " ")]


def test_the_image_is_pinned_runs_unprivileged_and_checks_its_health():
    (base,) = instruction("FROM")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base), base
    assert instruction("USER") == ["teafarm"]
    (check,) = instruction("HEALTHCHECK")
    host, port = DEFAULT_HEALTH.split(":")
    assert f"http://{host}:{port}/healthz" in check and host == "127.0.0.1"
    runs = " ".join(instruction("RUN"))
    assert "pip install" in runs and "[test]" not in runs and ".[" not in runs   # no test extras
    assert instruction("CMD") == ['["teafarm", "bot"]']


def test_the_image_is_installed_as_the_readme_says():
    readme = README.read_text()
    (base,) = instruction("FROM")
    assert f"`{base}`" in readme, "the README names the image's Python"
    version = re.fullmatch(r"python:(\d+\.\d+)\.\d+-.*", base).group(1)
    assert f"Python {version}+" in readme
    assert f'requires-python = ">={version}"' in (REPO / "pyproject.toml").read_text()
    docker_install = re.search(r"pip install ((?:--\S+ )*)(\S+)", " ".join(instruction("RUN")))
    readme_install = re.search(r"\.venv/bin/pip install (\S+)\n", readme)
    assert readme_install, "the README's install without make"
    assert docker_install.group(2) == readme_install.group(1) == "."


def test_the_build_context_and_compose_leave_out_what_does_not_belong():
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".venv", ".git", "tests"} <= ignored
    assert not ({"README.md", "pyproject.toml", "teafarm", "config.yml"} & ignored)   # the wheel needs these
    compose = yaml.safe_load((REPO / "deploy" / "docker-compose.yml").read_text())
    bot = compose["services"]["bot"]
    assert bot["build"]["context"] == ".." and (REPO / "deploy" / bot["build"]["context"] / "Dockerfile").is_file()
    assert "teafarm-data:/data" in bot["volumes"] and "teafarm-data" in compose["volumes"]
    assert "8443:8443" in bot["ports"] and bot["restart"] == "unless-stopped"
    assert not any(port.startswith("9916") for port in bot["ports"]), "/healthz stays inside the container"
