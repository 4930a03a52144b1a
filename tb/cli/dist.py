"""Tasks on ``dask.distributed``: the one engine of ``ima-sim sweep`` and ``ima-sim study``.

:func:`task_pool` yields a :class:`concurrent.futures.Executor` (dask's ``Client.get_executor()``:
``submit`` returns futures that ``concurrent.futures.as_completed`` understands), backed by

* a ``LocalCluster`` of ``workers`` single-threaded worker processes on this machine (default), or
* an existing Dask cluster at ``scheduler`` (``--scheduler tcp://HOST:8786``): its workers must
  have this project installed (the same commit: the tasks are its functions, imported by name).

The same task list runs on either, so results are the same (the study's tasks are pure
functions; a sweep's RTL runs are seeded). On any exception -- Ctrl-C above all -- the queued
tasks are cancelled and the client and local cluster closed, so the command stops at once and
``ima-sim`` exits with 130 (tb/cli/main.py).
"""

import contextlib
import logging
import os

__all__ = ["task_pool", "default_workers", "check_scheduler", "probe_scheduler",
           "SchedulerUnreachable"]


class SchedulerUnreachable(ValueError):
    """No Dask scheduler answers at ``--scheduler ADDRESS`` (the CLI: one line, exit status 2)."""


def default_workers() -> int:
    """Workers of the default ``LocalCluster``: the machine's cores."""
    return os.cpu_count() or 1


def check_scheduler(address: str) -> str:
    """``ValueError`` unless ``address`` looks like a Dask scheduler address
    (``tcp://host:port``, ``tls://``, ``inproc://``, ``ucx://`` or ``host:port``). No connection
    is tried here: a bad option is refused before anything runs."""
    text = address.strip()
    if not text:
        raise ValueError("--scheduler: an address is needed, e.g. tcp://127.0.0.1:8786")
    rest = text.split("://", 1)[1] if "://" in text else text
    proto = text.split("://", 1)[0] if "://" in text else "tcp"
    if proto not in ("tcp", "tls", "inproc", "ucx", "ws", "wss"):
        raise ValueError(f"--scheduler {address}: unknown protocol {proto!r} (tcp://HOST:PORT)")
    if proto != "inproc":
        host, _, port = rest.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"--scheduler {address}: expected HOST:PORT, e.g. tcp://127.0.0.1:8786")
    return text


def probe_scheduler(address: str, timeout: float = 5.0) -> None:
    """:class:`SchedulerUnreachable` unless a Dask scheduler answers at ``address`` within
    ``timeout`` seconds (a connection opened and closed, nothing submitted)."""
    from distributed import Client
    try:
        Client(address, timeout=timeout).close()
    except OSError as e:
        raise SchedulerUnreachable(f"--scheduler {address}: no Dask scheduler answers "
                                   f"({type(e).__name__}: {e})") from None


@contextlib.contextmanager
def task_pool(scheduler: str | None = None, workers: int | None = None, *, setup=None,
              setup_args=(), connect_timeout: float = 20.0):
    """An executor on dask.distributed (module docstring). ``setup(*setup_args)`` runs once on
    every worker there is at the start (e.g. sending its output to a log file)."""
    from distributed import Client, LocalCluster
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1,
                               processes=True, dashboard_address=":0",
                               silence_logs=logging.CRITICAL)  # no shutdown noise
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except OSError as e:                  # refused, unreachable, timed out
            raise SchedulerUnreachable(f"--scheduler {scheduler}: no Dask scheduler answers "
                                       f"({type(e).__name__}: {e})") from None
    try:
        if setup is not None:
            client.run(setup, *setup_args)
        ex = client.get_executor(pure=False)       # every submit is a task of its own
        try:
            yield ex
        except BaseException:
            ex.shutdown(wait=False)           # cancel what is queued or running
            raise
        ex.shutdown(wait=True)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
