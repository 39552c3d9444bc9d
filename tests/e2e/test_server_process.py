"""The server process itself: how many event loops it runs for the cores it may use."""
import os
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
