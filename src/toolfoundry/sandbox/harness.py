"""Runs inside the sandbox: sets limits, imports the candidate, calls it once per example, reports results.

Standalone on purpose (standard library only, nothing of toolfoundry's but the two modules shipped beside it,
`_toolfoundry.protocol` and `_toolfoundry.values`, which the host imports too). Protocol: a JSON job on stdin
(protocol.Job); one line per result on stdout (protocol.Record), each starting with the job's nonce so that
text the candidate prints cannot pass for a result. The parent compares values; this only reports them.
"""

import io
import json
import os
import resource
import signal
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # started with -I: its own folder is not there
from _toolfoundry import protocol
from _toolfoundry.values import normalise, type_problem

CANDIDATE = "candidate.py"  # the name the code goes by in tracebacks (it comes in the job, not a file)
# Imported at the start: what every run needs (an import costs each start 1 ms or more); the rest on failure.


class ExampleTimeout(BaseException):
    """Raised by the per-example timer; a BaseException so `except Exception` in the candidate misses it."""


def _on_alarm(signum, frame):
    raise ExampleTimeout()


def set_limits(limits):
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))


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
    return "\n".join([*lines, f"{type(error).__name__}: {protocol.safe_str(error)[:300]}"])


def _pump(source, target):
    import socket

    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
        target.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _splice(inside, outside):
    import threading  # both ways, then both sockets closed: descriptors are few in here (64)

    try:
        back = threading.Thread(target=_pump, args=(outside, inside), daemon=True)
        back.start()
        _pump(inside, outside)
        back.join()
    finally:  # a thread that could not start (the process limit counts threads) drops this connection only
        inside.close()
        outside.close()


def _relay(listener, path):
    import socket
    import threading
    import time

    while True:
        try:
            inside, _ = listener.accept()
        except OSError:  # out of descriptors for now: the connections being relayed will free some
            time.sleep(0.05)
            continue
        outside = None
        try:
            outside = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            outside.connect(path)
            threading.Thread(target=_splice, args=(inside, outside), daemon=True).start()
        except (OSError, RuntimeError):  # no descriptor or thread to spare: this connection alone is dropped
            inside.close()
            if outside is not None:
                outside.close()


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


def run_probes(job, function, nonce):
    """Each probe is called twice on fresh copies of its input: an exception, a result that does not fit the
    output type, or two different results are reported; the parent decides what the spec allows. Probing
    stops at the first probe that runs out of time, or when the probes' time budget is spent."""
    import hashlib
    import time

    started = time.monotonic()
    for probe in job["probes"]:
        if time.monotonic() - started > job["probe_seconds"]:
            emit(nonce, {"probe": probe["index"], "status": protocol.BUDGET})
            return
        folder = os.path.join(job["workdir"], f"probe{probe['index']}")
        record = {"probe": probe["index"]} | call_in(folder, probe, function, job, twice=True)
        unanswered = record.get("http", {}).get("unrecorded")
        if unanswered:  # what the service says to a request no one recorded, the spec cannot tell
            record = {"probe": probe["index"], "status": protocol.UNANSWERED, "requests": unanswered[:3]}
        if record["status"] == protocol.RETURNED:
            values, value = record.pop("values"), record.pop("value")
            digests = [hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()[:16] for v in values]
            record |= {"digest": digests[0], "same": digests[0] == digests[1]}
            try:
                record["type_problem"] = type_problem(value, job["returns"])
            except Exception as error:  # a returned object whose comparison or iteration raises
                record["type_problem"] = f"the result could not be inspected ({type(error).__name__})"
        emit(nonce, record)
        if record["status"] == protocol.TIMEOUT:
            return


