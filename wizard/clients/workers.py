"""The worker processes of a batch, and Ctrl+C during one.

Key generation and the .p12's key derivation hold Python's lock, so a batch runs in worker
processes. Every worker holds the CA key, so none may outlive the run: each asks the kernel
to kill it when its parent dies (Linux PR_SET_PDEATHSIG, and a check of its parent before
every job elsewhere), ignores Ctrl+C (the parent decides) and lets go of the workspace lock
it inherited. On a single-threaded parent (the CLI) the workers are forked: multiprocessing
then unlinks its semaphores at once, so even `kill -9` leaves nothing in /dev/shm; a parent
with threads (the TUI) must spawn them instead.

Ctrl+C stops a batch at once (queued work cancelled, the workers ended), except while a
client's files are being written: that client is finished first, so none is left half-made.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from types import FrameType, TracebackType
from typing import Any, TypeVar

from wizard.workspace import release_inherited_locks

POOL_FROM = 4  # a batch this large is worth starting worker processes for
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_STOP_WAIT = 1.0  # seconds a worker gets to end after SIGTERM, before SIGKILL

Job = TypeVar("Job")
_parent_pid = 0  # in a worker: the process that started it


def _worker_started(parent_pid: int) -> None:
    """Each worker's first act (ProcessPoolExecutor's initializer)."""
    global _parent_pid
    _parent_pid = parent_pid
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole process group: the parent decides
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent while it started us
    _die_with_parent()
    _exit_if_orphaned()
    release_inherited_locks()


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the check before each job remains
        pass


def _exit_if_orphaned() -> None:
    """The parent died before (or without) PR_SET_PDEATHSIG: stop now, holding nothing."""
    if os.getppid() != _parent_pid:
        os._exit(1)


def _checked_call(function: Callable[[Job], Any], job: Job) -> Any:
    _exit_if_orphaned()
    return function(job)


def _attempt(function: Callable[[Job], Any], job: Job) -> Any:
    try:
        return function(job)
    except Exception as error:  # noqa: BLE001 - reported against this job, the batch goes on
        return error


class Workers:
    """`with Workers(len(jobs)) as workers: for job, result in workers.results(f, jobs): ...`

    A result is what `f(job)` returned, or the Exception it raised. Leaving the block by an
    exception (Ctrl+C) cancels what has not started and ends the workers at once; leaving it
    normally waits for them to exit."""

    def __init__(self, count: int) -> None:
        self.size = min(count, os.cpu_count() or 1)
        self.pooled = count >= POOL_FROM and self.size >= 2
        self._executor: ProcessPoolExecutor | None = None
        self._processes: list[multiprocessing.process.BaseProcess] = []
        self._stderr: contextlib.AbstractContextManager[object] = contextlib.nullcontext()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self._executor is not None:
            if kind is None:
                self._executor.shutdown(wait=True)
            else:
                self._stop_now()
        self._stderr.__exit__(None, None, None)

    def results(self, function: Callable[[Job], Any], jobs: list[Job]) -> Iterator[tuple[Job, Any]]:
        """Each job's result as soon as it is ready, on every core for a batch."""
        if not self.pooled:
            for job in jobs:
                yield job, _attempt(function, job)
            return
        futures = self._submit(function, jobs)
        for future in as_completed(futures):
            error = future.exception()
            yield futures[future], (error if isinstance(error, Exception) else future.result())

    def _submit(self, function: Callable[[Job], Any], jobs: list[Job]) -> dict[Future[Any], Job]:
        # Fork only without threads to copy half-way (the TUI has them): see the module's text.
        method = "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self._stderr = _stderr_for_the_pool()
        self._stderr.__enter__()
        before = set(multiprocessing.active_children())
        blocked = hasattr(signal, "pthread_sigmask")
        if blocked:  # a Ctrl+C now waits until the workers ignore it (they inherit the mask)
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._executor = ProcessPoolExecutor(max_workers=self.size, mp_context=multiprocessing.get_context(method),
                                                 initializer=_worker_started, initargs=(os.getpid(),))
            futures = {self._executor.submit(_checked_call, function, job): job for job in jobs}
            self._processes = [p for p in multiprocessing.active_children() if p not in before]
        finally:
            if blocked:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        return futures

    def _stop_now(self) -> None:
        """Cancel what has not started and end the workers (their jobs' results are lost)."""
        assert self._executor is not None
        self._executor.shutdown(wait=False, cancel_futures=True)
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join(_STOP_WAIT)
            if process.is_alive():
                process.kill()
                process.join()
        # With its workers gone, the executor's own thread ends at once: wait for it here, so
        # it does not race the interpreter's exit over the pipes it still holds.
        self._executor.shutdown(wait=True)


def _stderr_for_the_pool() -> contextlib.AbstractContextManager[object]:
    """multiprocessing hands its helper process our stderr's file descriptor. Under the TUI,
    stderr is a capture with none (-1), which multiprocessing refuses: give it /dev/null."""
    try:
        if sys.stderr is not None and sys.stderr.fileno() >= 0:
            return contextlib.nullcontext()
    except (OSError, ValueError, AttributeError):
        pass
    return contextlib.redirect_stderr(open(os.devnull, "w"))  # noqa: SIM115 - closed with the context


class DeferredInterrupt:
    """Ctrl+C (SIGINT) raises KeyboardInterrupt at once, except inside `critical()`: then it is
    raised as that block ends. Only the main thread receives signals: elsewhere (the TUI's
    workers) this changes nothing."""

    def __init__(self) -> None:
        self._depth = 0
        self._pending = False
        self._previous: Any = None

    def __enter__(self) -> DeferredInterrupt:
        if threading.current_thread() is threading.main_thread():
            current = signal.getsignal(signal.SIGINT)
            if current is not signal.SIG_IGN:  # started with Ctrl+C ignored (in the background): keep it so
                self._previous = signal.signal(signal.SIGINT, self._on_interrupt)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        if self._depth:
            self._pending = True
        else:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self._pending and not self._depth:
            self._pending = False
            raise KeyboardInterrupt
