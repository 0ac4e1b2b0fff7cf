"""The target's disk while a copy runs: the plot's space is reserved up front (fallocate with
FALLOC_FL_KEEP_SIZE, or a free-space check where the filesystem cannot), so a full disk is found
before a byte is written; and a disk unmounted under a copy is noticed while copying, not when the
plot ends."""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from copier import space
from copier.errors import TargetFull
from copier.mover import Reporter, move_plot
from tests.helpers.copier import digest, make_plot, status_of, write_config
from tests.helpers.waiting import wait_until

MB = 1_000_000
PARTIAL = ".teafarm-partial"


def move_into_full_disk(tmp_path: Path, disk: Path) -> tuple[list[int], bool]:
    """A 6 MB plot into a disk with 4 MB left: (bytes the copy wrote, whether TargetFull was raised)."""
    make_plot(tmp_path / "plotter", "plot-k32-full.plot", 6 * MB)
    (disk / "filler").write_bytes(b"\0" * 5 * MB)
    written: list[int] = []
    try:
        move_plot(tmp_path / "plotter" / "plot-k32-full.plot", 6 * MB, disk, verify_checksum=False,
                  stop=threading.Event(), reporter=Reporter(progress=written.append))
    except TargetFull:
        return written, True
    return written, False


def test_a_full_disk_is_found_before_a_byte_is_written(tmp_path, tmpfs):
    disk = tmpfs("hdd", 9)
    written, full = move_into_full_disk(tmp_path, disk)
    assert full and written == [], f"wrote {written[-1] if written else 0} bytes into a full disk first"
    assert sorted(p.name for p in disk.iterdir()) == ["filler"], "partial and owner file removed"
    assert (tmp_path / "plotter" / "plot-k32-full.plot").stat().st_size == 6 * MB


def test_without_fallocate_the_free_space_is_checked_and_nothing_written(tmp_path, tmpfs, monkeypatch):
    """ZFS, some NFS and FUSE cannot fallocate: statvfs decides, and no zeros are ever written."""
    def unsupported(fd: int, size: int) -> None:
        raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))
    monkeypatch.setattr(space, "fallocate_keep_size", unsupported)
    disk = tmpfs("hdd", 9)
    written, full = move_into_full_disk(tmp_path, disk)
    assert full and written == []

    fd = os.open(disk / "probe", os.O_WRONLY | os.O_CREAT)
    try:
        assert space.reserve(fd, 1 * MB, disk) is False, "checked, not reserved"
        assert os.fstat(fd).st_size == 0 and os.fstat(fd).st_blocks == 0, "nothing written"
    finally:
        os.close(fd)


def test_the_reserved_space_is_the_copys(tmp_path, tmpfs, start_copier):
    """Someone else filling the disk during the copy gets ENOSPC; the copy completes (before, the
    copy failed after most of the plot and started over elsewhere)."""
    source, disk = tmp_path / "plotter", tmpfs("hdd", 9)
    name = "plot-k32-reserved.plot"
    expected = make_plot(source, name, 6 * MB)
    copier = start_copier(write_config(tmp_path, [source], [disk], bandwidth_limit_mb=4.0))
    wait_until(lambda: (disk / (name + PARTIAL)).exists() and (disk / (name + PARTIAL)).stat().st_size > 0,
               45, "the copy to start", interval=0.02)
    assert (disk / (name + PARTIAL)).stat().st_size < 6 * MB, "KEEP_SIZE: the size still tells what was copied"

    with pytest.raises(OSError) as caught:
        (disk / "filler").write_bytes(b"\0" * 5 * MB)
    assert caught.value.errno == errno.ENOSPC
    (disk / "filler").unlink()

    wait_until(lambda: (disk / name).exists() and not (source / name).exists(), 45, "the plot to arrive")
    assert digest(disk / name) == expected
    wait_until(lambda: [j["state"] for j in status_of(tmp_path)["jobs"]] == ["done"], 45, "the job done, no failure")
    assert copier.running()