def place_files(folder, files):
    """Make `folder` the working directory, holding `files` (relative path -> text, or {"base64": ...})."""
    os.makedirs(folder, exist_ok=True)
    for relative, content in files.items():
        path = os.path.join(folder, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(content, str):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(content)
        else:
            import base64

            with open(path, "wb") as handle:
                handle.write(base64.b64decode(content["base64"]))
    os.chdir(folder)


def read_folder(folder, most_files=64, most_bytes=256 * 1024):
    """What `folder` holds after a call, by relative path: each file's bytes in base64 (its size and sha256 past
    `most_bytes`), a link's target; under protocol.LISTING_CUT, why the listing is not whole."""
    import base64
    import hashlib

    found = {}
    for root, folders, names in os.walk(folder):
        folders.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            if len(found) == most_files:
                return found | {protocol.LISTING_CUT: {"cut": f"more than {most_files} files"}}
            if os.path.islink(path):
                found[os.path.relpath(path, folder)] = {"link": os.readlink(path)}
                continue
            if not os.path.isfile(path):  # a FIFO or a device left behind: never opened (it could block)
                found[os.path.relpath(path, folder)] = {"special": True}
                continue
            with open(path, "rb") as handle:
                data = handle.read()
            small = len(data) <= most_bytes
            entry = {"base64": base64.b64encode(data).decode()} if small else {"size": len(data)}
            found[os.path.relpath(path, folder)] = entry | (
                {} if small else {"sha256": hashlib.sha256(data).hexdigest()}
            )
    return found


def call_in(folder, example, function, job, twice=False):
    """Call the function on one example's input in its own folder with its files; the outcome as a record
    (with what the folder holds afterwards when the host asks). Called `twice` (the probes), the second call
    gets a fresh copy of the folder: equal starting states, so a tool that writes is not taken for one whose
    results vary."""
    place_files(folder, example["files"])
    replay = None
    if example.get("http") is not None:  # recorded exchanges answer its requests (vcrpy, imported only here)
        from _toolfoundry.replay import Replay

        replay = Replay(example["http"])
        function = replay.around(function)
    encoded = json.dumps(example["input"]) if twice else ""
    signal.setitimer(signal.ITIMER_REAL, job["example_timeout"])
    try:
        with Silenced():
            value = function(**example["input"])  # parsed from the job for this call alone
            if twice:
                place_files(folder + "-again", example["files"])
                again = function(**json.loads(encoded))  # a fresh copy of the input too: the first may mutate it
        signal.setitimer(signal.ITIMER_REAL, 0)
        record = {"status": protocol.RETURNED, "value": value, "repr": repr(value)[:500]}
        if twice:
            record["values"] = (normalise(value), normalise(again))
        else:
            record["value"] = normalise(value)
    except ExampleTimeout:
        return {"status": protocol.TIMEOUT}
    except BaseException as error:  # SystemExit and the like are outcomes too
        signal.setitimer(signal.ITIMER_REAL, 0)
        record = protocol.raised(error) | {"traceback": short_traceback(error, job["code"])}
    if replay is not None:
        record["http"] = replay.report()
    if example.get("read_back"):
        try:
            record["files_after"] = read_folder(folder)
        except OSError as error:
            record["files_after"] = {
                protocol.LISTING_CUT: {"cut": f"the folder could not be read ({type(error).__name__})"}
            }
    return record


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
    os.environ.update(job.get("environ", {}))  # a served tool's proxy settings
    open_forwards(job.get("forwards", []))
    set_limits(job["limits"])
    try:
        module = load_candidate(job["code"])
        function = getattr(module, job["function"])
    except BaseException as error:  # any failure to import is a result, not a crash
        record = {"index": protocol.IMPORT_FAILED, "status": protocol.IMPORT_ERROR, "exception": type(error).__name__}
        emit(nonce, record | {"traceback": short_traceback(error, job["code"])})
        return
    for example in job["examples"]:
        # A served call runs in the first directory its tool declares; an example in a folder of its own.
        folder = example.get("folder") or os.path.join(job["workdir"], f"example{example['index']}")
        emit(nonce, {"index": example["index"]} | call_in(folder, example, function, job))
    if job.get("probes"):
        run_probes(job, function, nonce)


if __name__ == "__main__":
    main()
    # The results are out: skip the interpreter's teardown (a few milliseconds of every run), and whatever
    # threads or atexit hooks the candidate left behind with it.
    sys.__stdout__.flush()
    os._exit(0)
