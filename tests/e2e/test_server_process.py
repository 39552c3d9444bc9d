"""The server process itself: how many event loops it runs for the cores it may use, and the start-up pages
of the executable it hands back once it listens."""
import os
import time
from pathlib import Path

import pytest

from conftest import Coffer


def event_loop_threads(pid: int) -> int:
    return sum(1 for task in Path(f"/proc/{pid}/task").iterdir()
               if (task / "comm").read_text().startswith("NIO-ELT"))


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two usable cores")
def test_event_loops_follow_the_affinity_mask(binary, tmp_path):
    # Started under an affinity of one core (as `taskset -c 0` does), the server runs one event
    # loop, not one per core of the machine; with every core allowed again, more than one.
    allowed = os.sched_getaffinity(0)
    pinned, free = Coffer(binary, tmp_path / "pinned"), Coffer(binary, tmp_path / "free")
    os.sched_setaffinity(0, {min(allowed)})
    try:
        pinned.start()
    finally:
        os.sched_setaffinity(0, allowed)
    try:
        free.start()
        for node in (pinned, free):
            sm = node.client()
            sm.create_secret(Name="threads/probe", SecretString="v")
            assert sm.get_secret_value(SecretId="threads/probe")["SecretString"] == "v"
        assert event_loop_threads(pinned.proc.pid) == 1
        assert event_loop_threads(free.proc.pid) > 1
    finally:
        pinned.stop()
        free.stop()


def executable_resident_kib(pid: int) -> tuple[int, int]:
    """Resident KiB of the executable's read-only and writable mappings (from /proc/PID/smaps)."""
    exe = os.readlink(f"/proc/{pid}/exe")
    read_only = writable = 0
    current = None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and not fields[0].endswith(":"):
            current = ("w" in fields[1]) if len(fields) > 5 and fields[5] == exe else None
        elif fields[0] == "Rss:" and current is not None:
            if current:
                writable += int(fields[1])
            else:
                read_only += int(fields[1])
    return read_only, writable


def test_start_up_pages_of_the_executable_are_handed_back_once_listening(binary, tmp_path):
    # At idle, the server that released its start-up pages holds much less of the executable's code
    # and constants than one that kept them (the release runs just after it starts listening, so it is
    # waited for), and both answer the same calls afterwards.
    released = Coffer(binary, tmp_path / "released")
    kept = Coffer(binary, tmp_path / "kept", env={"COFFER_KEEP_STARTUP_PAGES": "1"})
    try:
        kept.start()
        released.start()
        time.sleep(0.5)
        kept_ro, kept_rw = executable_resident_kib(kept.proc.pid)
        deadline = time.monotonic() + 10
        while (released_ro := executable_resident_kib(released.proc.pid)[0]) >= 0.8 * kept_ro and time.monotonic() < deadline:
            time.sleep(0.1)
        assert released_ro < 0.8 * kept_ro, (released_ro, kept_ro)
        assert kept_rw > 0
        for node in (released, kept):
            sm = node.client()
            sm.create_secret(Name="pages/probe", SecretString="v")
            assert sm.get_secret_value(SecretId="pages/probe")["SecretString"] == "v"
    finally:
        released.stop()
        kept.stop()
