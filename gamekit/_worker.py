"""One sympy process beside the caller's, for exact work that has a deadline.

sympy's ``solve``, ``solveset``, factorisation and Groebner bases have no
time bound: a fractional power or a high-degree polynomial can keep them busy
for minutes.  Interrupting sympy with a signal leaves its caches inconsistent,
so exact work with a budget runs here in a *separate process*: a child
interpreter (``python -m gamekit._worker``), started on first use and kept for
later calls, that reads pickled requests on its stdin and answers on its
stdout.  Each request has a deadline; a worker that misses it is killed, never
interrupted, and a fresh one starts for the next request.  A request names a
module-level function of gamekit (pickled by reference) and its arguments.

Unlike ``multiprocessing``'s ``spawn`` and ``forkserver`` it never re-imports
the user's main script (a script without an ``if __name__ == "__main__"``
guard would run twice), and unlike ``fork`` it copies no threads or locks of
the parent.  Used by :mod:`gamekit.equilibria.exact` (polynomial faces, exact
eigenvalues) and :mod:`gamekit.policy.thresholds` (levers that are not simple
polynomials).
"""

from __future__ import annotations

import atexit
import os
import pickle
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["BudgetSpent", "SympyWorker", "worker"]

STARTUP_TIMEOUT = 60.0  # seconds for a new worker to answer at all (importing sympy is charged to no budget)


def _ping() -> bool:
    return True


# -- worker side ------------------------------------------------------------------------------------------


def _serve() -> None:  # pragma: no cover - runs in the worker process
    """Answer length-prefixed pickled requests on stdin until it closes."""
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed may reach the protocol stream
    while True:
        header = inp.read(8)
        if len(header) < 8:
            return
        try:
            func, args = pickle.loads(inp.read(int.from_bytes(header, "little")))
            if not getattr(func, "__module__", "").startswith("gamekit."):
                raise TypeError(f"{func!r} is not a gamekit function")
            reply = ("ok", func(*args))
        except Exception as exc:  # noqa: BLE001 - the caller turns any sympy failure into a fallback
            reply = ("error", f"{type(exc).__name__}: {exc}")
        data = pickle.dumps(reply)
        out.write(len(data).to_bytes(8, "little") + data)
        out.flush()


# -- parent side ------------------------------------------------------------------------------------------


class BudgetSpent(Exception):
    """The worker missed its deadline and was killed."""


class SympyWorker:
    """One sympy process (``python -m gamekit._worker``), started on first use, killed at a deadline.

    A plain child process speaking pickles over its stdin and stdout: unlike ``multiprocessing``'s
    ``spawn`` and ``forkserver``, it never re-imports the user's main script, and unlike ``fork`` it
    copies no threads or locks of the parent.
    """

    def __init__(self):
        self._proc = None
        self._starting = False  # a ping was sent whose answer has not been read yet
        self._lock = threading.Lock()

    def prestart(self) -> None:
        """Start the process now without waiting for it (its start overlaps the caller's other work)."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                try:
                    self._start(wait=False)
                except OSError:  # no process can be started: every face will be numeric
                    self.kill()

    def _start(self, wait: bool = True):
        root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "gamekit._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        # the start (a new interpreter importing sympy) is not charged to any face's budget
        self._send(_ping, ())
        self._starting = True
        if wait:
            self._ready()

    def _ready(self):
        if self._starting:
            self._receive(time.monotonic() + STARTUP_TIMEOUT)
            self._starting = False

    def kill(self):
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(5)
            for f in (self._proc.stdin, self._proc.stdout):
                f.close()
        self._proc = None
        self._starting = False

    def _send(self, func: Callable, args: tuple):
        data = pickle.dumps((func, args))
        self._proc.stdin.write(len(data).to_bytes(8, "little") + data)
        self._proc.stdin.flush()

    def _read(self, n: int, deadline: float) -> bytes:
        fd, chunks, got = self._proc.stdout.fileno(), [], 0
        while got < n:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                self.kill()
                self._start(wait=False)  # a fresh process for the next request, starting meanwhile
                raise BudgetSpent
            chunk = os.read(fd, n - got)
            if not chunk:
                self.kill()
                raise RuntimeError("the sympy worker died")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _receive(self, deadline: float):
        size = int.from_bytes(self._read(8, deadline), "little")
        return pickle.loads(self._read(size, deadline))

    def call(self, func: Callable, args: tuple, timeout: float):
        """``func(*args)`` in the worker; raises BudgetSpent past ``timeout`` seconds, RuntimeError if it failed.

        ``func`` is a module-level function of gamekit (pickled by reference), ``args`` picklable.
        """
        with self._lock:
            try:
                if self._proc is None or self._proc.poll() is not None:
                    self._start()
                self._ready()
                self._send(func, args)
                status, value = self._receive(time.monotonic() + timeout)
            except OSError as exc:  # the process could not start, or its pipe broke
                self.kill()
                raise RuntimeError(f"the sympy worker failed: {exc}") from None
        if status != "ok":
            raise RuntimeError(value)
        return value


worker = SympyWorker()
atexit.register(worker.kill)

if __name__ == "__main__":  # pragma: no cover
    _serve()
