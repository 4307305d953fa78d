"""Sweeps on a Dask cluster (a LocalCluster of two single-threaded worker processes)."""

from __future__ import annotations

import os

import pytest

from neurocircuit.spice.sweep import monte_carlo, sweep

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")


def cube(x):
    return x**3


def picky(x):
    if x % 3 == 0:
        raise ZeroDivisionError(f"refusing {x}")
    return -x


def env_and_pid(_):
    return os.environ.get("NEUROCIRCUIT_WORKER"), os.environ.get("OMP_NUM_THREADS"), os.getpid()


def seeded(point):
    import numpy as np

    index, seed = point
    return index, float(np.random.default_rng(seed).uniform())


@pytest.fixture(scope="module")
def cluster():
    cl = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,
    )
    try:
        yield cl
    finally:
        cl.close()


@pytest.fixture(scope="module")
def client(cluster):
    c = distributed.Client(cluster, set_as_default=False)
    try:
        yield c
    finally:
        c.close()


def test_dask_client_sweep_with_failures(client):
    res = sweep(picky, range(1, 9), scheduler=client, progress=False)
    assert res.results == (-1, -2, None, -4, -5, None, -7, -8)
    assert [(f.index, f.error.type) for f in res.failures] == [
        (2, "ZeroDivisionError"),
        (5, "ZeroDivisionError"),
    ]
    assert "refusing 3" in res.summary()
    assert client.status == "running"  # a client passed in is left open


def test_dask_address_sweep_runs_on_worker_processes(cluster):
    res = sweep(env_and_pid, range(6), scheduler=cluster.scheduler_address, progress=False)
    assert res.ok
    pids = {pid for _, _, pid in res.results}
    assert os.getpid() not in pids
    assert all(flag == "1" and omp == "1" for flag, omp, _ in res.results)
    by_cluster = sweep(cube, range(4), scheduler=cluster, progress=False)  # the object itself
    assert by_cluster.results == (0, 1, 8, 27)


def test_dask_store_resume_and_chunks(client, tmp_path):
    first = sweep(cube, range(10), scheduler=client, store=tmp_path, chunksize=3, progress=False)
    assert first.results == tuple(x**3 for x in range(10))
    again = sweep(cube, range(10), scheduler=client, store=tmp_path, chunksize=3, progress=False)
    assert again.n_resumed == 10 and again.results == first.results


def test_dask_monte_carlo_matches_local(client):
    a = monte_carlo(seeded, 5, seed=3, scheduler=client, progress=False)
    b = monte_carlo(seeded, 5, seed=3, workers=1, progress=False)
    assert a.results == b.results


@pytest.mark.ngspice
def test_cli_sweep_on_dask(cluster, tmp_path, capsys):
    import json
    import math

    from neurocircuit.cli import main

    deck = tmp_path / "rc.cir"
    deck.write_text("* rc\nV1 in 0 PULSE(0 1 0 1n 1n 1 2)\nR1 in out {r}\nC1 out 0 1u\n")
    out = tmp_path / "rc.json"
    argv = ["sweep", str(deck), "--set-values", "r=1k,2k,3k", "--analysis", "tran 5u 3m 0 5u",
            "--measure", "v(out):final", "--scheduler", cluster.scheduler_address,
            "--no-cache", "--no-progress", "-o", str(out)]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    data = json.loads(out.read_text())
    for p in data["points"]:
        expected = 1 - math.exp(-3e-3 / (p["params"]["r"] * 1e-6))
        assert p["measures"]["v(out):final"] == pytest.approx(expected, rel=1e-3)
