"""Failures are data: each class raises SimulationError with ngspice's words; nothing crashes."""

from __future__ import annotations

import os
import pickle
import re
import signal
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from neurocircuit.errors import SimulationError
from neurocircuit.spice import Op, Tran, simulate
from neurocircuit.spice.diagnose import Plot, RunOutput, diagnose, relevant_lines
from neurocircuit.spice.shared import SharedWorker, get_worker

BACKENDS = ["batch", "shared"]
GOOD = "* good\nV1 a 0 1\nR1 a b 1k\nR2 b 0 1k\n"

CASES = [
    # (id, expected kind, deck, analysis, a regex one of ngspice's message lines must match)
    # .tran with a non-numeric stop time: ngspice rejects the card
    (
        "syntax-card",
        "syntax",
        "* syntax\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1p\n.tran 1n foo\n",
        None,
        r"TSTOP is invalid",
    ),
    # a source value that is not a number
    ("syntax-element", "syntax", "* syntax\nV1 in 0 DC foo\nR1 in 0 1k\n", Op(), r"foo"),
    (
        "model",
        "model",
        "* model\nV1 d 0 1\nM1 d d 0 0 nosuchmodel W=1u L=1u\n",
        Op(),
        r"can't find model 'nosuchmodel'",
    ),
    # two ideal voltage sources in parallel: a voltage-source loop
    ("singular", "singular", "* loop\nV1 a 0 1\nV2 a 0 2\nR1 a 0 1k\n", Op(), r"singular matrix"),
    # a behavioural source that contradicts itself once the input rises: no solution exists
    (
        "convergence",
        "convergence",
        "* no solution\nV1 in 0 PULSE(0 1 1u 1n 1n 1u 2u)\n"
        "B1 out 0 V = v(in) > 0.5 ? (v(out) > 0.5 ? 0 : 1) : 0\nR1 out 0 1k\nC1 out 0 1p\n",
        Tran(1e-9, 10e-6),
        r"Timestep too small",
    ),
]
# 1 s of simulated time at a forced 1 ps step: 1e12 steps, i.e. hours
LONG = (
    "* long\nV1 in 0 SIN(0 1 1k)\nR1 in out 1k\nC1 out 0 1u\n",
    Tran(1e-12, 1.0, max_step=1e-12),
)


