"""The folder where gamekit keeps generated code and numba's compiled caches, used only if it is safe.

gamekit imports Python it generated (``kernels/*.py``, one right-hand side per game
shape) and numba unpickles its compiled functions (``numba/**/*.nbi`` index and
``*.nbc`` data files) from this folder.  Whoever can write to it can therefore run
code in every process that simulates: the folder must belong to the current user
and be writable by no one else.

**Which folder.**  ``$GAMEKIT_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/gamekit``,
else ``~/.cache/gamekit``.

**When it is used.**  :func:`folder` walks the path from the root with
``os.lstat``:

* every component gamekit creates is made with mode ``0o700`` and checked after
  creation (owned by us, not a symbolic link, no access for group or others), so
  a component someone else created first in a race is refused;
* every existing ancestor must be owned by us or by root, and not writable by
  group or others unless its sticky bit is set (``/tmp``): otherwise its owner
  could rename our folder away and put theirs in its place;
* a symbolic link is followed only if it is owned by us (or, for an ancestor, by
  root), and the folder it leads to is checked the same way;
* the folder itself must be a directory owned by us and not writable by group or
  others (``mode & 0o022 == 0``).

**When it is not.**  A folder named by ``$GAMEKIT_CACHE_DIR`` that fails a check
raises :class:`~gamekit.errors.GamekitError` naming the folder and the reason
(the user asked for that folder: falling back silently would hide the problem).
The default folder that fails (unsafe, or not creatable: a read-only home) is
replaced, with a ``RuntimeWarning``, by a private folder from
``tempfile.mkdtemp`` (mode ``0o700``, a fresh unpredictable name, one per
process): never by a predictable shared path such as ``$TMPDIR/gamekit-<uid>``,
which another local user could create first.  Compilation is then not shared
between processes.

**numba's own cache.**  By default numba writes the caches of ``cache=True``
functions next to their module (``gamekit/_kernels/__pycache__``), or where
``$NUMBA_CACHE_DIR`` points, and reads them back from there.  gamekit's compiled
functions (the driver, the exponential, the right-hand sides) are decorated by
:func:`njit` and :func:`cfunc` below, which point numba's locator at
``<folder>/numba/<digest>`` while the function is decorated (numba fixes a function's
cache location when it is decorated): their pickles are written to and read
from the checked folder only, whatever ``$NUMBA_CACHE_DIR`` says.  ``<digest>``
covers every kernel source, numba's version and Python's (:func:`kernels_digest`),
because numba's own check looks only at the defining file's stamp.  numba files
left in the package's ``__pycache__`` by earlier versions are never read.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
import threading
import warnings
from pathlib import Path

from ..errors import GamekitError

__all__ = [
    "folder",
    "subfolder",
    "private_file",
    "njit",
    "cfunc",
    "ENV",
    "driver_marker",
    "compile_driver_in_background",
    "wait_for_driver",
    "flow_marker",
    "compile_flow_in_background",
    "mark_loaded",
    "wait_for_flow",
]

ENV = "GAMEKIT_CACHE_DIR"
_fallback: Path | None = None  # the per-process private folder, once made
_lock = threading.Lock()


class _Unsafe(Exception):
    """The folder fails a check; the message says which."""


def _uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None  # (no ownership model to check on Windows)


def _mode(st) -> str:
    return oct(stat.S_IMODE(st.st_mode))


def _check_folder(path: Path, st) -> None:
    """The folder itself: a directory, ours, writable by nobody else."""
    uid = _uid()
    if not stat.S_ISDIR(st.st_mode):
        raise _Unsafe(f"{path} is not a folder")
    if uid is not None and st.st_uid != uid:
        raise _Unsafe(f"{path} is owned by user id {st.st_uid}, not by you (user id {uid})")
    if st.st_mode & 0o022:
        raise _Unsafe(f"{path} is writable by group or others (mode {_mode(st)})")


def _check_ancestor(path: Path, st) -> None:
    """A folder above ours: nobody but us or root may replace what it holds."""
    uid = _uid()
    if not stat.S_ISDIR(st.st_mode):
        raise _Unsafe(f"{path} is not a folder")
    if uid is not None and st.st_uid not in (uid, 0):
        raise _Unsafe(f"{path}, a folder above the cache, is owned by user id {st.st_uid}, not by you or root")
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        raise _Unsafe(f"{path}, a folder above the cache, is writable by group or others (mode {_mode(st)})")


def _secure(path: Path, *, create: bool = True, _depth: int = 0) -> Path:
    """``path`` made (if ``create``) and checked as the module docstring says; its real path, or _Unsafe."""
    if _depth > 8:
        raise _Unsafe(f"{path}: too many symbolic links")
    uid = _uid()
    path = Path(os.path.abspath(os.path.expanduser(str(path))))
    parts = path.parts
    current = Path(parts[0])
    for i, name in enumerate(parts[1:], start=1):
        last = i == len(parts) - 1
        nxt = current / name
        if not os.path.lexists(nxt):
            if not create:
                raise _Unsafe(f"{nxt} does not exist")
            with contextlib.suppress(FileExistsError):  # created by someone else meanwhile: checked below
                os.mkdir(nxt, 0o700)
            st = os.lstat(nxt)
            if stat.S_ISLNK(st.st_mode) or (uid is not None and st.st_uid != uid) or st.st_mode & 0o077:
                raise _Unsafe(f"{nxt} appeared while gamekit was creating it, and is not private to you")
            current = nxt
            continue
        st = os.lstat(nxt)
        if stat.S_ISLNK(st.st_mode):
            allowed = (uid,) if last else (uid, 0)
            if uid is not None and st.st_uid not in allowed:
                raise _Unsafe(f"{nxt} is a symbolic link owned by user id {st.st_uid}, not by you")
            target = Path(os.path.realpath(nxt))
            rest = Path(*parts[i + 1 :]) if not last else None
            return _secure(target / rest if rest else target, create=create, _depth=_depth + 1)
        if last:
            _check_folder(nxt, st)
        else:
            _check_ancestor(nxt, st)
        current = nxt
    if len(parts) == 1:  # the root itself
        _check_folder(current, os.lstat(current))
    return current


def _default() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gamekit"


def folder() -> Path:
    """The checked cache folder (module docstring); raises GamekitError for an unsafe ``$GAMEKIT_CACHE_DIR``."""
    global _fallback
    named = os.environ.get(ENV)
    if named:
        try:
            return _secure(Path(named))
        except _Unsafe as err:
            raise GamekitError(f"refusing the cache folder {ENV}={named}: {err}") from None
        except OSError as err:
            raise GamekitError(f"cannot use the cache folder {ENV}={named}: {err.strerror or err}") from None
    try:
        return _secure(_default())
    except (_Unsafe, OSError) as err:
        with _lock:
            if _fallback is None:
                _fallback = Path(tempfile.mkdtemp(prefix="gamekit-"))  # mode 0o700, unpredictable name
                warnings.warn(
                    f"gamekit: the cache folder {_default()} is not usable ({err}); compiled kernels go to the "
                    f"private folder {_fallback} for this process only (set {ENV} to a folder of yours to share them)",
                    RuntimeWarning,
                    stacklevel=2,
                )
        return _secure(_fallback, create=False)


def subfolder(name: str) -> Path:
    """``<folder>/<name>``, created private and checked."""
    return _secure(folder() / name)


def private_file(path: Path) -> bool:
    """Whether ``path`` is a regular file (not a link) of ours that no one else can write."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    uid = _uid()
    return stat.S_ISREG(st.st_mode) and (uid is None or st.st_uid == uid) and not st.st_mode & 0o022


