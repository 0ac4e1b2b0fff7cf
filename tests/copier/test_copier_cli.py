"""`teafarm copy` refuses user mistakes with one line and exit status 2."""
from __future__ import annotations

import subprocess
from dataclasses import replace

import pytest

from copier.settings import check_settings
from copier.settings import CopierSettings
from teafarm.config import parse_config_file
from teafarm.typed_config import ConfigError
from tests.helpers.backbone import TEAFARM
from tests.helpers.copier import digest, make_plot, write_config
from tests.helpers.waiting import wait_until
from tests.helpers.paths import REPO


def copy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*TEAFARM, "copy", *args], capture_output=True, text=True, timeout=30)


def test_no_sources_is_one_line(tmp_path):
    done = copy("--config", str(write_config(tmp_path, [], [tmp_path / "t"])), "--once")
    assert done.returncode == 2
    assert done.stderr.strip() == "teafarm: error: copy.sources: no source folders (set copy.sources or pass --source)"


def test_unknown_key_and_bad_value_name_the_key(tmp_path):
    done = copy("--config", str(write_config(tmp_path, [tmp_path], [tmp_path], writers_per_disk=2)))
    assert done.returncode == 2 and "copy.writers_per_disk: unknown key" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("key, value, problem", [
    ("max_writers", 0, "copy.max_writers: must be at least 1, got 0"),
    ("bandwidth_limit_mb", -1.0, "copy.bandwidth_limit_mb: must not be negative, got -1.0"),
    ("scan_interval", 0.0, "copy.scan_interval: must be more than 0 seconds, got 0.0"),
    ("exclude_marker", "a/b", "copy.exclude_marker: must be a plain file name, got 'a/b'"),
])
def test_bad_values_name_the_key(key, value, problem):
    settings = replace(CopierSettings(sources=["/s"], targets=["/t"]), **{key: value})
    with pytest.raises(ConfigError) as caught:
        check_settings(settings)
    assert str(caught.value) == problem


def test_command_line_folders_override_the_config_and_same_filesystem_renames(tmp_path):
    source, target = tmp_path / "cli-source", tmp_path / "cli-target"
    expected = make_plot(source, "plot-k32-cli.plot", 1_000_000)
    inode = (source / "plot-k32-cli.plot").stat().st_ino
    config = write_config(tmp_path, [tmp_path / "elsewhere"], [tmp_path / "nowhere"])
    done = copy("--config", str(config), "--once", "--source", str(source), "--target", str(target))
    assert done.returncode == 0, done.stderr
    moved = target / "plot-k32-cli.plot"
    assert moved.stat().st_ino == inode and digest(moved) == expected, "same filesystem: a rename, not a copy"
    assert list(source.iterdir()) == [] and not (tmp_path / "nowhere").exists()


def test_a_second_copier_on_the_same_status_file_is_refused(tmp_path, start_copier):
    config = write_config(tmp_path, [tmp_path / "s"], [tmp_path / "t"])
    first = start_copier(config)
    wait_until(lambda: "teafarm copy:" in first.log, 45, "the first copier to start", interval=0.02)
    done = copy("--config", str(config), "--once")
    assert done.returncode == 2 and "another teafarm copy is running" in done.stderr
    assert first.running()


def test_documented_config_shows_every_copy_default():
    documented = parse_config_file(REPO / "config.yml").copy
    assert documented == CopierSettings()
    text = (REPO / "config.yml").read_text()
    section = text[text.index("\ncopy:"):]
    for key in vars(CopierSettings()):
        line = next(line for line in section.splitlines() if line.strip().startswith(f"{key}:"))
        assert "#" in line, f"copy.{key} needs a comment in config.yml"