@pytest.fixture(autouse=True)
def _failed_decks_in_tmp(tmp_path, monkeypatch):
    """Failed runs keep their deck in the temp dir: keep them in this test's tmp_path."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@pytest.mark.ngspice
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_failure_classes(backend, case):
    _, kind, deck, analysis, pattern = case
    with pytest.raises(SimulationError) as info:
        simulate(deck, analysis, backend=backend, cache=False, timeout=30)
    err = info.value
    assert err.kind == kind
    assert any(re.search(pattern, m) for m in err.messages), err.messages
    assert err.deck_path is not None and Path(err.deck_path).is_file()
    assert Path(err.deck_path).is_relative_to(tempfile.gettempdir())
    assert Path(err.deck_path).read_text().startswith(deck.splitlines()[0])
    if backend == "batch":
        assert err.exit_status == 1
    assert pickle.loads(pickle.dumps(err)).kind == kind  # crosses process pools intact
    # the process (and the shared worker) survive: the next run is fine
    assert simulate(GOOD, Op(), backend=backend, cache=False)["b"][0] == pytest.approx(0.5)


@pytest.mark.ngspice
@pytest.mark.parametrize("backend", BACKENDS)
def test_timeout_stops_a_hung_simulation(backend):
    simulate(GOOD, Op(), backend=backend, cache=False)  # the shared worker is up
    t0 = time.perf_counter()
    with pytest.raises(SimulationError) as info:
        simulate(*LONG, backend=backend, cache=False, timeout=1.5)
    elapsed = time.perf_counter() - t0
    assert info.value.kind == "timeout"
    assert 1.4 < elapsed < 6
    assert simulate(GOOD, Op(), backend=backend, cache=False)["b"][0] == pytest.approx(0.5)


@pytest.mark.ngspice
def test_shared_worker_restarts_after_timeout_and_kill():
    w = get_worker()
    w.start()
    pid0, starts0 = w.pid, w.starts
    with pytest.raises(SimulationError, match="timeout"):
        simulate(*LONG, backend="shared", cache=False, timeout=1.0)
    assert w.pid is None  # killed
    assert simulate(GOOD, Op(), backend="shared", cache=False)["b"][0] == pytest.approx(0.5)
    assert w.starts == starts0 + 1 and w.pid != pid0
    # a worker killed from outside between runs is replaced transparently
    os.kill(w.pid, signal.SIGKILL)
    time.sleep(0.05)
    assert simulate(GOOD, Op(), backend="shared", cache=False)["b"][0] == pytest.approx(0.5)
    assert w.starts == starts0 + 2


@pytest.mark.ngspice
def test_shared_worker_dying_mid_run_is_a_crash():
    w = SharedWorker()
    try:
        w.start()
        pid = w.pid
        threading.Timer(0.5, os.kill, (pid, signal.SIGKILL)).start()
        from neurocircuit.spice.simulate import build_deck

        out = w.run(build_deck(*LONG)[0], timeout=20)
        assert out.crashed and "died" in out.crashed
        err = diagnose(out, "tran", "shared")
        assert err is not None and err.kind == "crash"
        again = w.run(build_deck(GOOD, Op())[0], timeout=20)
        assert diagnose(again, "op", "shared") is None and w.pid != pid
    finally:
        w.close()
    assert w.pid is None


def test_note_lines_are_not_errors():
    plot = Plot("op1", "op", "", {"v(a)": np.array([1.0])})
    run = RunOutput(
        plots=(plot,),
        stdout=("Note: No compatibility mode selected!",),
        stderr=("Note: Starting dynamic gmin stepping", "Warning: Pd = 0 is less than W."),
        exit_status=0,
    )
    assert diagnose(run, "op", "shared") is None
    empty = RunOutput(plots=(), stdout=(), stderr=(), exit_status=0)
    err = diagnose(empty, "tran", "batch")
    assert err is not None and err.kind == "unknown" and "no tran results" in str(err)


def test_relevant_lines_drop_noise_and_repeats():
    lines = [
        "Note: Starting dynamic gmin stepping",
        "Warning: singular matrix:  check node x",
        "Trying gmin =   1.0000E-03 Warning: singular matrix:  check node x",
        "Total elapsed time (seconds) = 0.004",
        "doAnalyses: OP:  Timestep too small; cause unrecorded.",
    ]
    assert relevant_lines(lines) == [
        "Warning: singular matrix:  check node x",
        "doAnalyses: OP:  Timestep too small; cause unrecorded.",
    ]


@pytest.mark.ngspice
def test_shared_worker_dies_with_its_parent(tmp_path):
    """kill -9 of the caller mid-simulation must not leave libngspice running (hung) behind."""
    import subprocess
    import sys

    code = (
        "import sys, time\n"
        "from neurocircuit.spice.shared import get_worker\n"
        "from neurocircuit.spice.simulate import build_deck\n"
        "from neurocircuit.spice import Tran\n"
        "w = get_worker(); w.start(); print(w.pid, flush=True)\n"
        f"w.run(build_deck({LONG[0]!r}, Tran(1e-12, 1.0, max_step=1e-12))[0], timeout=600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        worker_pid = int(parent.stdout.readline())
        time.sleep(0.5)  # the worker is now inside the (endless) run
        os.kill(worker_pid, 0)  # alive
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(worker_pid, 0)
            except ProcessLookupError:
                break
            # a zombie counts as gone: it is only waiting for init to reap it
            stat = Path(f"/proc/{worker_pid}/stat")
            if stat.exists() and stat.read_text().split()[2] == "Z":
                break
            time.sleep(0.05)
        else:
            os.kill(worker_pid, signal.SIGKILL)
            pytest.fail("the libngspice worker outlived its parent")
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.stdout.close()
        parent.wait()
