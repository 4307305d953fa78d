"""Sweeps and Monte Carlo: run ``fn(point)`` over many points, in parallel, resumably.

``sweep(fn, points)`` calls ``fn`` once per point and returns a :class:`SweepResult` whose
``results[i]`` is ``fn(points[i])``. Where it runs:

* ``workers=1``: in this process, serially (no pool, easiest to debug);
* ``workers=None`` / ``K``: a local process pool of one worker per core / ``K`` workers;
* ``scheduler="tcp://host:port"`` (or a ``distributed.Client`` / ``LocalCluster``): on Dask;
* ``executor=``: any :class:`concurrent.futures.Executor` the caller manages.

Each worker runs single-threaded numerics (``OMP_NUM_THREADS=1``, ``OPENBLAS_NUM_THREADS=1``)
and exports ``NEUROCIRCUIT_WORKER=1``, which the simulation layer reads to set ngspice's own
``num_threads=1`` (ngspice ignores ``OMP_NUM_THREADS``; two 2-thread runs on 2 cores are ~100×
slower). Local pool workers ignore Ctrl-C (the parent handles it) and die with the parent,
even after ``kill -9`` (Linux ``PR_SET_PDEATHSIG``).

Failures are data: an exception in ``fn`` is recorded for its point (type, message, traceback)
and the sweep goes on; :attr:`SweepResult.failures` lists them and ``results`` holds ``None``
there. A worker process that dies outright (segfault, ``os._exit``, out-of-memory kill) breaks
a local pool: the points it and the others had not finished are recorded as
``BrokenProcessPool`` failures, the call returns, and a rerun with ``store`` retries only them.
(Simulations through :func:`neurocircuit.spice.simulate` do not crash workers: ngspice runs in
a child process of its own.)

Resuming: with ``store=DIR`` every finished point is written at once to its own file (atomic
rename, checksummed), named by the point's index and a content hash of the point; a manifest
records the sweep's identity (a hash of ``fn``'s qualified name and of the points). Rerunning
the same sweep with the same store, after Ctrl-C or ``kill -9``, loads the finished points
instead of recomputing them. *Failed points are not stored*, so a rerun retries them (a
failure is often transient or fixed by then: a timeout, a missing model file). The identity
uses ``fn``'s name, not its code: after editing ``fn`` delete the store to recompute.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import NeurocircuitError, ParameterError
from .sweepstore import PointStore, SweepStoreError, digest, fn_name

__all__ = [
    "sweep",
    "monte_carlo",
    "SweepResult",
    "PointError",
    "Failure",
    "SweepError",
    "SweepStoreError",
    "WORKER_ENV",
]

WORKER_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NEUROCIRCUIT_WORKER": "1",
}


class SweepError(NeurocircuitError):
    """Raised by :meth:`SweepResult.raise_for_failures` when some points failed."""


# ----------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PointError:
    """Why one point failed: exception type name, message and formatted traceback."""

    type: str
    message: str
    traceback: str = ""

    @classmethod
    def from_exception(cls, exc: BaseException) -> PointError:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(type(exc).__name__, str(exc), tb)

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


class Failure(NamedTuple):
    """A failed point: ``(index, point, error)``."""

    index: int
    point: Any
    error: PointError


@dataclass(frozen=True)
class SweepResult:
    """Outcome of :func:`sweep`.

    Attributes
    ----------
    points
        The points, in the order given.
    results
        ``fn(point)`` for each point; ``None`` where the point failed.
    failures
        One :class:`Failure` per failed point, by index.
    durations
        Seconds ``fn`` took per point (``None`` for a failed point that never returned).
    n_resumed
        How many results were loaded from ``store`` instead of computed.
    wall_time_s
        Wall time of the whole call.
    store
        The store directory, if any.
    """

    points: tuple
    results: tuple
    failures: tuple[Failure, ...] = ()
    durations: tuple = ()
    n_resumed: int = 0
    wall_time_s: float = 0.0
    store: Path | None = None

    @property
    def ok(self) -> bool:
        """``True`` when no point failed."""
        return not self.failures

    @property
    def n_failed(self) -> int:
        return len(self.failures)

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator:
        return iter(self.results)

    def __getitem__(self, index: int):
        return self.results[index]

    def summary(self, tracebacks: bool = False) -> str:
        """Human-readable text: counts, timing, and one line (or traceback) per failure."""
        n = len(self.points)
        done = n - len(self.failures)
        lines = [
            f"sweep: {done}/{n} points ok, {len(self.failures)} failed, "
            f"{self.n_resumed} resumed from store, {self.wall_time_s:.2f} s"
            + (f" (store: {self.store})" if self.store else "")
        ]
        if self.failures:
            lines.append("failures:")
            for f in self.failures:
                lines.append(f"  [{f.index}] {_short_repr(f.point)}: {f.error}")
                if tracebacks and f.error.traceback:
                    lines.extend("      " + ln for ln in f.error.traceback.rstrip().splitlines())
        return "\n".join(lines)

    def raise_for_failures(self) -> SweepResult:
        """Return ``self`` if every point succeeded, else raise :class:`SweepError`."""
        if self.failures:
            raise SweepError(self.summary())
        return self


def _short_repr(obj: Any, limit: int = 80) -> str:
    r = repr(obj)
    return r if len(r) <= limit else r[: limit - 3] + "..."


# ----------------------------------------------------------------------------------------------
# execution
# ----------------------------------------------------------------------------------------------
# one outcome per point: (index, ok, value-or-PointError, seconds)
_Outcome = tuple[int, bool, Any, float | None]


class _CloudFn:
    """A callable shipped with cloudpickle (lambdas, closures, notebook functions)."""

    def __init__(self, fn: Callable) -> None:
        import cloudpickle

        self.blob = cloudpickle.dumps(fn)
        self._fn = fn

    def __getstate__(self):
        return {"blob": self.blob}

    def __setstate__(self, state):
        self.blob = state["blob"]
        self._fn = None

    def __call__(self, point):
        if self._fn is None:
            self._fn = pickle.loads(self.blob)
        return self._fn(point)


def _portable(fn: Callable) -> Callable:
    """``fn`` itself if pickle can ship it to another process, else a cloudpickle wrapper."""
    try:
        pickle.dumps(fn)
        return fn
    except Exception as exc:
        try:
            return _CloudFn(fn)
        except ImportError:
            raise ParameterError(
                f"The function {fn_name(fn)!r} cannot be sent to worker processes: {exc}. "
                "Define it at module level, or install cloudpickle, or use workers=1."
            ) from exc


def _run_chunk(fn: Callable, chunk: Sequence[tuple[int, Any]]) -> list[_Outcome]:
    """Call ``fn`` on each ``(index, point)``; exceptions become :class:`PointError` data."""
    out: list[_Outcome] = []
    for index, point in chunk:
        t0 = time.perf_counter()
        try:
            value = fn(point)
        except Exception as exc:
            out.append((index, False, PointError.from_exception(exc), time.perf_counter() - t0))
        else:
            out.append((index, True, value, time.perf_counter() - t0))
    return out


def _set_worker_env() -> None:
    for k, v in WORKER_ENV.items():
        os.environ[k] = v


def _run_chunk_remote(fn: Callable, chunk: Sequence[tuple[int, Any]]) -> list[_Outcome]:
    """:func:`_run_chunk` for Dask workers: sets the worker environment first."""
    _set_worker_env()
    return _run_chunk(fn, chunk)


def _pool_worker_init(parent_pid: int) -> None:
    """Initialiser of local pool workers (runs once per worker process)."""
    _set_worker_env()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):  # die with the parent, even on kill -9
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _chunk_failed(chunk: Sequence[tuple[int, Any]], exc: BaseException) -> list[_Outcome]:
    err = PointError.from_exception(exc)
    if type(exc).__name__ == "BrokenProcessPool":
        err = PointError(
            err.type,
            "a worker process died (crash, os._exit, out of memory or killed) while this "
            "point was running or waiting; a rerun retries it",
            err.traceback,
        )
    return [(i, False, err, None) for i, _ in chunk]


def _iter_serial(fn, chunks) -> Iterator[tuple[list, list[_Outcome]]]:
    for chunk in chunks:
        yield chunk, _run_chunk(fn, chunk)


def _iter_executor(
    executor: Executor, submit_fn, fn, chunks, on_abort
) -> Iterator[tuple[list, list[_Outcome]]]:
    from concurrent.futures import as_completed

    futures: dict[Future, list] = {}
    finished = False
    try:
        for chunk in chunks:
            futures[executor.submit(submit_fn, fn, chunk)] = chunk
        for fut in as_completed(futures):
            chunk = futures[fut]
            try:
                out = fut.result()
            except Exception as exc:  # pickling errors, a dead worker...
                out = _chunk_failed(chunk, exc)
            yield chunk, out
        finished = True
    finally:
        if not finished:
            for fut in futures:
                fut.cancel()
            on_abort()


def _mp_context(name: str | None):
    import multiprocessing as mp

    if name is None:
        # fork: workers start in milliseconds and functions defined in scripts and notebooks
        # work without a __main__ guard. Elsewhere (macOS, Windows) the platform default.
        name = "fork" if sys.platform.startswith("linux") else None
    return mp.get_context(name)


def _iter_pool(fn, chunks, workers: int, mp_context: str | None):
    import warnings
    from concurrent.futures import ProcessPoolExecutor

    ctx = _mp_context(mp_context)
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_pool_worker_init, initargs=(os.getpid(),)
    )

    def abort() -> None:
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            with contextlib.suppress(Exception):
                p.terminate()
        for p in procs:
            with contextlib.suppress(Exception):
                p.join(2.0)

    ok = False
    gen = None
    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns on fork() in a process with threads (numpy's BLAS pool is
            # one); pool workers only run our loop and fn, which is the classic safe use.
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            gen = _iter_executor(pool, _run_chunk, _portable(fn), chunks, abort)
            first = next(gen, None)  # submits everything, so all forks happen in here
        if first is not None:
            yield first
            yield from gen
        ok = True
    finally:
        if ok:
            pool.shutdown(wait=True)
        else:
            if gen is not None:
                gen.close()  # cancels the futures still pending
            abort()  # idempotent


def _check_scheduler(scheduler) -> None:
    if not (
        isinstance(scheduler, str)
        or (hasattr(scheduler, "submit") and hasattr(scheduler, "gather"))
        or hasattr(scheduler, "scheduler_address")
    ):
        raise ParameterError(
            "The 'scheduler' parameter of sweep must be a Dask scheduler address "
            f"('tcp://host:port'), a distributed.Client or a cluster. Got {scheduler!r} instead."
        )


def _dask_client(scheduler):
    """``(client, owned)`` for an address, a ``Client`` or a cluster object."""
    _check_scheduler(scheduler)
    if hasattr(scheduler, "submit") and hasattr(scheduler, "gather"):
        return scheduler, False
    from distributed import Client

    return Client(scheduler, set_as_default=False), True


def _iter_dask(fn, chunks, scheduler):
    try:
        from distributed import as_completed
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ParameterError(
            "sweep(scheduler=...) needs dask.distributed: pip install 'neurocircuit[cluster]'."
        ) from exc
    client, owned = _dask_client(scheduler)
    futures: dict[str, list] = {}
    fut_list = []
    finished = False
    try:
        for chunk in chunks:
            fut = client.submit(_run_chunk_remote, fn, chunk, pure=False)
            futures[fut.key] = chunk
            fut_list.append(fut)
        for fut in as_completed(fut_list, loop=client.loop):
            chunk = futures[fut.key]
            try:
                out = fut.result()
            except Exception as exc:  # a worker died, (un)pickling failed...
                out = _chunk_failed(chunk, exc)
            yield chunk, out
            fut.release()
        finished = True
    finally:
        if not finished:
            with contextlib.suppress(Exception):
                client.cancel(fut_list)
        del fut_list, futures
        if owned:
            client.close()


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------
def sweep(
    fn: Callable[[Any], Any],
    points: Iterable,
    workers: int | None = None,
    scheduler=None,
    store: str | os.PathLike | None = None,
    progress: bool = True,
    desc: str = "",
    chunksize: int = 1,
    executor: Executor | None = None,
    mp_context: str | None = None,
) -> SweepResult:
    """Run ``fn(point)`` for every point; in parallel, resumable, failures recorded.

    Parameters
    ----------
    fn
        Called with one point, returns anything picklable. Must be picklable itself for a pool
        (module-level function, ``functools.partial``, callable dataclass); lambdas and
        closures are shipped with cloudpickle when it is installed.
    points
        The inputs (materialised into a tuple).
    workers
        ``None``: one local worker process per core; ``1``: serial, in this process; ``K``: a
        pool of ``K`` processes. Ignored when ``scheduler`` or ``executor`` is given.
    scheduler
        A Dask scheduler address (``"tcp://host:port"``), ``distributed.Client`` or cluster
        object: run on Dask (imported only then). A client passed in is not closed.
    store
        Directory that persists each finished point as it completes; a rerun with the same
        store loads them instead of recomputing. Failed points are not stored (see module doc).
    progress, desc
        Show a tqdm progress bar on stderr, labelled ``desc``.
    chunksize
        Points per task sent to a worker (raise it for very quick ``fn``).
    executor
        A caller-managed :class:`concurrent.futures.Executor` to submit to (not shut down).
    mp_context
        Start method of the local pool (``"fork"``, ``"forkserver"``, ``"spawn"``); default
        ``fork`` on Linux, the platform default elsewhere.

    Returns
    -------
    SweepResult

    Raises
    ------
    KeyboardInterrupt
        After cancelling pending work and stopping the workers; finished points are already
        in ``store``, so a rerun resumes.
    SweepStoreError
        ``store`` holds a different sweep.

    Examples
    --------
    >>> res = sweep(abs, [-1, 2, -3], workers=1, progress=False)
    >>> res.results
    (1, 2, 3)
    """
    t_start = time.perf_counter()
    pts = tuple(points)
    n = len(pts)
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ParameterError(
            f"The 'workers' parameter of sweep must be None or an integer >= 1. "
            f"Got {workers!r} instead."
        )
    if isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1:
        raise ParameterError(
            f"The 'chunksize' parameter of sweep must be an integer >= 1. "
            f"Got {chunksize!r} instead."
        )
    if not callable(fn):
        raise ParameterError(f"sweep needs a callable fn. Got {fn!r} instead.")
    if scheduler is not None:
        _check_scheduler(scheduler)

    results: list[Any] = [None] * n
    durations: list[float | None] = [None] * n
    errors: dict[int, PointError] = {}

    st: PointStore | None = None
    done: set[int] = set()
    if store is not None:
        st = PointStore(Path(store), fn, [digest(p) for p in pts])
        st.open()
        for i, (value, dur) in st.load().items():
            results[i] = value
            durations[i] = dur
            done.add(i)
    n_resumed = len(done)

    todo = [(i, pts[i]) for i in range(n) if i not in done]
    chunks = [todo[k : k + chunksize] for k in range(0, len(todo), chunksize)]

    if not chunks:
        runner: Iterator = iter(())
    elif scheduler is not None:
        runner = _iter_dask(fn, chunks, scheduler)
    elif executor is not None:
        runner = _iter_executor(executor, _run_chunk, _portable(fn), chunks, lambda: None)
    else:
        k = (os.cpu_count() or 1) if workers is None else workers
        k = min(k, len(chunks))
        runner = _iter_serial(fn, chunks) if k == 1 else _iter_pool(fn, chunks, k, mp_context)

    from tqdm import tqdm

    bar = tqdm(
        total=n,
        initial=n_resumed,
        desc=desc or None,
        disable=not progress,
        file=sys.stderr,
        unit="pt",
        dynamic_ncols=True,
    )
    try:
        with contextlib.closing(runner) if hasattr(runner, "close") else contextlib.nullcontext():
            for _chunk, outcomes in runner:
                for index, ok, value, dt in outcomes:
                    durations[index] = dt
                    if ok and st is not None:
                        try:
                            st.save(index, value, dt)
                        except Exception as exc:  # e.g. a result pickle cannot store
                            ok, value = False, PointError.from_exception(exc)
                    if ok:
                        results[index] = value
                    else:
                        errors[index] = value
                bar.update(len(outcomes))
                if errors:
                    bar.set_postfix(failed=len(errors), refresh=False)
    finally:
        bar.close()

    failures = tuple(Failure(i, pts[i], errors[i]) for i in sorted(errors))
    return SweepResult(
        points=pts,
        results=tuple(results),
        failures=failures,
        durations=tuple(durations),
        n_resumed=n_resumed,
        wall_time_s=time.perf_counter() - t_start,
        store=st.directory if st is not None else None,
    )


def monte_carlo(fn: Callable[[tuple[int, int]], Any], n: int, seed, **kw) -> SweepResult:
    """Run ``fn((i, seed_i))`` for ``i`` in ``range(n)`` with independent per-run seeds.

    The seeds come from ``np.random.SeedSequence(seed).spawn(n)`` (one 64-bit integer each),
    so run ``i`` draws the same numbers whatever ``n``, the worker or the order of execution;
    inside ``fn`` use ``np.random.default_rng(seed_i)``.

    Parameters
    ----------
    fn
        Called with ``(index, seed)``.
    n
        Number of runs (>= 0).
    seed
        An integer (or a ``SeedSequence``) for the whole experiment.
    **kw
        Passed to :func:`sweep` (``workers``, ``scheduler``, ``store``, ``progress``...).
    """
    import numpy as np

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ParameterError(
            f"The 'n' parameter of monte_carlo must be an integer >= 0. Got {n!r} instead."
        )
    if seed is None:
        raise ParameterError(
            "The 'seed' parameter of monte_carlo must be given (an integer) so that runs are "
            "reproducible. Got None instead."
        )
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    seeds = [int(child.generate_state(1, dtype=np.uint64)[0]) for child in ss.spawn(int(n))]
    kw.setdefault("desc", "monte carlo")
    return sweep(fn, list(enumerate(seeds)), **kw)
