"""DVS emulator, saccade digits, binning and event files."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.errors import DataError, ParameterError
from neurocircuit.snn import events as V


def _moving_edge(T=21, H=6, W=20, lo=0.1, hi=1.0):
    """A bright region growing one column per frame (an edge moving right)."""
    fr = np.full((T, H, W), lo)
    for k in range(T):
        fr[k, :, :k] = hi
    return fr, np.arange(T) * 1e-3


def test_moving_edge_polarity_and_count():
    fr, ts = _moving_edge()
    C, eps = 0.2, 1e-3
    ev = V.dvs_emulate(fr, ts, V.DVSParams(threshold=C, eps=eps))
    per_pixel = int(np.floor(np.log((1.0 + eps) / (0.1 + eps)) / C))
    assert len(ev) == per_pixel * 6 * 20  # every pixel the edge passes
    assert np.all(ev["p"] == 1)
    assert np.all(np.diff(ev["t"]) >= 0)
    # an edge moving back (darkening) gives OFF events
    ev_off = V.dvs_emulate(fr[::-1], ts, V.DVSParams(threshold=C, eps=eps))
    assert len(ev_off) == len(ev) and np.all(ev_off["p"] == 0)
    # events of column c happen within the frame interval the edge crosses it
    col = 7
    t_col = ev["t"][ev["x"] == col]
    assert t_col.min() > ts[col] * 1e6 and t_col.max() <= ts[col + 1] * 1e6


def test_single_event_mode_and_static_scene():
    fr, ts = _moving_edge()
    ev = V.dvs_emulate(fr, ts, V.DVSParams(threshold=0.2, multiple=False))
    assert len(ev) == 6 * 20
    static = np.full((10, 5, 5), 0.5)
    assert len(V.dvs_emulate(static, np.arange(10) * 1e-3)) == 0


def test_refractory_suppresses():
    # one pixel flickering every 1 ms between two levels 2 thresholds apart
    T = 41
    fr = np.where(np.arange(T) % 2 == 0, 0.2, 0.2 * np.exp(0.45))[:, None, None]
    ts = np.arange(T) * 1e-3
    p = V.DVSParams(threshold=0.2, eps=1e-9)
    n_free = len(V.dvs_emulate(fr, ts, p))
    assert n_free == 2 * (T - 1)
    ev = V.dvs_emulate(fr, ts, V.DVSParams(threshold=0.2, eps=1e-9, refractory=5e-3))
    assert 0 < len(ev) < n_free / 4
    assert np.diff(ev["t"]).min() >= 5000


def test_threshold_mismatch_seeded():
    fr, ts = _moving_edge()
    p = V.DVSParams(threshold=0.2, threshold_sigma=0.2)
    a = V.dvs_emulate(fr, ts, p, rng=1)
    b = V.dvs_emulate(fr, ts, p, rng=1)
    c = V.dvs_emulate(fr, ts, p, rng=2)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    with pytest.raises(ParameterError, match="rng"):
        V.dvs_emulate(fr, ts, p)
    counts = np.bincount(a["y"] * 20 + a["x"], minlength=120)
    assert counts.std() > 0  # pixels differ


def test_batch_emulation_matches_single():
    fr, ts = _moving_edge()
    both = np.stack([fr, fr[::-1]], axis=1)  # (T, 2, H, W)
    batch = V.dvs_emulate(both, ts)
    assert isinstance(batch, V.EventBatch) and len(batch) == 2
    assert np.array_equal(batch[0], V.dvs_emulate(fr, ts))
    assert np.array_equal(batch[1], V.dvs_emulate(fr[::-1], ts))


def test_emulator_bad_input():
    with pytest.raises(ParameterError, match="timestamps"):
        V.dvs_emulate(np.ones((3, 2, 2)), [0, 1])
    with pytest.raises(ParameterError, match="increasing"):
        V.dvs_emulate(np.ones((3, 2, 2)), [0, 1, 1])
    with pytest.raises(ParameterError, match="threshold"):
        V.DVSParams(threshold=0)


def test_saccade_events_and_binning():
    rng = np.random.default_rng(0)
    img = np.zeros((3, 12, 12), np.float32)
    img[:, 3:9, 5:7] = 1.0
    img[2] = rng.random((12, 12)) > 0.7
    b = V.saccade_events(img, rng=4, chunk=2)
    W, H = b.sensor_size
    assert (W, H) == (12 + 2 + 4, 12 + 2 + 4)
    assert len(b) == 3 and np.all(b.counts() > 50)
    again = V.saccade_events(img, rng=4, chunk=3)
    assert np.array_equal(b.events, again.events)  # chunking does not change the events
    for i in range(3):
        e = b[i]
        assert np.all(np.diff(e["t"]) >= 0)
        assert e["t"].max() <= 300_000 + 1
        assert set(np.unique(e["p"])) == {0, 1}
        f = V.to_frames(e, b.sensor_size, 6)
        assert f.shape == (6, 2, H, W) and f.sum() == len(e)
        assert f[:, 1].sum() == (e["p"] == 1).sum()
        vg = V.to_voxel_grid(e, b.sensor_size, 5)
        assert vg.shape == (5, H, W)
        assert np.isclose(vg.sum(), (2 * e["p"].astype(int) - 1).sum(), atol=1e-3)
    fb = V.batch_to_frames(b, 6)
    assert fb.shape == (3, 6, 2, H, W)
    assert np.array_equal(fb.reshape(3, -1).sum(1), b.counts())
    assert np.array_equal(fb[1], V.to_frames(b[1], b.sensor_size, 6))
    vb = V.batch_to_voxel_grid(b, 5)
    assert np.allclose(vb[2], V.to_voxel_grid(b[2], b.sensor_size, 5), atol=1e-5)


def test_frames_drop_events_outside_range():
    ev = V.make_events([0, 1, 2], [0, 0, 1], [0, 50, 200], [1, 0, 1])
    f = V.to_frames(ev, (3, 2), 2, t_range=(0, 100))
    assert f.sum() == 2 and f[0, 1, 0, 0] == 1 and f[1, 0, 0, 1] == 1
    with pytest.raises(ParameterError, match="sensor_size"):
        V.to_frames(ev, (2, 2), 2)


def test_npz_and_nmnist_bin_round_trip(tmp_path):
    rng = np.random.default_rng(5)
    n = 500
    ev = V.make_events(
        rng.integers(0, 34, n), rng.integers(0, 34, n), np.sort(rng.integers(0, 2**23, n)),
        rng.integers(0, 2, n),
    )
    V.save_npz(tmp_path / "e.npz", ev, (34, 34))
    back, size = V.load_npz(tmp_path / "e.npz")
    assert size == (34, 34) and np.array_equal(back, ev)
    V.write_nmnist_bin(tmp_path / "e.bin", ev)
    assert (tmp_path / "e.bin").stat().st_size == 5 * n
    assert np.array_equal(V.read_nmnist_bin(tmp_path / "e.bin"), ev)


def test_nmnist_bin_layout_and_overflow(tmp_path):
    # x=3, y=4, p=1, t=0x012345 ; then an overflow event (y=240) ; then t=5
    raw = bytes([3, 4, 0x80 | 0x01, 0x23, 0x45, 0, 240, 0, 0, 0, 1, 2, 0, 0, 5])
    (tmp_path / "r.bin").write_bytes(raw)
    ev = V.read_nmnist_bin(tmp_path / "r.bin")
    assert ev["x"].tolist() == [3, 1] and ev["y"].tolist() == [4, 2]
    assert ev["p"].tolist() == [1, 0]
    assert ev["t"].tolist() == [0x012345, 5 + 2**13]
    (tmp_path / "bad.bin").write_bytes(b"123")
    with pytest.raises(DataError, match="5"):
        V.read_nmnist_bin(tmp_path / "bad.bin")
    with pytest.raises(ParameterError, match="2\\^23"):
        V.write_nmnist_bin(tmp_path / "x.bin", V.make_events([0], [0], [2**23], [0]))
