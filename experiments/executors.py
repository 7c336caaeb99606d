"""Where runs execute, all behind the :class:`concurrent.futures.Executor` interface.

- :class:`InProcess`: runs each task at submission, in this process (debugging, notebooks).
- a local process pool (the default): :func:`process_pool`.
- Dask distributed: :func:`dask_executor` connects to a scheduler (``tcp://HOST:PORT``)
  or starts a :class:`distributed.LocalCluster` of worker processes.

Tasks carry (config, seed) pairs, never live models, so any of these can run them.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

#: The ports a scheduler address may name.
PORTS: tuple[int, int] = (1, 65535)


def scheduler_address(text: str) -> str:
    """A Dask scheduler address ``tcp://HOST:PORT`` or ``tls://HOST:PORT`` (HOST a name, an IPv4 address or a
    bracketed IPv6 one) with a port in :data:`PORTS` (argparse type, shared by every command that takes
    ``--scheduler``). Other protocols (inproc, ucx) are not supported."""
    scheme, sep, rest = text.partition("://")
    host, colon, port = rest.rpartition(":")
    bracketed = host.startswith("[") and host.endswith("]") and len(host) > 2
    if scheme not in ("tcp", "tls") or not sep or not colon or not host or (":" in host and not bracketed) or (
            host.startswith("[") != bracketed):
        raise argparse.ArgumentTypeError(f"must be a scheduler address such as tcp://HOST:PORT or tls://HOST:PORT "
                                         f"(HOST a name, an IPv4 address or an IPv6 one in brackets), got {text!r}")
    if not (port.isascii() and port.isdigit() and PORTS[0] <= int(port) <= PORTS[1]):
        raise argparse.ArgumentTypeError(f"the port must be a whole number from {PORTS[0]} to {PORTS[1]}, "
                                         f"as in tcp://HOST:8786, got {text!r}")
    return text


class InProcess(concurrent.futures.Executor):
    """Runs each task when it is submitted, in the calling process."""

    workers = 1

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # the caller sees it through the future, as with any executor
            future.set_exception(err)
        return future


def process_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """A local pool of ``workers`` processes, forked from a server that has already imported the model.

    Each worker ends itself once the process that made the pool is gone: a command killed outright (SIGKILL, the
    out-of-memory killer) runs no clean-up, and its workers would otherwise wait on their task queue for ever.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["experiments.runner"])
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                                  initializer=end_with, initargs=(os.getpid(),))


#: Seconds between a worker's checks that the process that made its pool is still there.
PARENT_CHECK_SECONDS = 1.0


def end_with(pid: int) -> None:
    """In a worker: end this process (exit code 1) once the process ``pid`` has ended (checked every
    :data:`PARENT_CHECK_SECONDS` by a daemon thread), or once this worker's own parent has (the forkserver,
    which ends with ``pid``)."""
    from simulation.processes import process_runs

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent or not process_runs(pid):
                os._exit(1)

    threading.Thread(target=watch, name="talentflow-parent-watch", daemon=True).start()


def why_lost(err: BaseException) -> str:
    """One line on why an executor lost a task (or a worker, or its scheduler)."""
    if isinstance(err, concurrent.futures.CancelledError):
        return "CancelledError: the executor cancelled the task (a Dask scheduler that went away?)"
    return " ".join(f"{type(err).__name__}: {err}".rstrip(": ").split())


#: Loggers of the Dask client with levels of their own (distributed's config sets them), silenced with "distributed".
QUIET_LOGGERS: tuple[str, ...] = ("distributed.client", "distributed.comm", "distributed.core", "distributed.batched")


class SchedulerUnreachableError(RuntimeError):
    """No Dask scheduler answered at the address given."""


class NoWorkersError(RuntimeError):
    """The Dask scheduler answered, but no worker joined it in the time allowed."""


