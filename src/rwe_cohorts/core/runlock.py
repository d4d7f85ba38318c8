"""One writer at a time, first come first served: an exclusive run lock with a FIFO queue of tickets.

DuckDB allows one writer process per database file, and a study run writes the data cut's warehouse, the shared
Great Expectations project and the published analysts' database. Every run therefore holds this lock for its whole
duration, whoever launched it (``rwe run``, ``dagster dev``, the daemon). Waiting runs queue in arrival order:

- a run writes a ticket file ``<queue>/<arrival ns>-<pid>-<name>`` and waits until its ticket is the oldest ticket
  whose process is alive, then takes an ``flock`` on ``<folder>/run.lock`` (the kernel releases it if the process
  dies, so a killed run never leaves the lock held);
- tickets of processes that no longer exist are removed by whoever sees them.

The order of two runs started together is therefore the order in which their tickets were written, and the second
run starts only after the first has released the lock.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_TICKET = re.compile(r"^(\d{20})-(\d+)-(.*)$")


class RunLockTimeout(TimeoutError):
    """The lock was not granted within the time allowed; names the run holding or ahead in the queue."""


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _queue(folder: Path) -> list[tuple[str, int, str, Path]]:
    """Live tickets, oldest first (stale ones are removed)."""
    out = []
    for path in (folder / "queue").iterdir():
        m = _TICKET.match(path.name)
        if not m:
            continue
        pid = int(m.group(2))
        if not _alive(pid):
            path.unlink(missing_ok=True)
            continue
        out.append((m.group(1), pid, m.group(3), path))
    return sorted(out)


@contextmanager
def run_lock(
    folder: Path,
    name: str,
    *,
    timeout_s: float = 24 * 3600,
    poll_s: float = 0.25,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the exclusive run lock of ``folder`` (queued first come, first served) for the ``with`` block.

    ``name`` identifies the holder in messages (a Dagster run id, say). ``on_wait`` is told once whom we wait for.
    """
    folder = Path(folder)
    (folder / "queue").mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80]
    ticket = folder / "queue" / f"{time.time_ns():020d}-{os.getpid()}-{safe}"
    ticket.touch()
    fh = (folder / "run.lock").open("a+")
    told = False
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            queue = _queue(folder)
            ahead = [q for q in queue if q[3].name < ticket.name]
            if not ahead:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    pass
            if on_wait and not told:
                on_wait(ahead[0][2] if ahead else "the run holding the lock")
                told = True
            if time.monotonic() > deadline:
                holder = ahead[0][2] if ahead else "another run"
                raise RunLockTimeout(
                    f"run lock {folder / 'run.lock'} not granted in {timeout_s:.0f} s (waiting for {holder})"
                )
            time.sleep(poll_s)
        yield
    finally:
        ticket.unlink(missing_ok=True)
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()
