"""sympy's set solving for one lever, in a separate process, within a time budget.

``solveset`` and ``continuous_domain`` have no time bound: a fractional power
(``d^0.95 + d^0.37 - 1``) or a high-degree polynomial sends them into
factorisation for minutes.  Interrupting sympy with a signal leaves its caches
inconsistent, so a lever that is not plainly easy (every payoff a polynomial of
low degree in the lever) is solved in a worker process (``forkserver``
context, started on first use and kept): a request that misses its deadline
kills the worker, never interrupts it, and the lever is reported unsolved.
The same design as :mod:`gamekit.equilibria.exact`, for a different task.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import sys
import threading

__all__ = ["BudgetSpent", "solve_lever"]

STARTUP_TIMEOUT = 60.0
"""Seconds for a new worker to answer at all (importing sympy is not charged to any budget)."""


class BudgetSpent(Exception):
    """The worker missed its deadline and was killed."""


def _serve(conn) -> None:  # pragma: no cover - runs in the worker process
    from .thresholds import lever_sets

    while True:
        try:
            args = conn.recv()
        except EOFError:
            return
        if args is None:
            conn.send(("ok", True))
            continue
        try:
            conn.send(("ok", lever_sets(*args)))
        except Exception as exc:  # noqa: BLE001 - the parent reports any sympy failure as "not solved"
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


@contextlib.contextmanager
def _main_not_reimported():
    """Start processes without the user's ``__main__``: a script without an ``if __name__ == "__main__"``
    guard would otherwise be run again in the worker (``forkserver`` imports the parent's main module)."""
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if main is not None and k in main.__dict__}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__dict__["__spec__"] = None
        yield
    finally:
        if main is not None:
            main.__dict__.pop("__spec__", None)
            main.__dict__.update(saved)


class _Worker:
    def __init__(self):
        self._proc = None
        self._conn = None
        self._lock = threading.Lock()

    def _start(self):
        if "forkserver" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["gamekit.policy.thresholds"])
        else:  # Windows: no forkserver
            ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(child,), daemon=True, name="gamekit-thresholds")
        with _main_not_reimported():
            proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        parent.send(None)
        if not parent.poll(STARTUP_TIMEOUT):
            self.kill()
            raise BudgetSpent("the worker did not start")
        parent.recv()

    def kill(self):
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
            self._conn.close()
        self._proc = self._conn = None

    def call(self, args: tuple, timeout: float):
        with self._lock:
            if self._proc is None or not self._proc.is_alive():
                self._start()
            self._conn.send(args)
            if timeout <= 0 or not self._conn.poll(timeout):
                self.kill()
                raise BudgetSpent("time budget spent")
            try:
                status, value = self._conn.recv()
            except EOFError:
                self.kill()
                raise RuntimeError("the sympy worker died") from None
        if status != "ok":
            raise RuntimeError(value)
        return value


_worker = _Worker()
atexit.register(_worker.kill)


def solve_lever(args: tuple, timeout: float):
    """``lever_sets(*args)`` in the worker; BudgetSpent past ``timeout`` seconds, RuntimeError if sympy failed
    or no worker process could be started."""
    try:
        return _worker.call(args, timeout)
    except OSError as err:
        _worker.kill()
        raise RuntimeError(f"no worker process: {err}") from None