_numba_lock = threading.Lock()


@contextlib.contextmanager
def _numba_cache_dir():
    """numba's user-provided cache folder set to ``<folder>/numba`` while functions are decorated."""
    from numba.core import config

    target = str(numba_folder())
    with _numba_lock:
        old = config.CACHE_DIR
        config.CACHE_DIR = target
        try:
            yield
        finally:
            config.CACHE_DIR = old


def njit(**options):
    """``numba.njit(cache=True, **options)`` with its cache in the checked folder."""
    import numba

    def decorate(func):
        with _numba_cache_dir():
            return numba.njit(cache=True, **options)(func)

    return decorate


def cfunc(signature, **options):
    """``numba.cfunc(signature, cache=True, **options)`` with its cache in the checked folder (compiles now)."""
    import numba

    def decorate(func):
        with _numba_cache_dir():
            return numba.cfunc(signature, cache=True, **options)(func)

    return decorate


# ----------------------------------------------------------------------------- the driver, compiled in the background
# (here rather than in ``warm``, the child's script, or ``dopri_numba``, which imports numba: a caller can start the
# child before it imports numba or anything heavy, and ``dopri_numba`` waits for it)

_children: dict = {}  # the children compiling a driver (by name), started by this process and not yet waited for
_loaded: set = set()  # the drivers this process has loaded (mark_loaded): nothing to compile or check for them
_digest: list[str] = []  # the kernels' digest, computed once per process
# each driver compiled in the background: its marker and lock files in the cache folder, warm.py's argument
_DRIVERS = {"replicator": "driver", "flow": "flow"}