class DaskExecutor(concurrent.futures.Executor):
    """Runs each task on a Dask client; every task's outcome reaches its future, even when fetching it fails.

    distributed's own ``ClientExecutor`` leaves a future pending for ever when the scheduler goes away between
    a task finishing and its result being fetched (the fetch raises inside the client's event loop). Here the
    fetch happens in a done callback and whatever it raises is set on the future, so the sweep sees a lost
    task and ends instead of waiting.
    """

    def __init__(self, client: Any) -> None:
        self.client = client

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future:
        task = self.client.submit(fn, *args, pure=False, **kwargs)
        outcome: concurrent.futures.Future = concurrent.futures.Future()
        outcome.add_done_callback(lambda done: task.cancel() if done.cancelled() else None)
        task.add_done_callback(lambda finished: _deliver(finished, outcome))
        return outcome


def _deliver(task: Any, outcome: concurrent.futures.Future) -> None:
    """Set the Dask ``task``'s result, error or cancellation on ``outcome`` (unless the caller cancelled it)."""
    if outcome.done():
        return
    if task.status == "cancelled":
        if outcome.cancel():
            outcome.set_running_or_notify_cancel()  # wakes concurrent.futures.wait
        return
    try:
        result = task.result()
    except BaseException as err:  # a task's own error, or the scheduler's connection lost while fetching
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            outcome.set_exception(err)
        return
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        outcome.set_result(result)


@contextlib.contextmanager
def dask_executor(scheduler: str | None = None, local_workers: int | None = None, timeout: float = 10.0,
                  wait: float = 60.0, wait_option: str | None = "--dask-wait"
                  ) -> Iterator[tuple[concurrent.futures.Executor, int]]:
    """An executor on a Dask cluster, with the number of workers it has.

    The client's own log messages (reconnection attempts, with tracebacks) are silenced while it runs: a lost
    scheduler shows as lost tasks (see :func:`experiments.runner.run_sweep`), reported in one line.

    Args:
        scheduler: address of a running scheduler, e.g. ``tcp://127.0.0.1:8786``.
        local_workers: start a LocalCluster of this many worker processes on 127.0.0.1 instead.
        timeout: seconds to wait for the scheduler.
        wait: seconds to wait for a first worker when the scheduler has none (saying so on stderr); then
            :class:`NoWorkersError`.
        wait_option: the command's option that sets ``wait``, named in that message (None: it has none).
    """
    from distributed import Client, LocalCluster

    cluster = None
    quiet = [logging.getLogger(name) for name in ("distributed", *QUIET_LOGGERS)]
    levels = [logger.level for logger in quiet]
    try:
        if local_workers is not None:
            cluster = LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError) as err:
                message = f"no Dask scheduler answered at {scheduler} within {timeout:g} s"
                raise SchedulerUnreachableError(message) from err
            except (TypeError, ValueError) as err:  # tls:// without the client's certificates, say
                message = (f"cannot connect to {scheduler} ({' '.join(str(err).split())}); for tls://, give the "
                           "client's certificates in the Dask configuration (docs/experiments.md)")
                raise SchedulerUnreachableError(message) from err
        with client:
            workers = _wait_for_workers(client, scheduler or "the local cluster", wait, wait_option)
            executor = DaskExecutor(client)
            for logger in quiet:
                logger.setLevel(logging.CRITICAL)
            yield executor, workers
    finally:
        try:
            if cluster is not None:  # closed while the client's loggers are quiet: its comms may still be closing
                cluster.close()
        finally:
            for logger, level in zip(quiet, levels, strict=True):
                logger.setLevel(level)


def _wait_for_workers(client: Any, address: str, wait: float, option: str | None = None) -> int:
    """The number of workers of the client's scheduler, waiting up to ``wait`` seconds for the first one."""
    workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
    if workers:
        return workers
    print(f"talentflow: waiting up to {wait:g} s for a Dask worker to join the scheduler at {address}"
          + (f" ({option} SECONDS)" if option else ""), file=sys.stderr, flush=True)
    try:
        client.wait_for_workers(1, timeout=wait)
    except TimeoutError as err:
        raise NoWorkersError(f"no Dask worker joined the scheduler at {address} within {wait:g} s; start workers "
                             "with: dask worker ADDRESS") from err
    return max(len(client.scheduler_info(n_workers=-1).get("workers", {})), 1)
