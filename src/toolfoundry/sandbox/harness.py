"""Runs inside the sandbox: sets limits, imports the candidate, calls it once per example, reports results.

Standalone on purpose (standard library only, nothing from toolfoundry): the sandbox binds this one file.
Protocol: a JSON job on stdin; one line per result on stdout, each starting with the job's nonce so that
text the candidate prints cannot pass for a result. The parent compares values; this only reports them.
"""

import io
import json
import math
import os
import resource
import signal
import sys
import types

CANDIDATE = "candidate.py"  # the name the code goes by in tracebacks (it comes in the job, not a file)
# Only what every run needs is imported at the start (each import costs a sandbox start a millisecond or
# more); what failures need is imported when one happens.


class ExampleTimeout(BaseException):
    """Raised by the per-example timer; a BaseException so `except Exception` in the candidate misses it."""


def _on_alarm(signum, frame):
    raise ExampleTimeout()


def set_limits(limits):
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))


def normalise(value, depth=0):
    """A JSON-able form of a return value: tuples and sets become lists, unknown objects their repr."""
    if depth > 50:
        return {"__repr__": "<too deep>"}
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, list | tuple):
        return [normalise(item, depth + 1) for item in value]
    if isinstance(value, set | frozenset):
        items = [normalise(item, depth + 1) for item in value]
        try:  # noqa: SIM105 (contextlib would cost every sandbox start an import)
            items.sort()
        except TypeError:
            pass  # mixed types keep their order
        return items
    if isinstance(value, dict):
        return {str(key): normalise(item, depth + 1) for key, item in value.items()}
    return {"__repr__": repr(value)[:500]}


class Silenced:
    """While the candidate runs, what it prints goes nowhere: stdout carries the results."""

    def __enter__(self):
        self.saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = io.StringIO(), io.StringIO()

    def __exit__(self, *exc_info):
        sys.stdout, sys.stderr = self.saved


def short_traceback(error, source):
    import linecache
    import traceback

    linecache.cache[CANDIDATE] = (len(source), None, source.splitlines(True), CANDIDATE)  # None: never stale
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == CANDIDATE]
    lines = [f"  line {frame.lineno}, in {frame.name}: {frame.line}" for frame in frames[-3:]]
    return "\n".join([*lines, f"{type(error).__name__}: {str(error)[:300]}"])


def _pump(source, target):
    import socket

    try:
        while True:
            chunk = source.recv(65536)
            if not chunk:
                break
            target.sendall(chunk)
        target.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _relay(listener, path):
    import socket
    import threading

    while True:
        inside, _ = listener.accept()
        outside = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            outside.connect(path)
        except OSError:
            inside.close()
            continue
        threading.Thread(target=_pump, args=(inside, outside), daemon=True).start()
        threading.Thread(target=_pump, args=(outside, inside), daemon=True).start()


def open_forwards(forwards):
    """Listen on each declared host:port inside the sandbox and relay to the parent's Unix socket."""
    if not forwards:
        return  # most tools: no network, and no socket or threading imports to pay for at every start
    import socket
    import threading

    for forward in forwards:
        family = socket.AF_INET6 if ":" in forward["host"] else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((forward["host"], forward["port"]))
        listener.listen(16)
        threading.Thread(target=_relay, args=(listener, forward["socket"]), daemon=True).start()


def load_candidate(code):
    """Run the candidate's source as module `candidate`: it comes in the job, so a sandbox can start (and
    import this harness) before the candidate exists. Tracebacks still show its lines, named CANDIDATE."""
    module = types.ModuleType("candidate")
    module.__file__ = CANDIDATE
    sys.modules["candidate"] = module  # dataclasses and pickle look their module up here
    with Silenced():
        exec(compile(code, CANDIDATE, "exec"), module.__dict__)
    return module


def emit(nonce, record):
    sys.__stdout__.write(nonce + json.dumps(record) + "\n")
    sys.__stdout__.flush()


def main():
    sys.__stdout__.write("ready\n")  # the parent prefers a sandbox that got this far (no nonce: not a result)
    sys.__stdout__.flush()
    job = json.loads(sys.stdin.read())
    sys.path.extend(job.get("sys_path", []))  # started with -S: packages are reachable, .pth files not run
    nonce = job["nonce"]
    signal.signal(signal.SIGALRM, _on_alarm)
    open_forwards(job.get("forwards", []))
    set_limits(job["limits"])
    try:
        module = load_candidate(job["code"])
        function = getattr(module, job["function"])
    except BaseException as error:  # any failure to import is a result, not a crash
        emit(
            nonce,
            {
                "index": -1,
                "status": "import-error",
                "exception": type(error).__name__,
                "traceback": short_traceback(error, job["code"]),
            },
        )
        return
    for example in job["examples"]:
        folder = os.path.join(job["workdir"], f"example{example['index']}")
        os.makedirs(folder, exist_ok=True)
        for relative, text in example["files"].items():
            path = os.path.join(folder, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        os.chdir(folder)
        record = {"index": example["index"]}
        signal.setitimer(signal.ITIMER_REAL, job["example_timeout"])
        try:
            with Silenced():
                value = function(**example["input"])  # parsed from the job for this call alone
            signal.setitimer(signal.ITIMER_REAL, 0)
            record |= {"status": "returned", "value": normalise(value), "repr": repr(value)[:500]}
        except ExampleTimeout:
            record |= {"status": "timeout"}
        except BaseException as error:  # SystemExit and the like are outcomes too
            signal.setitimer(signal.ITIMER_REAL, 0)
            record |= {
                "status": "raised",
                "exception": type(error).__name__,
                "mro": [cls.__name__ for cls in type(error).__mro__],
                "traceback": short_traceback(error, job["code"]),
            }
        emit(nonce, record)


if __name__ == "__main__":
    main()
    # The results are out: skip the interpreter's teardown (a few milliseconds of every run), and whatever
    # threads or atexit hooks the candidate left behind with it.
    sys.__stdout__.flush()
    os._exit(0)
