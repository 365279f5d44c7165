"""Sandboxes started before they are needed.

Starting a sandbox costs most of a run: bwrap's namespaces, Python's start and the harness's imports. `Spares`
starts them ahead on a background thread, so that this cost overlaps the model call or other checks instead of
adding to them. A spare runs exactly one candidate, like a sandbox started on demand: no state passes from one
candidate to the next.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading

from .boundary import Mounts, SandboxLimits
from .process import Started, start_sandbox

log = logging.getLogger(__name__)
# What a spare is started for: its limits and the host directories bound into it (none for the checks).
Shape = tuple[SandboxLimits, Mounts]


def _spares_wanted() -> int:
    value = os.environ.get("TOOLFOUNDRY_SANDBOX_SPARES", "")
    return int(value) if value.strip().isdigit() else max(2, 2 * (os.cpu_count() or 1))


class Spares:
    """Sandboxes started ahead, per shape (limits and bound directories). Each take asks for a replacement, so
    the number kept grows to the number of runs at once (up to `most`); `TOOLFOUNDRY_SANDBOX_SPARES=0` turns
    this off."""

    def __init__(self, most: int | None = None) -> None:
        self.most = _spares_wanted() if most is None else most
        self._idle: dict[Shape, list[Started]] = {}
        self._lock = threading.Lock()
        self._requests: queue.SimpleQueue[Shape | Started | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._owner = os.getpid()  # a forked child must not use its parent's sandboxes

    def idle(self) -> int:
        with self._lock:
            return sum(len(started) for started in self._idle.values())

    def take(self, limits: SandboxLimits, mounts: Mounts = ()) -> Started | None:
        """A started sandbox for these limits and mounts, or None (then the caller starts one); asks for a
        replacement, and for one more when none was ready, so that the spares keep up with the runs."""
        if self.most <= 0 or self._closed or os.getpid() != self._owner:
            return None
        shape = (limits, mounts)
        with self._lock:
            waiting = self._idle[shape] = self._idle.pop(shape, [])  # re-inserted: the order is by last use
            alive = [started for started in waiting if started.process.poll() is None]
            # One that died while it waited (killed from outside) is never handed out.
            dead = [started for started in waiting if started not in alive]
            ready = [started for started in alive if started.ready()]
            taken = (ready or alive or [None])[0]
            waiting[:] = [started for started in alive if started is not taken]
            if self._thread is None:
                # One long-lived thread starts them all: bwrap's --die-with-parent fires when the *thread*
                # that started it ends, and the event loop's worker threads come and go.
                self._thread = threading.Thread(target=self._fill, name="toolfoundry-spares", daemon=True)
                self._thread.start()
        for started in dead:
            started.close()
        for _ in range(1 if ready else 2):
            self._requests.put(shape)
        return taken

    def retire(self, started: Started) -> None:
        """Remove a finished sandbox's cgroup and folder on the spares' thread, after the caller has its
        results: its processes are already gone with its PID namespace, and the caller need not wait."""
        with self._lock:
            if self._thread is not None and not self._closed:
                self._requests.put(started)
                return
        started.close()

    def _fill(self) -> None:
        while (request := self._requests.get()) is not None:
            if isinstance(request, Started):
                request.close()
                continue
            if self._closed or not self._make_room(request):
                continue
            try:
                started = start_sandbox(request[0], mounts=request[1])
            except Exception as error:  # a spare is an optimisation: the run starts its own
                log.debug("could not start a spare sandbox: %s", error)
                continue
            with self._lock:
                if not self._closed:
                    self._idle.setdefault(request, []).append(started)
                    continue
            started.close()

    def _make_room(self, shape: Shape) -> bool:
        """True when one more spare of `shape` fits, evicting the oldest spare of other shapes if need be."""
        with self._lock:
            if sum(len(started) for started in self._idle.values()) < self.most:
                return True
            others = [key for key, started in self._idle.items() if key != shape and started]
            if not others:
                return False
            evicted = self._idle[others[0]].pop(0)  # the shape least recently asked for
        evicted.close()
        return True

    def close(self) -> None:
        """Stop the spares (at exit, and in tests): no process, cgroup or folder is left behind."""
        with self._lock:
            self._closed = True
            waiting = [started for group in self._idle.values() for started in group]
            self._idle.clear()
            thread = self._thread
        if thread is not None:
            self._requests.put(None)
            thread.join(timeout=5)
        for started in waiting:
            started.close()


SPARES = Spares()
atexit.register(SPARES.close)
