"""Replace the analysts' database whole or not at all.

The new state is built in a temporary copy next to the target (same folder, same file system): the previous file is
copied, the caller edits the copy, and the copy is flushed to disk and moved over the target with ``os.replace``
(atomic on POSIX), then the folder is flushed. A reader that opened the old file keeps seeing the old state; the next
reader sees the new one; nobody sees a half-written database. If the caller fails, or the process is killed, the
target is untouched; a temporary file left by a killed process is removed by the next edit (edits run under the
run lock, so no other process is writing one).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def replaced_atomically(target: Path) -> Iterator[Path]:
    """Yield the path of a copy of ``target`` (absent when the target is) to edit; on success it replaces the
    target atomically, on error it is removed and the target left as it was."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for leftover in target.parent.glob(f".{target.name}.*.tmp*"):
        leftover.unlink(missing_ok=True)
    try:
        if target.exists():
            shutil.copyfile(target, tmp)
        yield tmp
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
