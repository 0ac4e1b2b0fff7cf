"""Copy speed: the copier against `cp` + `sync` on the same files and disks (not part of the tests).

    .venv/bin/python -m bench.copy [--total-mib 1024] [--files 4] [--runs 3] [--work /var/tmp/teafarm-copy-bench]

1. One stream, source and target folders on the disk holding --work: the copier's copy path (copy to a
   partial file, fsync, rename, fsync the folder) against `cp FILES DIR && sync`.
2. Two targets on separate devices (two loop-mounted ext4 images when this machine can make them,
   else two tmpfs): the real copier loop with one writer per target against two `cp` in parallel + sync,
   and the copier with one target for scale.
The page cache is dropped before every run where the kernel lets us (root: /proc/sys/vm/drop_caches);
the output says whether it was. Needs root for the mounts; falls back and says so.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from copier.copier import Copier
from copier.mover import copy_plot
from copier.progress import Progress
from copier.settings import CopierSettings

MIB = 1024 * 1024


def drop_caches() -> bool:
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as control:
            control.write("3\n")
        return True
    except OSError:
        return False


def make_files(folder: Path, count: int, size: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        path = folder / f"plot-k32-bench-{i}.plot"
        if not path.exists() or path.stat().st_size != size:
            with open(path, "wb") as out:
                for _ in range(size // (8 * MIB)):
                    out.write(os.urandom(8 * MIB))
                out.write(os.urandom(size % (8 * MIB)))
        files.append(path)
    os.sync()
    return files


def empty(*folders: Path) -> None:
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        for path in folder.iterdir():
            if path.is_file():
                path.unlink()
    os.sync()


def staged(files: list[Path], stage: Path) -> list[Path]:
    """Hard links to the sources: the copier deletes what it moved, the originals stay for the next run."""
    empty(stage)
    links = []
    for path in files:
        os.link(path, stage / path.name)
        links.append(stage / path.name)
    return links


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def cp_sync(groups: list[tuple[list[Path], Path]]) -> None:
    """`cp` per target folder (in parallel when several), then one `sync`."""
    processes = [subprocess.Popen(["cp", *map(str, files), str(folder)]) for files, folder in groups]
    for process in processes:
        if process.wait() != 0:
            raise SystemExit("cp failed")
    subprocess.run(["sync"], check=True)


def copier_stream(links: list[Path], folder: Path) -> None:
    stop = threading.Event()
    for link in links:
        copy_plot(link, link.stat().st_size, folder, verify_checksum=False, stop=stop, limiter=None,
                  progress=lambda done: None)


def copier_loop(stage: Path, targets: list[Path], status: Path) -> None:
    settings = CopierSettings(sources=[str(stage)], targets=[str(t) for t in targets], stable_seconds=0.0,
                              writers_per_target=1, max_writers=len(targets), scan_interval=0.2)
    code = Copier(settings, status, threading.Event(), Progress(None, 1e9)).run(once=True)
    if code != 0 or any(stage.iterdir()):
        raise SystemExit("the copier left plots behind")


def rate(total: int, seconds: float) -> str:
    return f"{total / seconds / 1e6:8.1f} MB/s ({seconds:6.2f} s)"


def interleaved(runs: int, cases: list[tuple[str, int, object, object]]) -> list[float]:
    """Run each case `runs` times, taking turns (so a slow minute of a shared disk hits all alike);
    print and return the median seconds of each."""
    times: list[list[float]] = [[] for _ in cases]
    for _ in range(runs):
        for i, (_, _, prepare, action) in enumerate(cases):
            prepare()
            drop_caches()
            times[i].append(timed(action))
    medians = []
    for (label, total, _, _), seconds in zip(cases, times):
        medians.append(statistics.median(seconds))
        print(f"  {label:<44} {rate(total, medians[-1])}   runs: {', '.join(f'{t:.2f}' for t in seconds)} s")
    return medians


def mount_devices(work: Path, size_mib: int) -> tuple[list[Path], str]:
    """Two separate filesystems: loop-mounted ext4 images if possible, else tmpfs."""
    mounts = [work / "dev-a", work / "dev-b"]
    for mount in mounts:
        mount.mkdir(parents=True, exist_ok=True)
    try:
        for mount in mounts:
            image = mount.with_suffix(".img")
            with open(image, "wb") as out:
                out.truncate(size_mib * MIB)
            subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True, capture_output=True)
            subprocess.run(["mount", "-o", "loop", str(image), str(mount)], check=True, capture_output=True)
        return mounts, "loop devices (ext4 images on the same disk as the source)"
    except (OSError, subprocess.CalledProcessError):
        unmount(mounts)
        for mount in mounts:
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", str(mount)], check=True)
        return mounts, "tmpfs (RAM)"


def unmount(mounts: list[Path]) -> None:
    for mount in mounts:
        while os.path.ismount(mount):
            subprocess.run(["umount", str(mount)], check=False)
        image = mount.with_suffix(".img")
        if image.exists():
            image.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total-mib", type=int, default=1024, help="total size of the test plots")
    parser.add_argument("--files", type=int, default=4, help="number of test plots")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (the median is shown)")
    parser.add_argument("--work", type=Path, default=Path("/var/tmp/teafarm-copy-bench"))
    args = parser.parse_args()
    size = args.total_mib * MIB // args.files
    total = size * args.files
    work = args.work
    files = make_files(work / "source", args.files, size)
    stage, target = work / "stage", work / "target"
    device = subprocess.run(["df", "--output=source", str(work)], capture_output=True, text=True).stdout.split()[-1]
    print(f"{args.files} plots of {size / MIB:.0f} MiB ({total / MIB:.0f} MiB), work folder {work} on {device}")

    print("one stream, source and target on the same disk (fsync included on both sides):")
    cp_s, copier_s = interleaved(args.runs, [
        ("cp + sync", total, lambda: empty(target), lambda: cp_sync([(files, target)])),
        ("copier (copy_plot: partial, fsync, rename)", total, lambda: (empty(target), staged(files, stage)),
         lambda: copier_stream(sorted(stage.iterdir()), target)),
    ])
    print(f"  copier / cp = {cp_s / copier_s:.3f}")
    print(f"  page cache dropped before each run: {'yes' if drop_caches() else 'no (not permitted here)'}")
    empty(target)

    mounts, kind = mount_devices(work, args.total_mib + 64)
    try:
        print(f"two targets on separate devices: {kind}")
        half = len(files) // 2
        groups = [(files[:half], mounts[0]), (files[half:], mounts[1])]
        status = Path(tempfile.mkdtemp()) / "status.json"
        cp2_s, loop2_s, loop1_s = interleaved(args.runs, [
            ("2 x cp in parallel + sync", total, lambda: empty(*mounts), lambda: cp_sync(groups)),
            ("copier, 2 targets, 1 writer each", total, lambda: (empty(*mounts), staged(files, stage)),
             lambda: copier_loop(stage, mounts, status)),
            ("copier, 1 target (for scale)", total // 2, lambda: (empty(*mounts), staged(files[:half], stage)),
             lambda: copier_loop(stage, mounts[:1], status)),
        ])
        print(f"  copier aggregate with 2 targets / 2 x cp = {cp2_s / loop2_s:.3f}; "
              f"2 targets / 1 target = {loop1_s / (total // 2) * total / loop2_s:.2f}x")
        empty(*mounts)
    finally:
        unmount(mounts)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
