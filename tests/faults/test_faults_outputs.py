"""``-o`` onto what is not a plain file: character and block devices (as root, as CI runs), a
symbolic link, FIFOs with and without a reader, a directory; and SIGTERM in the middle of a
write. Nothing is replaced that is not a regular file, a link keeps pointing where it did, and
no temporary file is left behind.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

from support.faults import repro_cli, require_root
from support.paths import EXAMPLE


def card(tmp_path: Path, output: Path | str) -> subprocess.CompletedProcess[str]:
    return repro_cli("card", str(EXAMPLE), "-o", str(output), cwd=tmp_path)


def test_a_character_device_is_written_through_not_replaced(tmp_path: Path) -> None:
    require_root("mknod")
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of our own
    done = card(tmp_path, null)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(os.stat(null).st_mode) and os.stat(null).st_rdev == os.makedev(1, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_dev_stdout_writes_to_the_pipe(tmp_path: Path) -> None:
    done = card(tmp_path, "/dev/stdout")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("---\n")  # the card's YAML front matter


def test_a_block_device_is_refused(tmp_path: Path) -> None:
    require_root("mknod")
    disk = tmp_path / "disk"
    os.mknod(disk, stat.S_IFBLK | 0o600, os.makedev(7, 200))
    done = card(tmp_path, disk)
    assert done.returncode == 2
    assert done.stderr == f"repro: error: {disk}: is a block device; refusing to write over it\n"
    assert stat.S_ISBLK(os.stat(disk).st_mode)


def test_a_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "card.md"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "card.md"
    link.symlink_to(target)
    dangling = tmp_path / "new.md"
    dangling.symlink_to(tmp_path / "real" / "created.md")
    assert card(tmp_path, link).returncode == 0
    assert card(tmp_path, dangling).returncode == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("---\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert (tmp_path / "real" / "created.md").read_text() == target.read_text()
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["card.md", "created.md"]


def test_a_fifo_with_a_reader_receives_the_output(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = card(tmp_path, fifo)
    reader.join(30)
    assert done.returncode == 0, done.stderr
    assert received and received[0].startswith(b"---\n")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_fifo_nobody_reads_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    done = card(tmp_path, fifo)
    assert done.returncode == 2
    assert done.stderr == (
        f"repro: error: {fifo}: is a FIFO that no process is reading; start the reader first\n"
    )
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    done = card(tmp_path, tmp_path / "out")
    assert done.returncode == 2 and "is a directory" in done.stderr
    assert (tmp_path / "out").is_dir() and list((tmp_path / "out").iterdir()) == []


TERMINATED = """
import os, signal, sys
from repro.files.atomic import write_atomic

real_fsync = os.fsync

def fsync(fd):  # SIGTERM arrives while the data is being made durable
    os.kill(os.getpid(), signal.SIGTERM)
    real_fsync(fd)

os.fsync = fsync
write_atomic(sys.argv[1], "new contents" * 1000)
print("not reached")
"""


def test_sigterm_during_a_write_leaves_no_temp_file(tmp_path: Path) -> None:
    out = tmp_path / "card.md"
    out.write_text("old")
    done = subprocess.run(
        [sys.executable, "-c", TERMINATED, str(out)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -signal.SIGTERM, done.stderr  # the signal took its usual course
    assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.md"]
    assert out.read_text() == "old"
