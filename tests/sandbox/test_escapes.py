"""Escape attempts run through the real bubblewrap sandbox. Each must end within its limits and leave the
host untouched. The code here bypasses the static checks on purpose: the kernel boundary is under test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import requires_sandbox, until
from toolfoundry.sandbox import SandboxLimits, run_in_sandbox

pytestmark = requires_sandbox
LIMITS = SandboxLimits(
    wall_seconds=8,
    example_seconds=4,
    cpu_seconds=3,
    processes=16,
    open_files=32,
    file_bytes=1024 * 1024,
    tmpfs_bytes=4 * 1024 * 1024,
    memory_bytes=512 * 1024 * 1024,
)


def attack(body: str, *, args: dict | None = None, limits: SandboxLimits = LIMITS):
    """Run `def attack(**args)` with `body` in the sandbox; returns the run and its one result (or None)."""
    code = "def attack(" + ", ".join(args or {}) + "):\n" + "\n".join("    " + line for line in body.splitlines())
    run = run_in_sandbox(code, "attack", [{"index": 0, "input": args or {}, "files": {}}], limits)
    return run, (run.results[0] if run.results else None)


def returned(result) -> object:
    assert result is not None and result["status"] == "returned", result
    return result["value"]


@pytest.fixture
def host_marker(tmp_path: Path) -> Path:
    return tmp_path / "escaped"


def test_class_hierarchy_walk_to_os_reaches_nothing(host_marker: Path) -> None:
    _run, result = attack(
        "for cls in ().__class__.__base__.__subclasses__():\n"
        "    if cls.__name__ == '_wrap_close':\n"
        "        os_module = cls.__init__.__globals__\n"
        "        return os_module['system'](f'touch {marker}')\n"
        "return 'no route'",
        args={"marker": str(host_marker)},
    )
    assert returned(result) != 0  # the shell ran, inside, and could not write the host path
    assert not host_marker.exists()


def test_os_system_and_subprocess_cannot_touch_the_host(host_marker: Path) -> None:
    _run, result = attack(
        "import os, subprocess\n"
        "os.system(f'echo pwned > {marker}')\n"
        "subprocess.run(['/bin/sh', '-c', f'echo pwned > {marker}'])\n"
        "return subprocess.run(['id', '-u'], capture_output=True, text=True).stdout.strip()",
        args={"marker": str(host_marker)},
    )
    assert returned(result) == "65534"  # nobody, not root
    assert not host_marker.exists()


def test_host_files_and_a_planted_secret_cannot_be_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("sk-planted-secret-0123456789")
    run, result = attack(
        "found = []\n"
        "for path in ['/etc/passwd', '/etc/shadow', secret, '/root/.bash_history']:\n"
        "    try:\n"
        "        found.append(open(path).read())\n"
        "    except OSError as error:\n"
        "        found.append(type(error).__name__)\n"
        "return found",
        args={"secret": str(secret)},
    )
    assert "sk-planted-secret" not in repr(result) and "sk-planted-secret" not in run.stderr
    assert returned(result) == ["FileNotFoundError"] * 4


def test_no_connection_to_a_listener_on_host_loopback() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    try:
        _run, result = attack(
            "import socket\n"
            "try:\n"
            "    socket.create_connection(('127.0.0.1', port), timeout=2).sendall(b'leak')\n"
            "    return 'connected'\n"
            "except OSError as error:\n"
            "    return type(error).__name__",
            args={"port": port},
        )
        assert returned(result) == "ConnectionRefusedError"  # the sandbox's own loopback, nothing listening
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()


def test_dns_lookups_fail() -> None:
    _run, result = attack(
        "import socket\n"
        "try:\n"
        "    return socket.getaddrinfo('pypi.org', 443)\n"
        "except OSError as error:\n"
        "    return type(error).__name__"
    )
    assert returned(result) == "gaierror"


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="ignore"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_bounded_fork_bomb_is_contained_and_leaves_nothing_behind() -> None:
    marker = f"forkbomb-{os.getpid()}-{time.time_ns()}"
    run, result = attack(
        "import os, time, sys\n"
        "children = 0\n"
        "try:\n"
        "    for _ in range(300):\n"
        "        if os.fork() == 0:\n"
        "            sys.argv[0] = marker\n"
        "            time.sleep(30)\n"
        "            os._exit(0)\n"
        "        children += 1\n"
        "except OSError:\n"
        "    pass\n"
        "return children",
        args={"marker": marker},
    )
    if run.process_limit in {"cgroup", "rlimit"}:
        assert returned(result) < LIMITS.processes
    assert until(lambda: _processes_with(marker) == [], seconds=5), _processes_with(marker)


def test_a_memory_bomb_fails_inside() -> None:
    _run, result = attack("hog = bytearray(4 * 1024 ** 3)\nreturn len(hog)")
    assert result is not None and result["status"] == "raised" and result["exception"] == "MemoryError"


def test_an_infinite_loop_is_stopped() -> None:
    _run, result = attack("while True:\n    pass", limits=SandboxLimits(example_seconds=1, wall_seconds=5))
    assert result == {"index": 0, "status": "timeout"}


def test_an_infinite_loop_that_swallows_the_timer_is_killed_by_cpu_or_wall_limits() -> None:
    limits = SandboxLimits(example_seconds=0.5, wall_seconds=4, cpu_seconds=2)
    run, result = attack(
        "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass",
        limits=limits,
    )
    assert result is None
    assert run.timed_out or (run.exit_code is not None and run.exit_code < 0)


def test_sleeping_forever_is_ended_by_the_parent() -> None:
    limits = SandboxLimits(example_seconds=60, wall_seconds=1.5)
    run, result = attack("import time\ntime.sleep(10 ** 6)", limits=limits)
    assert run.timed_out and result is None


def test_writes_outside_the_job_directory_fail(host_marker: Path) -> None:
    _run, result = attack(
        "outcomes = []\n"
        "for path in [marker, '/usr/pwned', '/sandbox/harness.py', '/pwned', '/job/ok.txt']:\n"
        "    try:\n"
        "        open(path, 'w').write('x')\n"
        "        outcomes.append('written')\n"
        "    except OSError as error:\n"
        "        outcomes.append(type(error).__name__)\n"
        "return outcomes",
        args={"marker": str(host_marker)},
    )
    outcomes = returned(result)
    assert outcomes[-1] == "written"  # the job directory is writable
    assert "written" not in outcomes[:-1]
    assert not host_marker.exists() and not Path("/usr/pwned").exists() and not Path("/pwned").exists()


def test_ctypes_calls_stay_inside(host_marker: Path) -> None:
    _run, result = attack(
        "import ctypes\nlibc = ctypes.CDLL(None)\nreturn [libc.system(f'touch {marker}'.encode()), libc.getuid()]",
        args={"marker": str(host_marker)},
    )
    _status, uid = returned(result)
    assert uid == 65534 and not host_marker.exists()


def test_environment_secrets_do_not_reach_the_sandbox(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-planted-key-abcdef")
    _run, result = attack(
        "import os, glob\n"
        "seen = dict(os.environ)\n"
        "for path in glob.glob('/proc/*/environ'):\n"
        "    try:\n"
        "        seen[path] = open(path, 'rb').read().decode(errors='ignore')\n"
        "    except OSError:\n"
        "        pass\n"
        "return seen"
    )
    assert "sk-test-planted-key" not in repr(returned(result))
    assert "OPENAI_API_KEY" not in returned(result)


def test_filling_the_disk_stops_at_the_tmpfs_or_file_limit() -> None:
    _run, result = attack(
        "written = 0\n"
        "chunk = b'x' * 65536\n"
        "try:\n"
        "    for index in range(10_000):\n"
        "        with open(f'/job/fill{index}', 'wb') as handle:\n"
        "            for _ in range(8):\n"
        "                handle.write(chunk)\n"
        "                written += len(chunk)\n"
        "except OSError as error:\n"
        "    return [written, error.errno]\n"
        "return [written, 0]"
    )
    written, errno_code = returned(result)
    assert errno_code == 28  # ENOSPC
    assert written <= LIMITS.tmpfs_bytes


def test_exhausting_file_descriptors_stops_at_the_limit() -> None:
    _run, result = attack(
        "handles = []\n"
        "try:\n"
        "    while True:\n"
        "        handles.append(open('/dev/null'))\n"
        "except OSError as error:\n"
        "    return [len(handles), error.errno]"
    )
    count, errno_code = returned(result)
    assert errno_code == 24 and count < LIMITS.open_files  # EMFILE


def test_a_double_forked_orphan_does_not_outlive_the_run(tmp_path: Path) -> None:
    marker = f"orphan-{os.getpid()}-{time.time_ns()}"
    _run, result = attack(
        "import os, sys, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        sys.argv[0] = marker\n"
        "        time.sleep(3)\n"
        "        open(f'/job/{marker}', 'w').write('late')\n"
        "        os._exit(0)\n"
        "    os._exit(0)\n"
        "return 'parent done'",
        args={"marker": marker},
    )
    assert returned(result) == "parent done"
    assert until(lambda: _processes_with(marker) == [], seconds=5), _processes_with(marker)


KILL_THE_HOST_PROCESS_THEN_THE_PARENT = (
    "import os, signal\n"
    "outcomes = []\n"
    "for pid in [victim, *([os.getppid(), 1] if kill_parent else [])]:\n"
    "    try:\n"
    "        os.kill(pid, signal.SIGKILL)\n"
    "        outcomes.append('sent')\n"
    "    except OSError as error:\n"
    "        outcomes.append(type(error).__name__)\n"
    "return outcomes"
)


@pytest.fixture
def victim():
    """A host process that code in the sandbox will try to kill by its host PID."""
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def test_killing_a_host_process_by_pid_works_without_the_sandbox(victim) -> None:
    # The control: the same attack, unsandboxed (the explicit opt-out), does kill it.
    code = "def attack(victim, kill_parent):\n" + "\n".join(
        "    " + line for line in KILL_THE_HOST_PROCESS_THEN_THE_PARENT.splitlines()
    )
    example = {"index": 0, "input": {"victim": victim.pid, "kill_parent": False}, "files": {}}
    run = run_in_sandbox(code, "attack", [example], LIMITS, unsandboxed=True)
    assert returned(run.results[0]) == ["sent"]
    assert victim.wait(timeout=10) == -signal.SIGKILL


def test_signalling_the_parent_process_reaches_only_the_sandbox(victim) -> None:
    parent = os.getppid()
    run, result = attack(KILL_THE_HOST_PROCESS_THEN_THE_PARENT, args={"victim": victim.pid, "kill_parent": True})
    # Every PID the code can signal is in the sandbox's own PID namespace: the host process's PID names no
    # process there, and the parent it sees is the sandbox's init, which ignores signals from inside.
    assert returned(result)[0] == "ProcessLookupError"
    assert victim.poll() is None
    assert os.getppid() == parent
    assert run.exit_code == 0


def test_children_share_one_memory_limit_for_the_whole_run() -> None:
    """Each process alone stays under the run's 512 MiB, three of them together do not: the memory cgroup
    ends it (RLIMIT_AS alone let four children of 400 MB add 1.6 GB to the host)."""
    from toolfoundry.sandbox.process import ProcessCgroup

    probe = ProcessCgroup(4, LIMITS.memory_bytes)
    held, probe_memory = probe.memory is not None, probe.memory
    probe.close()
    if not held:
        pytest.skip("no writable memory cgroup here: each process is bounded alone (RLIMIT_AS)")
    assert probe_memory is not None and not probe_memory.exists()
    run, result = attack(
        "import os, time\n"
        "children = []\n"
        "for _ in range(3):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        block = b'x' * (300 * 1024 * 1024)\n"
        "        time.sleep(1)\n"
        "        os._exit(0)\n"
        "    children.append(pid)\n"
        "return [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]"
    )
    # The kernel's OOM killer ends what it must inside the cgroup: a child (its status says -9) or the run.
    if result is None:
        assert run.exit_code is not None and run.exit_code < 0, run
    else:
        assert result["status"] == "returned" and -9 in result["value"], result
