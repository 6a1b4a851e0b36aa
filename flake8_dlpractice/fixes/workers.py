"""Many items through a function in worker processes: results in input order, and no hang when a
worker dies.

``multiprocessing.Pool`` never returns the task of a worker that died (out-of-memory killer, a
native crash): the run hangs. Here each worker takes one item at a time over its own pipe, so the
item a dead worker held is known exactly: it gets a :class:`Lost` result naming how the worker
ended, a new worker takes its place, and the run goes on. An item that runs past ``timeout``
seconds has its worker killed the same way.

Workers ignore SIGINT (Ctrl-C reaches the whole process group; the parent decides); on SIGTERM
they remove the temporary files they were writing and exit (``writing.stop_now``). When the parent
is interrupted it terminates them before re-raising.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Iterator, Sequence

from .writing import check_interrupted, stop_now


@dataclass(frozen=True)
class Lost:
    """An item without a result, and why."""

    reason: str


def _serve(conn, work: Callable[[Any], Any], initializer: Callable | None, initargs: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop_now)
    try:
        if initializer is not None:
            initializer(*initargs)
        while True:
            item = conn.recv()
            if item is None:
                break
            try:
                result = work(item)
            except Exception as exc:  # noqa: BLE001 - reported for the item; the worker goes on
                result = Lost(f"internal error: {type(exc).__name__}: {exc}")
            conn.send(result)
    except BaseException:  # noqa: BLE001 - EOF from a parent gone: end quietly
        os._exit(1)
    os._exit(0)


def ended(exitcode: int | None) -> str:
    """How a worker process ended, in words."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        why = ", e.g. by the out-of-memory killer" if name == "SIGKILL" else ""
        return f"its worker process was killed by {name}{why}"
    return f"its worker process exited unexpectedly (status {exitcode})"


class _Worker:
    def __init__(self, context, work, initializer, initargs) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, work, initializer, initargs), daemon=True)
        self.process.start()
        child.close()
        self.task: tuple[int, Any] | None = None
        self.started = 0.0

    def give(self, task: tuple[int, Any]) -> bool:
        if not self.process.is_alive():
            return False
        try:
            self.conn.send(task[1])
        except OSError:  # died while idle
            return False
        self.task, self.started = task, time.monotonic()
        return True

    def outcome(self, ready: list, timeout: float | None) -> tuple[int, Any] | None:
        """(index, result) once the task is done, lost or out of time; None while it runs."""
        assert self.task is not None
        index = self.task[0]
        if self.conn in ready or self.process.sentinel in ready:
            try:
                if self.conn.poll():
                    result = self.conn.recv()
                    self.task = None
                    return index, result
            except (EOFError, OSError):
                pass
            self.process.join(1)
            self.task = None
            return index, Lost(ended(self.process.exitcode))
        if timeout is not None and time.monotonic() - self.started > timeout:
            self.process.kill()
            self.process.join(1)
            self.task = None
            return index, Lost(f"took longer than {timeout:g} s; its worker process was stopped")
        return None

    def alive(self) -> bool:
        return self.process.is_alive()

    def close(self, now: bool) -> None:
        if now:
            self.process.terminate()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_in_workers(items: Sequence[Any], work: Callable[[Any], Any], jobs: int, *,
                   initializer: Callable | None = None, initargs: tuple = (),
                   timeout: float | None = None) -> Iterator[tuple[Any, Any]]:
    """Yield ``(item, work(item))`` in input order, the result being :class:`Lost` when the
    worker died or ran past ``timeout`` seconds on that item. ``work`` and ``initializer``
    must be module-level functions (picklable where processes are spawned)."""
    context = _context()
    pending = deque(enumerate(items))
    done: dict[int, Any] = {}
    workers: list[_Worker] = []
    following = 0
    interrupted = True
    try:
        workers = [_Worker(context, work, initializer, initargs) for _ in range(min(jobs, len(items)))]
        while following < len(items):
            check_interrupted()
            for position, worker in enumerate(workers):
                while worker.task is None and pending:
                    if not worker.give(pending[0]):
                        worker.close(now=True)
                        worker = workers[position] = _Worker(context, work, initializer, initargs)
                        continue
                    pending.popleft()
            busy = [w for w in workers if w.task is not None]
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy],
                         timeout=1.0 if timeout is not None else None)
            for position, worker in enumerate(workers):
                if worker.task is None:
                    continue
                finished = worker.outcome(ready, timeout)
                if finished is None:
                    continue
                done[finished[0]] = finished[1]
                if isinstance(finished[1], Lost) and not worker.alive():
                    worker.close(now=True)
                    workers[position] = _Worker(context, work, initializer, initargs)
            while following in done:
                yield items[following], done.pop(following)
                following += 1
        interrupted = False
    finally:
        for worker in workers:
            worker.close(now=interrupted)
