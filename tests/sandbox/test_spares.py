"""Sandboxes started ahead of need (sandbox/spares.py): each still runs one candidate, then goes; and what a
killed process left behind is cleared by the next."""

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.helpers import requires_sandbox, until
from toolfoundry.sandbox import SPARES, SandboxLimits, Spares, process, run_in_sandbox

pytestmark = requires_sandbox
LIMITS = SandboxLimits(wall_seconds=8)


def call(code: str) -> object:
    run = run_in_sandbox(code, "probe", [{"index": 0, "input": {}, "files": {}}], LIMITS)
    assert run.results and run.results[0]["status"] == "returned", (run.results, run.stderr)
    return run.results[0]["value"]


LEAVE_TRACES = (
    "import json, os, sys\n"
    "def probe():\n"
    "    json.LEFT = 'by the first'\n"
    "    sys.modules['os'].environ['LEFT'] = '1'\n"
    "    open('/tmp/left', 'w').write('x')\n"
    "    open('/job/left', 'w').write('x')\n"
    "    return 'done'\n"
)
FIND_TRACES = (
    "import json, os\n"
    "def probe():\n"
    "    return [hasattr(json, 'LEFT'), 'LEFT' in os.environ, os.path.exists('/tmp/left'),\n"
    "            os.path.exists('/job/left'), os.path.exists('/job/example0/left')]\n"
)


def test_a_spare_is_ready_after_a_run_and_the_next_candidate_finds_nothing_of_the_last() -> None:
    assert call(LEAVE_TRACES) == "done"
    assert until(lambda: SPARES.idle() >= 1), "no spare sandbox was started"
    for _ in range(3):  # every later run comes from a spare, and each is fresh
        assert call(FIND_TRACES) == [False] * 5
        assert call(LEAVE_TRACES) == "done"


def test_a_spare_killed_while_it_waits_is_never_handed_out() -> None:
    call("def probe():\n    return 1\n")
    assert until(lambda: SPARES.idle() >= 1)
    with SPARES._lock:
        waiting = [started for group in SPARES._idle.values() for started in group]
    for started in waiting:
        os.killpg(started.process.pid, signal.SIGKILL)
        started.process.wait()
    assert call("def probe():\n    return 2\n") == 2


def test_closing_the_spares_leaves_no_process_cgroup_or_folder() -> None:
    spares = Spares(most=2)
    assert spares.take(LIMITS) is None  # none yet: the caller starts its own, and two are asked for
    assert until(lambda: spares.idle() == 2)
    with spares._lock:
        waiting = [started for group in spares._idle.values() for started in group]
    assert until(lambda: all(started.ready() for started in waiting))
    folders = [Path(started.folder.name) for started in waiting]
    cgroups = [started.cgroup.path for started in waiting if started.cgroup and started.cgroup.path]
    spares.close()
    assert all(started.process.poll() is not None for started in waiting)
    assert not any(folder.exists() for folder in folders)
    assert not any(path.exists() for path in cgroups)
    assert spares.take(LIMITS) is None and spares.idle() == 0  # closed: nothing more is started


def test_spares_can_be_turned_off(monkeypatch) -> None:
    monkeypatch.setenv("TOOLFOUNDRY_SANDBOX_SPARES", "0")
    spares = Spares()
    assert spares.most == 0
    assert spares.take(LIMITS) is None
    # Nothing was asked of the spares' thread: there is none, so nothing can be started later either.
    assert spares._thread is None and spares.idle() == 0
    spares.close()


def test_what_a_killed_process_left_is_removed_and_nothing_of_a_living_one() -> None:
    # SIGKILL leaves a run's sandbox folders behind (the soak test does it on purpose); their names carry the
    # maker's pid, and the next process to start a sandbox removes those whose maker is gone.
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = Path(tempfile.gettempdir()) / f"toolfoundry-sandbox-{gone.pid}-left"
    living = Path(tempfile.gettempdir()) / f"toolfoundry-sandbox-{os.getpid()}-mine"
    try:
        for folder in (stale, living):
            (folder / "sandbox").mkdir(parents=True)
            (folder / "stdout").write_text("x")
        removed = process.remove_what_dead_processes_left.__wrapped__()
        assert stale in removed and not stale.exists()
        assert living.exists() and living not in removed
    finally:
        shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(living, ignore_errors=True)
