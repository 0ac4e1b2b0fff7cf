"""A stand-in smartctl for the SMART tests, put on PATH by `install()`.

It answers like smartctl 7.3 with the JSON in tests/data/smartctl (recorded, or written to smartctl's
`--json` schema) as a scene file says, and appends each call's arguments to `calls.log` beside it.
The scene (JSON, rewritten by a test between reads):
    {"devices": {"/dev/sda": ["sat", "sata-healthy.json"], "/dev/sdb": ["sat", "hang"]},
     "scan_open_error": "Permission denied"}
`--scan-open` lists the scene's devices as smartctl does (each with `open_error` when the scene sets
one, as for an unprivileged user); `--json -a ... DEVICE` prints the device's file and exits with the
exit status written in it, or hangs ("hang", like smartctl on a dying disk).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "smartctl"
HEAD = {"version": [7, 3], "svn_revision": "5338", "platform_info": "x86_64-linux-6.1.0-18-amd64", "build_info": "(local build)"}
PROTOCOL = {"sat": ("ATA", " [SAT]"), "nvme": ("NVMe", ""), "scsi": ("SCSI", "")}


def install(folder: Path, scene: dict) -> Path:
    """A bin folder holding `smartctl` (this script) for PATH; `scene` is written to folder/scene.json."""
    folder.mkdir(parents=True, exist_ok=True)
    write_scene(folder, scene)
    bin_dir = folder / "bin"
    bin_dir.mkdir(exist_ok=True)
    command = bin_dir / "smartctl"
    command.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{Path(__file__).resolve()}' '{folder / 'scene.json'}' \"$@\"\n")
    command.chmod(0o755)
    return bin_dir


def write_scene(folder: Path, scene: dict) -> None:
    (folder / "scene.json").write_text(json.dumps(scene))


def calls(folder: Path) -> list[list[str]]:
    log = folder / "calls.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def scan(scene: dict, argv: list[str]) -> tuple[dict, int]:
    error = scene.get("scan_open_error", "")
    devices = []
    for name, (device_type, _) in scene["devices"].items():
        if error:   # not opened: smartctl shows its guess from the name, before autodetection
            device_type = "nvme" if "nvme" in name else "scsi"
        protocol, suffix = PROTOCOL.get(device_type, ("ATA", ""))
        entry = {"name": name, "info_name": name + ("" if error else suffix), "type": device_type, "protocol": protocol}
        if error:
            entry["open_error"] = error
        devices.append(entry)
    answer = {"json_format_version": [1, 0], "smartctl": {**HEAD, "argv": ["smartctl", *argv], "exit_status": 0}}
    if devices:     # smartctl leaves the key out when it finds nothing
        answer["devices"] = devices
    return answer, 0


def read(scene: dict, argv: list[str]) -> tuple[dict, int]:
    device = argv[-1]
    if device not in scene["devices"]:
        answer = {"json_format_version": [1, 0], "smartctl": {
            **HEAD, "argv": ["smartctl", *argv], "exit_status": 2,
            "messages": [{"string": f"Smartctl open device: {device} failed: No such device", "severity": "error"}]}}
        return answer, 2
    source = scene["devices"][device][1]
    if source == "hang":
        time.sleep(3600)
    answer = json.loads((DATA / source).read_text())
    return answer, answer["smartctl"]["exit_status"]


def main() -> int:
    scene_file, argv = Path(sys.argv[1]), sys.argv[2:]
    with open(scene_file.parent / "calls.log", "a") as log:
        log.write(json.dumps(argv) + "\n")
    scene = json.loads(scene_file.read_text())
    answer, status = scan(scene, argv) if "--scan-open" in argv else read(scene, argv)
    print(json.dumps(answer, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