def kernels_digest() -> str:
    """A digest of every source file of ``gamekit._kernels``, numba's version and Python's.

    numba's on-disk cache checks only the stamp of the file that defines a function, yet a compiled function
    also freezes what it takes from other modules (the tableau's constants, the inlined exponential, the
    layout): a change there alone would leave stale machine code in use.  So every compiled cache lives in a
    folder named by this digest (:func:`numba_folder`): any change to any kernel source, to numba or to Python
    starts a fresh folder.
    """
    if not _digest:
        import hashlib
        from importlib.metadata import PackageNotFoundError, version

        here = Path(__file__).parent
        sources = b"".join(f.name.encode() + f.read_bytes() for f in sorted(here.glob("*.py")))
        try:
            numba_version = version("numba")
        except PackageNotFoundError:  # (numba importable but not installed as a distribution)
            import numba

            numba_version = numba.__version__
        _digest.append(hashlib.sha1(sources + numba_version.encode() + sys.version.encode()).hexdigest()[:16])
    return _digest[0]


def numba_folder() -> Path:
    """``<folder>/numba/<kernels digest>``: where numba's caches of this version of the kernels live."""
    return _secure(subfolder("numba") / kernels_digest())


def driver_marker(name: str = "replicator"):
    """The file that records that this version of the driver ``name`` (``replicator``: ``dopri_numba``; ``flow``:
    ``flow_numba``, the other dynamics) is compiled in the cache folder."""
    return numba_folder() / f"{_DRIVERS[name]}.ok"


def flow_marker():
    """The marker of the other dynamics' driver (``flow_numba``): ``driver_marker("flow")``."""
    return driver_marker("flow")


def compile_driver_in_background(name: str = "replicator"):
    """Start compiling the driver ``name`` in a child process (the script ``warm.py``) unless it is compiled, being
    compiled or already started by this process; the new child, or None.  :func:`wait_for_driver` waits for it."""
    return _start_child(name)


def compile_flow_in_background():
    """Start compiling the other dynamics' driver (``flow_numba``) in a child process, as
    :func:`compile_driver_in_background` does the replicator's; the new child, or None.  :func:`wait_for_flow`
    waits for it."""
    return _start_child("flow")


def _start_child(name: str):
    """The child process that compiles the driver ``name``, started now, or None (see
    :func:`compile_driver_in_background`)."""
    import subprocess
    import time

    if name in _children or name in _loaded:
        return None
    try:
        marker = driver_marker(name)
        if marker.exists():
            return None
        lock = marker.parent / f"{_DRIVERS[name]}.lock"
        if lock.exists() and time.time() - lock.stat().st_mtime > 600:
            lock.unlink()  # left by a child that died
        os.close(os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except Exception:  # the driver is then compiled in-process (a busy lock: another process compiles it)
        return None
    try:
        child = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve().with_name("warm.py")), name],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        lock.unlink(missing_ok=True)
        return None
    child.lock = lock
    _children[name] = child
    return child


def wait_for_driver(name: str = "replicator") -> None:
    """Wait for the child that :func:`compile_driver_in_background` started for ``name``, if any, and release its
    lock."""
    child = _children.pop(name, None)
    if child is None:
        return
    try:
        child.wait()
    finally:
        child.lock.unlink(missing_ok=True)


def mark_loaded(name: str) -> None:
    """Record that this process has loaded the driver ``name`` (it has run): later calls start no child and look
    for no marker file (each look checks the cache folder's path again, a tenth of a millisecond)."""
    _loaded.add(name)


def wait_for_flow() -> None:
    """:func:`wait_for_driver` of the other dynamics' driver."""
    wait_for_driver("flow")
