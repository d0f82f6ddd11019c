"""Where independent tasks run: in this process, on local processes, or on a Dask cluster.

Every parallel path of the package goes through here: sweeps (one task a design
point), city runs (one task a shard of streets), replications, Welch's warm-up
series and the verification's replications.  :func:`execute` yields results as
tasks finish, in any order, and callers put them in order by key; :func:`in_order`
returns them in the order of the items.  Either way the numbers never depend on
where or when a task ran.  :func:`progress` makes every progress bar.

>>> sorted(execute(pow, [2, 3], shared=10))
[100, 1000]
>>> in_order(pow, [3, 2], shared=10)
[1000, 100]
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterable, Iterator, Protocol

CONNECT_TIMEOUT_S = 10  # an address nobody answers is refused after this, not after Dask's 30 s and a traceback
ORPHAN_CHECK_S = 0.5  # how often a worker looks whether its parent is still there


def process_pool(workers: int) -> ProcessPoolExecutor:
    """Local worker processes that die with their parent, even one killed with ``kill -9``.

    A killed parent cannot shut its pool down, and its workers would wait for work for ever;
    each worker watches its parent instead (every :data:`ORPHAN_CHECK_S` seconds) and exits
    when it is gone.  Every local pool of the package is made here.
    """
    return ProcessPoolExecutor(max_workers=workers, initializer=_watch_parent, initargs=(os.getpid(),))


def _watch_parent(parent: int) -> None:
    def watch():
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK_S)
        os._exit(1)  # the parent is gone: nobody will read what this worker makes

    threading.Thread(target=watch, name="gridsim-orphan-watch", daemon=True).start()


def execute(
    task: Callable[[Any, Any], Any], items: Iterable, workers: int = 1, scheduler: str | None = None, shared: Any = None
) -> Iterator:
    """Yield ``task(shared, item)`` for every item, as each finishes.

    ``scheduler``: None for local processes (``workers`` of them; 1 runs in this
    process), ``'local'`` for a Dask ``LocalCluster`` of ``workers`` processes, the
    address of a Dask scheduler such as ``tcp://host:8786``, or a client from :func:`connected`.  ``task`` must be
    a module-level function (it is pickled); ``shared`` is sent to each worker once.
    """
    items = list(items)
    if not items:
        return
    if scheduler is not None and scheduler != "":
        yield from _dask(task, items, workers, scheduler, shared)
    elif workers <= 1:
        for item in items:
            yield task(shared, item)
    else:
        from concurrent.futures import as_completed

        with process_pool(workers) as pool:
            futures = [pool.submit(task, shared, item) for item in items]
            for fut in as_completed(futures):
                yield fut.result()


@contextlib.contextmanager
def connected(workers: int, scheduler: Any) -> Iterator[Any]:
    """For many :func:`execute` calls in a row: a Dask ``scheduler`` connected once (a client, with its
    ``LocalCluster`` for ``'local'``), passed as the ``scheduler`` of each call, and closed at the end; local
    processes (None) as they are.

    >>> with connected(1, None) as where:
    ...     sorted(execute(pow, [2, 3], scheduler=where, shared=2))
    [4, 8]
    """
    if not scheduler or not isinstance(scheduler, str):
        yield scheduler
        return
    client, cluster = _client(workers, scheduler)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _client(workers: int, scheduler: str):
    """A Dask client of ``scheduler`` (``'local'``: a new LocalCluster of ``workers`` processes) and its cluster."""
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=max(workers, 1), threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:  # unreachable: bad input, said plainly
            from .scenario import ScenarioError

            raise ScenarioError(
                "--scheduler",
                [
                    f"cannot reach a Dask scheduler at {scheduler!r} within "
                    f"{CONNECT_TIMEOUT_S} s ({type(exc).__name__}: {exc})"
                ],
            ) from None
    return client, cluster


def _dask(task, items, workers, scheduler, shared):
    from dask.distributed import as_completed

    own = isinstance(scheduler, str)  # an address: connect for this call; a client (connected): use it
    client, cluster = _client(workers, scheduler) if own else (scheduler, None)
    try:
        # a key of its own: the same data scattered again by a later call gets the same hashed key, which the
        # release of this call's future would delete from under it
        shared_future = client.scatter(shared, broadcast=True, hash=False)
        futures = [client.submit(task, shared_future, item, pure=False, retries=2) for item in items]
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()


def in_order(
    task: Callable[[Any, Any], Any],
    items: Iterable,
    workers: int = 1,
    scheduler: str | None = None,
    shared: Any = None,
    tick: Callable[[], object] | None = None,
) -> list:
    """``[task(shared, item) for item in items]``, run as :func:`execute` runs it; ``tick()`` as each finishes."""
    items = list(items)
    out: list = [None] * len(items)
    for k, value in execute(_indexed, enumerate(items), workers, scheduler, shared=(task, shared)):
        out[k] = value
        if tick is not None:
            tick()
    return out


def _indexed(shared: tuple[Callable[[Any, Any], Any], Any], item: tuple[int, Any]) -> tuple[int, Any]:
    task, inner = shared
    k, x = item
    return k, task(inner, x)


class Bar(Protocol):
    def update(self, n: float = 1) -> object: ...
    def set_postfix(self, **values: object) -> object: ...


class _Silent:
    """The bar of a quiet run: takes every update, shows nothing."""

    def update(self, n: float = 1) -> None:
        pass

    def set_postfix(self, **values: object) -> None:
        pass


@contextlib.contextmanager
def progress(show: bool, total: float, unit: str, desc: str, **options: Any) -> Iterator[Bar]:
    """A progress bar on the terminal (tqdm) while the block runs, or a silent one; closed however it ends.

    ``options`` go to tqdm (``initial``, ``delay``, ``leave``: by default the bar goes when done).

    >>> with progress(False, 3, "rep", "replications") as bar:
    ...     bar.update()
    """
    if not show:
        yield _Silent()
        return
    from tqdm import tqdm

    bar = tqdm(total=total, unit=unit, desc=desc, **({"leave": False} | options))
    try:
        yield bar
    finally:
        bar.close()
