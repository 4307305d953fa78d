"""Sweep / Monte-Carlo runner: local pool, failures as data, resumable store, interrupts."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurocircuit.errors import ParameterError
from neurocircuit.spice.sweep import (
    Failure,
    PointError,
    SweepError,
    SweepStoreError,
    monte_carlo,
    sweep,
)
from neurocircuit.spice.sweepstore import digest

REPO = Path(__file__).resolve().parents[2]


# -- module-level functions (picklable by reference) ----------------------------------------
def square(x):
    return x * x


def fragile_sqrt(x):
    if x < 0:
        raise ValueError(f"negative input {x}")
    return math.sqrt(x)


def worker_env(_):
    return (
        os.environ.get("NEUROCIRCUIT_WORKER"),
        os.environ.get("OMP_NUM_THREADS"),
        os.environ.get("OPENBLAS_NUM_THREADS"),
        os.getpid(),
    )


def die_on_7(x):
    if x == 7:
        os._exit(3)  # a hard crash: no exception, the process just goes
    time.sleep(0.01)
    return x


def mc_draw(point):
    index, seed = point
    return index, float(np.random.default_rng(seed).normal())


class CountingFn:
    """Records every call as a file ``<dir>/<point>-<n>`` so tests can count calls."""

    def __init__(self, directory):
        self.directory = str(directory)

    def __call__(self, x):
        d = Path(self.directory)
        d.mkdir(exist_ok=True)
        n = len(list(d.glob(f"{x}-*")))
        (d / f"{x}-{n}").write_text(str(os.getpid()))
        if x == 13:
            raise RuntimeError("unlucky")
        return x + 0.5

    def calls(self, x) -> int:
        return len(list(Path(self.directory).glob(f"{x}-*")))


# -- basics ------------------------------------------------------------------------------------
@pytest.mark.parametrize("workers", [1, 2])
def test_results_in_order(workers):
    res = sweep(square, range(12), workers=workers, progress=False)
    assert res.results == tuple(x * x for x in range(12))
    assert res.points == tuple(range(12))
    assert res.ok and res.n_failed == 0 and len(res) == 12
    assert all(d is not None and d >= 0 for d in res.durations)
    assert "12/12 points ok" in res.summary()


def test_chunksize_and_default_workers():
    res = sweep(square, range(25), workers=None, chunksize=4, progress=False)
    assert list(res) == [x * x for x in range(25)]
    assert res[5] == 25


def test_empty_sweep():
    res = sweep(square, [], progress=False)
    assert res.results == () and res.ok


def test_failures_are_recorded_and_sweep_goes_on():
    pts = [4.0, -1.0, 9.0, -2.0, 16.0]
    res = sweep(fragile_sqrt, pts, workers=2, progress=False)
    assert not res.ok
    assert res.results == (2.0, None, 3.0, None, 4.0)
    assert [f.index for f in res.failures] == [1, 3]
    f = res.failures[0]
    assert isinstance(f, Failure) and isinstance(f.error, PointError)
    index, point, error = f
    assert (index, point) == (1, -1.0)
    assert error.type == "ValueError" and error.message == "negative input -1.0"
    assert "fragile_sqrt" in error.traceback and "Traceback" in error.traceback
    text = res.summary()
    assert "3/5 points ok, 2 failed" in text
    assert "[1] -1.0: ValueError: negative input -1.0" in text
    assert "[3] -2.0" in text
    assert "fragile_sqrt" in res.summary(tracebacks=True)
    with pytest.raises(SweepError, match="2 failed"):
        res.raise_for_failures()
    ok = sweep(fragile_sqrt, [1.0], workers=1, progress=False)
    assert ok.raise_for_failures() is ok


def test_serial_and_pool_failures_agree():
    pts = [1.0, -3.0, 4.0]
    a = sweep(fragile_sqrt, pts, workers=1, progress=False)
    b = sweep(fragile_sqrt, pts, workers=2, progress=False)
    assert a.results == b.results
    assert [(f.index, str(f.error)) for f in a.failures] == [
        (f.index, str(f.error)) for f in b.failures
    ]


def test_lambda_runs_in_pool_via_cloudpickle():
    offset = 3
    res = sweep(lambda x: x + offset, range(6), workers=2, progress=False)
    assert res.results == tuple(x + 3 for x in range(6))


def test_dead_worker_is_a_failure_not_a_crash():
    res = sweep(die_on_7, range(12), workers=2, progress=False)
    assert not res.ok
    failed = {f.index: f.error for f in res.failures}
    assert 7 in failed and failed[7].type == "BrokenProcessPool"
    assert "worker process died" in failed[7].message
    for i, value in enumerate(res.results):
        assert value == i if i not in failed else value is None
    assert all(e.type == "BrokenProcessPool" for e in failed.values())


def test_user_executor():
    with ThreadPoolExecutor(2) as ex:
        res = sweep(square, range(7), executor=ex, progress=False)
    assert res.results == tuple(x * x for x in range(7))


def test_worker_environment_is_single_threaded(monkeypatch):
    monkeypatch.delenv("NEUROCIRCUIT_WORKER", raising=False)
    res = sweep(worker_env, range(4), workers=2, progress=False)
    for flag, omp, blas, pid in res.results:
        assert (flag, omp, blas) == ("1", "1", "1")
        assert pid != os.getpid()
    serial = sweep(worker_env, range(2), workers=1, progress=False)
    assert serial.results[0][0] is None and serial.results[0][3] == os.getpid()
    assert "NEUROCIRCUIT_WORKER" not in os.environ  # the parent's environment is untouched


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"workers": 0}, "'workers'"),
        ({"workers": 1.5}, "'workers'"),
        ({"chunksize": 0}, "'chunksize'"),
        ({"scheduler": 42}, "'scheduler'"),
    ],
)
def test_bad_arguments(kw, match):
    with pytest.raises(ParameterError, match=match):
        sweep(square, [1, 2], progress=False, **kw)


def test_progress_bar_goes_to_stderr(capfd):
    sweep(square, range(3), workers=1, progress=True, desc="squares")
    err = capfd.readouterr().err
    assert "squares" in err and "3/3" in err
    sweep(square, range(3), workers=1, progress=False, desc="quiet")
    out = capfd.readouterr()
    assert "quiet" not in out.err and out.out == ""


# -- Monte Carlo --------------------------------------------------------------------------------
def test_monte_carlo_seeds_are_reproducible_and_independent():
    a = monte_carlo(mc_draw, 6, seed=7, workers=1, progress=False)
    b = monte_carlo(mc_draw, 6, seed=7, workers=2, progress=False)
    c = monte_carlo(mc_draw, 3, seed=7, workers=1, progress=False)
    d = monte_carlo(mc_draw, 6, seed=8, workers=1, progress=False)
    assert a.results == b.results  # same numbers whichever worker ran them
    assert a.results[:3] == c.results  # run i does not depend on n
    assert [p[0] for p in a.points] == list(range(6))
    seeds = [p[1] for p in a.points]
    assert len(set(seeds)) == 6 and all(isinstance(s, int) for s in seeds)
    assert seeds == [
        int(s.generate_state(1, dtype=np.uint64)[0]) for s in np.random.SeedSequence(7).spawn(6)
    ]
    assert a.results != d.results
    with pytest.raises(ParameterError, match="'n'"):
        monte_carlo(mc_draw, -1, seed=1)
    with pytest.raises(ParameterError, match="'seed'"):
        monte_carlo(mc_draw, 2, seed=None)


# -- the store -----------------------------------------------------------------------------------
def test_store_resumes_and_retries_failures(tmp_path):
    fn = CountingFn(tmp_path / "calls")
    pts = [11, 12, 13, 14]
    store = tmp_path / "store"
    first = sweep(fn, pts, workers=2, store=store, progress=False)
    assert first.results == (11.5, 12.5, None, 14.5)
    assert first.n_resumed == 0 and first.store == store
    assert (store / "manifest.json").is_file()
    second = sweep(fn, pts, workers=2, store=store, progress=False)
    assert second.results == first.results
    assert second.n_resumed == 3  # the failed point is not stored ...
    assert [fn.calls(x) for x in pts] == [1, 1, 2, 1]  # ... so only it is retried
    assert "3 resumed from store" in second.summary()


def test_store_of_another_sweep_is_refused(tmp_path):
    sweep(square, [1, 2, 3], workers=1, store=tmp_path, progress=False)
    with pytest.raises(SweepStoreError, match="belongs to another sweep"):
        sweep(square, [1, 2, 4], workers=1, store=tmp_path, progress=False)
    with pytest.raises(SweepStoreError, match="another sweep"):
        sweep(fragile_sqrt, [1, 2, 3], workers=1, store=tmp_path, progress=False)


def test_damaged_store_entry_is_recomputed(tmp_path):
    fn = CountingFn(tmp_path / "calls")
    store = tmp_path / "store"
    sweep(fn, [1, 2, 3], workers=1, store=store, progress=False)
    files = sorted((store / "points").glob("*.pkl"))
    assert len(files) == 3
    files[1].write_bytes(files[1].read_bytes()[:-7])  # truncated
    data = bytearray(files[2].read_bytes())
    data[-3] ^= 0xFF  # flipped byte
    files[2].write_bytes(bytes(data))
    res = sweep(fn, [1, 2, 3], workers=1, store=store, progress=False)
    assert res.results == (1.5, 2.5, 3.5) and res.n_resumed == 1
    assert [fn.calls(x) for x in (1, 2, 3)] == [1, 2, 2]


def test_point_hash_is_stable_across_processes():
    code = (
        "import numpy as np;from neurocircuit.spice.sweepstore import digest;"
        "print(digest([{'b', 'a', 'c'}, {'x': 1.5, 'y': (2, 'z')}, np.arange(3.0)]))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for seed in ("1", "2")
    ]
    outs = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(outs) == 1 and len(outs.pop()) == 64


def test_serial_keyboard_interrupt_keeps_finished_points(tmp_path):
    calls = []
    stop_at = [3]

    def fn(x):
        calls.append(x)
        if x == stop_at[0]:
            raise KeyboardInterrupt
        return -x

    store = tmp_path / "s"
    with pytest.raises(KeyboardInterrupt):
        sweep(fn, range(6), workers=1, store=store, progress=False)
    assert calls == [0, 1, 2, 3]
    calls.clear()
    stop_at[0] = None
    res = sweep(fn, range(6), workers=1, store=store, progress=False)
    assert calls == [3, 4, 5] and res.n_resumed == 3
    assert res.results == (0, -1, -2, -3, -4, -5)


# -- kill -9 and Ctrl-C in a real process ------------------------------------------------------
SLOW_MODULE = """
import os, time
from pathlib import Path