def test_an_unmounted_target_is_noticed_while_copying(tmp_path, tmpfs, start_copier):
    """`umount -l` under a copy: the copy fails within seconds (st_dev gone from the mount table),
    not after writing the whole plot into a disk nobody can reach."""
    source, disk = tmp_path / "plotter", tmpfs("hdd", 40)
    name = "plot-k32-unmount.plot"
    expected = make_plot(source, name, 16 * MB)   # 8 s at 2 MB/s
    copier = start_copier(write_config(tmp_path, [source], [disk], bandwidth_limit_mb=2.0,
                                       retired_probe_seconds=600.0))
    wait_until(lambda: (disk / (name + PARTIAL)).exists() and (disk / (name + PARTIAL)).stat().st_size > 0,
               45, "the copy to start", interval=0.02)

    subprocess.run(["umount", "-l", str(disk)], check=True)

    failed = wait_until(lambda: [j for j in status_of(tmp_path)["jobs"] if j["state"] == "failed"], 45,
                        "the copy to fail")
    assert "its disk was unmounted during the copy" in failed[0]["error"], failed
    assert failed[0]["bytes_done"] < failed[0]["bytes_total"], "noticed only when the plot ended"
    assert "retired" in copier.log
    copier.process.terminate()
    assert copier.process.wait(timeout=30) == 0
    assert digest(source / name) == expected and list(disk.iterdir()) == []


def ext2_disk(tmp_path: Path, name: str, size_mb: int) -> Path:
    """A small ext2 disk (a loop-mounted image): a filesystem without fallocate."""
    image, folder = tmp_path / f"{name}.img", tmp_path / name
    folder.mkdir()
    with open(image, "wb") as out:
        out.truncate(size_mb * 1024 * 1024)
    commands = (["mkfs.ext2", "-q", "-F", "-m", "0", str(image)], ["mount", "-o", "loop", str(image), str(folder)])
    mounted = shutil.which("mkfs.ext2") is not None and all(
        subprocess.run(command, capture_output=True).returncode == 0 for command in commands)
    if not mounted:
        reason = "cannot make and loop-mount an ext2 image here (needs mkfs.ext2, root and loop devices)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: a skipped mount test counts as a failure)")
        pytest.skip(reason)
    return folder


def test_without_fallocate_a_disk_full_mid_copy_goes_elsewhere(tmp_path, tmpfs, start_copier):
    """Where the space cannot be reserved, a disk someone else fills during the copy is marked full
    and the plot goes to another target."""
    source, other = tmp_path / "plotter", tmpfs("hdd-b", 8)
    roomy = ext2_disk(tmp_path, "hdd-a", 10)
    try:
        (roomy / "lost+found").rmdir()
        name = "plot-k32-full.plot"
        expected = make_plot(source, name, 6 * MB)
        copier = start_copier(write_config(tmp_path, [source], [roomy, other], bandwidth_limit_mb=4.0))
        wait_until(lambda: (roomy / (name + PARTIAL)).exists() and (roomy / (name + PARTIAL)).stat().st_size > 0,
                   45, "the copy into hdd-a to start", interval=0.02)
        with open(roomy / "filler", "wb") as filler:   # someone else fills the disk meanwhile
            try:
                filler.write(b"\0" * 10 * MB)
            except OSError:
                pass

        wait_until(lambda: (other / name).exists() and not (source / name).exists(), 45, "the plot at hdd-b")
        assert digest(other / name) == expected and not (roomy / name).exists()
        assert not (roomy / (name + PARTIAL)).exists()
        assert any("disk full" in j["error"] for j in status_of(tmp_path)["jobs"] if j["state"] == "failed")
        assert copier.running()
    finally:
        if subprocess.run(["umount", str(roomy)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(roomy)], capture_output=True)
