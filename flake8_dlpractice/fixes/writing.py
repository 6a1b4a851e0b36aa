"""Writing a fixed file without losing anyone's data.

- A file whose mode has no owner write bit is refused (``PermissionError`` "read-only file"), even
  when running as root, which could write it: editors warn before saving such a file, so do we.
- Just before the file is replaced, its bytes and status are read again: a save made by someone
  else while the fix was computed (or while the new text was being written) is never overwritten
  (:class:`ChangedOnDisk`).
- A file with one link is replaced atomically: the new bytes go to a temporary
  ``.NAME.*.dlp-fix.tmp`` file in the same directory, are flushed to disk, get the original's mode
  and owner, and are renamed over it. The temporary file is removed on every way out, including
  Ctrl-C and SIGTERM (:func:`raise_on_termination` in the main process, :func:`stop_now` in
  worker processes).
- A file with several hard links is rewritten in place (same inode), so that every link sees the
  fix, as editors do; SIGINT/SIGTERM are held back while its bytes are written.
"""
from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import tempfile
import threading
from typing import Iterator

TEMP_SUFFIX = ".dlp-fix.tmp"
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class ChangedOnDisk(Exception):
    """The file no longer holds the bytes the fix was computed from."""


class Interrupted(KeyboardInterrupt):
    """A termination signal turned into an exception, so that cleanup code runs on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def exit_status(exc: KeyboardInterrupt) -> int:
    """The shell's status for a run stopped by ``exc``: 128 + the signal (130 for Ctrl-C)."""
    return 128 + int(getattr(exc, "signum", signal.SIGINT))


_received: list[int] = []  # stop signals received under raise_on_termination and not yet handled
_pending: set[str] = set()  # temporary files being written


def _interrupt(signum: int, frame: object) -> None:
    _received.append(signum)
    if len(_received) == 1:
        raise Interrupted(signum)


def check_interrupted() -> None:
    """Raise :class:`Interrupted` again if a stop signal came and its exception was lost (a signal
    landing in a ``__del__`` or a weakref callback is printed and ignored by Python)."""
    if _received:
        raise Interrupted(_received[0])


@contextlib.contextmanager
def raise_on_termination() -> Iterator[None]:
    """While active, the first SIGINT or SIGTERM raises :class:`Interrupted`; later ones are
    ignored, so that the cleanup it starts (temporary files, worker processes) is not cut short.
    The caller catches it (``except KeyboardInterrupt``) inside the block.

    Only the main thread can set signal handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _interrupt) for signum in _STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _received.clear()


def stop_now(signum: int, frame: object) -> None:
    """A worker process's SIGTERM handler: remove the temporary files being written, exit at once
    (no exception that Python could swallow; an in-place rewrite holds the signal back)."""
    for path in list(_pending):
        with contextlib.suppress(OSError):
            os.unlink(path)
    os._exit(128 + signum)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done (where the platform can hold them)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def read_only(status: os.stat_result) -> bool:
    return not status.st_mode & stat.S_IWUSR


def _same(path: str, before: os.stat_result, original: bytes) -> bool:
    now = os.stat(path)
    if (now.st_mtime_ns, now.st_size, now.st_ino) != (before.st_mtime_ns, before.st_size, before.st_ino):
        return False
    with open(path, "rb") as handle:
        return handle.read() == original


def save(path: str, data: bytes, before: os.stat_result, original: bytes) -> None:
    """Replace ``path``'s content (``original``, as read with status ``before``) by ``data``.

    Raises ``PermissionError`` ("read-only file") for a file without the owner write bit,
    :class:`ChangedOnDisk` if the file changed since it was read, ``OSError`` if it cannot be
    written; in every case the file is left as it was and no temporary file remains.
    """
    if read_only(before):
        raise PermissionError(errno.EACCES, "read-only file", path)
    real = os.path.realpath(path)
    if before.st_nlink > 1:
        _rewrite_in_place(real, data, before, original)
    else:
        _replace(real, data, before, original)


def _rewrite_in_place(real: str, data: bytes, before: os.stat_result, original: bytes) -> None:
    with _signals_held():
        if not _same(real, before, original):
            raise ChangedOnDisk(real)
        fd = os.open(real, os.O_WRONLY)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.ftruncate(fd, len(data))  # after writing: the file is never shorter than both versions
            os.fsync(fd)
        finally:
            os.close(fd)


def _replace(real: str, data: bytes, before: os.stat_result, original: bytes) -> None:
    directory = os.path.dirname(real) or "."
    tmp = None
    try:
        with _signals_held():  # a stop signal between creating the file and noting it would leave it behind
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(real)}.", suffix=TEMP_SUFFIX)
            _pending.add(tmp)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IMODE(before.st_mode))
        if hasattr(os, "chown"):
            current = os.stat(tmp)
            if (current.st_uid, current.st_gid) != (before.st_uid, before.st_gid):
                with contextlib.suppress(OSError):
                    os.chown(tmp, before.st_uid, before.st_gid)
        if not _same(real, before, original):  # as late as possible: a save in the meantime wins
            raise ChangedOnDisk(real)
        os.replace(tmp, real)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    finally:
        _pending.discard(tmp)