CALLS = Path(os.environ["SWEEP_TEST_CALLS"])


def slow(x):
    CALLS.mkdir(exist_ok=True)
    (CALLS / f"{x}-{os.getpid()}-{time.monotonic_ns()}").write_text("")
    time.sleep(float(os.environ.get("SWEEP_TEST_SLEEP", "0.15")))
    return x * 10
"""

RUNNER = """
import signal
import sys
# A process started in the background by a shell without job control inherits SIGINT ignored
# (POSIX), and Python then keeps it ignored; a terminal's Ctrl-C reaches a handler.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, sys.argv[1])
from slowmod import slow
from neurocircuit.spice.sweep import sweep
res = sweep(slow, list(range(int(sys.argv[3]))), workers=2, store=sys.argv[2], progress=False)
print("DONE", res.n_resumed, res.results)
"""


def _slow_env(tmp_path, sleep="0.15"):
    (tmp_path / "slowmod.py").write_text(textwrap.dedent(SLOW_MODULE))
    (tmp_path / "runner.py").write_text(textwrap.dedent(RUNNER))
    env = {
        **os.environ,
        "SWEEP_TEST_CALLS": str(tmp_path / "calls"),
        "SWEEP_TEST_SLEEP": sleep,
        "PYTHONPATH": str(REPO),
    }
    return env


def _calls(tmp_path) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for p in (tmp_path / "calls").glob("*"):
        x, pid, _ = p.name.split("-")
        out.setdefault(int(x), []).append(int(pid))
    return out


def _stored(store: Path) -> set[int]:
    return {
        int(p.name.split("-")[0])
        for p in (store / "points").glob("*.pkl")
        if not p.name.startswith(".")  # temporary files of writes in progress
    }


def _wait_for(cond, timeout=20.0):
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and kill -9")
def test_resume_after_kill_9(tmp_path, monkeypatch):
    env = _slow_env(tmp_path)
    store = tmp_path / "store"
    n = 16
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "runner.py"), str(tmp_path), str(store), str(n)], env=env
    )
    try:
        _wait_for(lambda: (store / "points").is_dir() and len(_stored(store)) >= 5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    finished = _stored(store)
    assert 5 <= len(finished) < n, "the kill should land mid-sweep"
    workers = {pid for pids in _calls(tmp_path).values() for pid in pids}
    _wait_for(lambda: not any(_alive(p) for p in workers), timeout=5)  # no orphans left
    before = _calls(tmp_path)

    # resume in this process, same function, same store
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SWEEP_TEST_CALLS", env["SWEEP_TEST_CALLS"])
    monkeypatch.setenv("SWEEP_TEST_SLEEP", "0")
    import slowmod

    res = sweep(slowmod.slow, list(range(n)), workers=2, store=store, progress=False)
    assert res.ok and res.results == tuple(10 * x for x in range(n))
    assert res.n_resumed == len(finished)
    after = _calls(tmp_path)
    for x in finished:  # finished points were loaded, not recomputed
        assert len(after[x]) == len(before[x]) == 1, x
    for x in set(range(n)) - finished:  # the rest ran (again, if it was in flight at the kill)
        assert len(after.get(x, [])) == len(before.get(x, [])) + 1, x


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and POSIX signals")
def test_ctrl_c_stops_workers_and_keeps_finished(tmp_path):
    env = _slow_env(tmp_path, sleep="0.4")
    store = tmp_path / "store"
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "runner.py"), str(tmp_path), str(store), "40"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: (store / "points").is_dir() and len(_stored(store)) >= 2)
        t0 = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode != 0 and "KeyboardInterrupt" in err and "DONE" not in out
    assert elapsed < 5.0  # the rest would take > 7 s: pending points were cancelled
    workers = {pid for pids in _calls(tmp_path).values() for pid in pids}
    _wait_for(lambda: not any(_alive(p) for p in workers), timeout=5)
    assert len(_stored(store)) >= 2
    assert len(_calls(tmp_path)) < 40


# -- point hashing properties -------------------------------------------------------------------
@given(st.dictionaries(st.text(max_size=5), st.floats(allow_nan=False) | st.integers(), max_size=6))
@settings(max_examples=60, deadline=None)
def test_digest_is_order_free_for_mappings_and_sets(d):
    assert digest(d) == digest(dict(reversed(list(d.items()))))
    assert digest(set(d)) == digest(set(reversed(list(d))))


def test_digest_distinguishes_types_and_values():
    values = [1, 1.0, "1", True, (1,), [1], {1}, None, b"1", np.float64(1.0), np.array([1.0])]
    assert len({digest(v) for v in values}) == len(values)
    assert digest(np.arange(3.0)) != digest(np.arange(3.0).astype(np.float32))
    assert digest({"a": (1, 2)}) == digest({"a": (1, 2)})
