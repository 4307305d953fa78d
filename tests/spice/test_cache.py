"""Result cache: addressing, round trip, corruption recovery, atomic concurrent writes."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurocircuit.spice.cache import ResultCache, default_cache
from neurocircuit.spice.result import SimResult

DECK = "rc\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1u\n"


def _result(scale: float = 1.0) -> SimResult:
    t = np.linspace(0, 1e-3, 101)
    return SimResult(
        analysis="tran",
        axis_name="time",
        axis=t,
        signals={"v(out)": scale * (1 - np.exp(-t / 1e-3)), "i(v1)": -scale * np.exp(-t / 1e-3)},
        deck=DECK,
        ngspice_version="ngspice-39",
        backend="batch",
        wall_time_s=0.01,
        meta={"temperature": 27.0},
    )


def _key(cache: ResultCache, deck: str = DECK, **kw) -> str:
    args = {
        "analysis_card": ".tran 1u 1m",
        "options": "reltol=1e-4",
        "ngspice_version": "ngspice-39",
        "backend": "batch",
    }
    args.update(kw)
    return cache.key(deck, **args)


def test_key_depends_on_every_input_but_backend(tmp_path):
    c = ResultCache(tmp_path)
    base = _key(c)
    assert len(base) == 64 and int(base, 16) >= 0
    assert base == _key(c)
    assert base == _key(c, backend="shared")  # both backends give the same numbers
    assert base != _key(c, deck=DECK + "* changed\n")
    assert base != _key(c, analysis_card=".tran 1u 2m")
    assert base != _key(c, options="reltol=1e-3")
    assert base != _key(c, ngspice_version="ngspice-42")


def test_round_trip_and_miss(tmp_path):
    c = ResultCache(tmp_path / "cache")
    k = _key(c)
    assert c.get(k) is None
    r = _result()
    c.put(k, r)
    assert c.path_for(k).is_file()
    got = c.get(k)
    assert got is not None
    assert got.meta["cache_hit"] is True
    assert got.meta["temperature"] == 27.0
    assert got.analysis == "tran" and got.axis_name == "time" and got.deck == DECK
    np.testing.assert_array_equal(got.time, r.time)
    for name in r.signals:
        np.testing.assert_array_equal(got[name], r[name])
    assert c.keys() == [k]
    assert k in c
    c.clear()
    assert c.get(k) is None and c.keys() == []


def test_complex_signals_survive(tmp_path):
    c = ResultCache(tmp_path)
    f = np.logspace(0, 6, 7)
    r = SimResult("ac", "frequency", f.astype(complex), {"v(out)": 1 / (1 + 1j * f / 1e3)})
    k = _key(c, analysis_card=".ac dec 1 1 1meg")
    c.put(k, r)
    got = c.get(k)
    np.testing.assert_array_equal(got["v(out)"], r["v(out)"])
    assert np.iscomplexobj(got["v(out)"])


@pytest.mark.parametrize(
    "damage",
    ["truncate_half", "truncate_header", "flip_payload", "flip_digest", "empty", "garbage"],
)
def test_corrupted_entry_is_a_miss_then_recomputed(tmp_path, damage):
    c = ResultCache(tmp_path)
    k = _key(c)
    c.put(k, _result())
    p = c.path_for(k)
    blob = bytearray(p.read_bytes())
    if damage == "truncate_half":
        blob = blob[: len(blob) // 2]
    elif damage == "truncate_header":
        blob = blob[:10]
    elif damage == "flip_payload":
        blob[len(blob) // 2] ^= 0xFF
        blob[-5] ^= 0x01
    elif damage == "flip_digest":
        blob[8] = ord("0") if blob[8] != ord("0") else ord("1")
    elif damage == "empty":
        blob = bytearray()
    else:
        blob = bytearray(os.urandom(500))
    p.write_bytes(bytes(blob))
    assert c.get(k) is None  # detected, no exception
    assert not p.exists()  # the damaged entry was removed
    c.put(k, _result(2.0))  # the caller recomputes and stores again
    got = c.get(k)
    np.testing.assert_allclose(got["v(out)"][-1], 2.0 * (1 - np.exp(-1.0)))


def test_atomic_write_leaves_no_temp_files(tmp_path):
    c = ResultCache(tmp_path)
    k = _key(c)
    c.put(k, _result())
    c.put(k, _result(3.0))  # overwrite is fine
    files = list(Path(tmp_path).rglob("*"))
    assert [f.name for f in files if f.is_file()] == [c.path_for(k).name]


def _writer(directory: str, key: str, scale: float, n: int) -> None:
    c = ResultCache(directory)
    for _ in range(n):
        c.put(key, _result(scale))
        got = c.get(key)
        assert got is not None


def test_concurrent_writers_same_key(tmp_path):
    c = ResultCache(tmp_path)
    k = _key(c)
    ctx = mp.get_context("fork")  # spawn would re-import numpy & co: seconds on a busy box
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), k, 1.0, 30)) for _ in range(2)]
    with warnings.catch_warnings():  # Python >= 3.12: fork() with threads (BLAS) warns
        warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
        for p in procs:
            p.start()
    # read concurrently: every read sees a miss or a whole entry, never a torn one
    seen = 0
    while any(p.is_alive() for p in procs):
        r = c.get(k)
        if r is not None:
            seen += 1
            assert r["v(out)"].shape == (101,)
        else:  # once an entry exists, atomic replacement never shows a gap or a torn file
            assert seen == 0
        time.sleep(0.002)
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert c.get(k) is not None
    assert not [f for f in Path(tmp_path).rglob(".tmp-*")]


def test_default_cache_env(monkeypatch, tmp_path):
    monkeypatch.delenv("NEUROCIRCUIT_NO_CACHE", raising=False)
    monkeypatch.setenv("NEUROCIRCUIT_CACHE", str(tmp_path / "x"))
    assert default_cache().directory == tmp_path / "x"
    monkeypatch.delenv("NEUROCIRCUIT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache().directory == tmp_path / "xdg" / "neurocircuit" / "results"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache().directory == tmp_path / "home" / ".cache" / "neurocircuit" / "results"
    monkeypatch.setenv("NEUROCIRCUIT_NO_CACHE", "1")
    assert default_cache() is None


def test_cache_dir_fixture(cache_dir):
    c = default_cache()
    assert c is not None and c.directory == cache_dir


def test_bad_key_rejected(tmp_path):
    with pytest.raises(ValueError, match="cache key"):
        ResultCache(tmp_path).path_for("../etc/passwd")


def test_unwritable_cache_warns_but_does_not_fail(tmp_path):
    from neurocircuit.spice.cache import CacheWarning

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    c = ResultCache(blocker)
    k = _key(c)
    with pytest.warns(CacheWarning, match="Could not write the result cache"):
        c.put(k, _result())
    assert c.get(k) is None


@given(
    n=st.integers(0, 40),
    names=st.lists(st.sampled_from(["v(a)", "v(b)", "i(v1)", "v(x.y)"]), unique=True),
    complex_=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=25, deadline=None)
def test_round_trip_property(tmp_path_factory, n, names, complex_, seed):
    rng = np.random.default_rng(seed)
    dtype = complex if complex_ else float
    sig = {k: rng.standard_normal(n).astype(dtype) for k in names}
    r = SimResult("ac" if complex_ else "tran", "frequency", rng.random(n), sig, meta={"s": seed})
    c = ResultCache(tmp_path_factory.mktemp("prop"))
    k = c.key(str(seed), ".op", "", "v", "batch")
    c.put(k, r)
    got = c.get(k)
    assert list(got.signals) == names and got.meta["s"] == seed
    np.testing.assert_array_equal(got.axis, r.axis)
    for name in names:
        assert got[name].dtype == sig[name].dtype
        np.testing.assert_array_equal(got[name], sig[name])
