"""Datasets: digits, IDX files (gz/raw), FSDD front end, emulated N-MNIST, checksums, fetch, CLI."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import wave

import numpy as np
import pytest

from neurocircuit.cli import main
from neurocircuit.errors import DataError, ParameterError
from neurocircuit.snn import audio, datafiles, datasets

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _idx_bytes(arr: np.ndarray) -> bytes:
    head = bytes([0, 0, 0x08, arr.ndim]) + np.array(arr.shape, ">u4").tobytes()
    return head + arr.astype(np.uint8).tobytes()


def _write_idx(folder, n=7, gz=True, split="train", seed=0, dotted=False):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    for kind, arr in (("images", images), ("labels", labels)):
        name = datafiles.IDX_FILES[(split, kind)]
        if dotted:
            name = name.replace("-idx", ".idx")
        data = _idx_bytes(arr)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return images, labels


# ----------------------------------------------------------------------------- digits


def test_digits_split_shapes_and_range():
    xtr, ytr = datasets.load("digits")
    xte, yte = datasets.load("digits", split="test")
    assert xtr.shape == (1433, 8, 8) and xte.shape == (364, 8, 8)
    assert xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert xtr.min() == 0.0 and xtr.max() == 1.0
    assert np.all(np.bincount(yte) >= 35)
    xf, _ = datasets.load("digits", split="test", flatten=True, limit=10)
    assert xf.shape == (10, 64) and np.array_equal(xf, xte[:10].reshape(10, 64))


def test_bad_names():
    with pytest.raises(ParameterError, match="valid datasets"):
        datasets.load("cifar")
    with pytest.raises(ParameterError, match="valid splits"):
        datasets.load("digits", split="val")
    with pytest.raises(ParameterError, match="takes no options"):
        datasets.load("digits", n_bins=3)


# ----------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("sub", [True, False])
def test_idx_gz_and_raw_in_subfolder_or_flat(tmp_path, gz, sub):
    folder = tmp_path / "mnist" if sub else tmp_path
    images, labels = _write_idx(folder, gz=gz)
    x, y = datasets.load("mnist", tmp_path)
    assert x.shape == (7, 28, 28) and x.dtype == np.float32
    assert np.allclose(x, images / 255.0) and np.array_equal(y, labels)
    xf, yf = datasets.load("mnist", tmp_path, flatten=True, limit=3)
    assert xf.shape == (3, 784) and np.array_equal(yf, labels[:3])


def test_idx_env_var_and_dotted_names(tmp_path, monkeypatch):
    _, labels = _write_idx(tmp_path / "fashion-mnist", split="test", gz=False, dotted=True)
    monkeypatch.setenv("NEUROCIRCUIT_DATA", str(tmp_path))
    _, y = datasets.load("fashion-mnist", split="test")
    assert np.array_equal(y, labels)


def test_missing_files_named(tmp_path, monkeypatch):
    _write_idx(tmp_path / "mnist", split="train")
    with pytest.raises(DataError) as err:
        datasets.load("mnist", tmp_path, split="test")
    msg = str(err.value)
    assert "t10k-images-idx3-ubyte" in msg and "t10k-labels-idx1-ubyte" in msg
    assert str(tmp_path / "mnist") in msg
    monkeypatch.delenv("NEUROCIRCUIT_DATA", raising=False)
    with pytest.raises(DataError, match="NEUROCIRCUIT_DATA"):
        datasets.load("mnist")
    with pytest.raises(DataError, match="does not exist"):
        datasets.load("mnist", tmp_path / "nope")


def test_malformed_idx(tmp_path):
    folder = tmp_path / "mnist"
    _write_idx(folder)
    p = folder / "train-images-idx3-ubyte.gz"
    p.write_bytes(gzip.compress(gzip.decompress(p.read_bytes())[:-5]))
    with pytest.raises(DataError, match="data bytes"):
        datasets.load("mnist", tmp_path)
    p.write_bytes(b"\x00\x01\x02\x03garbage")
    with pytest.raises(DataError, match="not an IDX"):
        datasets.load("mnist", tmp_path)


def test_verify_detects_wrong_file(tmp_path):
    _write_idx(tmp_path / "mnist")
    with pytest.raises(DataError, match="Checksum mismatch"):
        datasets.load("mnist", tmp_path, verify=True)
    (tmp_path / "x.gz").write_bytes(b"")
    with pytest.raises(DataError, match="No known checksum"):
        datafiles.verify_file(tmp_path / "x.gz", "mnist")


# ----------------------------------------------------------------------------- fetch


def test_fetch_idx_from_file_url(tmp_path):
    src = tmp_path / "mirror"
    _write_idx(src, split="train", seed=1)
    _write_idx(src, split="test", seed=2)
    md5 = {
        stem: hashlib.md5(gzip.decompress((src / f"{stem}.gz").read_bytes())).hexdigest()
        for stem in datafiles.IDX_FILES.values()
    }
    dest = tmp_path / "data"
    files = datafiles.fetch("mnist", dest, base_url=src.as_uri(), expected_md5=md5)
    assert len(files) == 4 and all(f.parent == dest / "mnist" for f in files)
    x, _ = datasets.load("mnist", dest, split="test")
    assert x.shape == (7, 28, 28)
    # a corrupt download is rejected and nothing is kept
    bad = dict(md5, **{"t10k-images-idx3-ubyte": "0" * 32})
    dest2 = tmp_path / "data2"
    with pytest.raises(DataError, match="Checksum mismatch"):
        datafiles.fetch("mnist", dest2, base_url=src.as_uri(), expected_md5=bad)
    assert not (dest2 / "mnist" / "t10k-images-idx3-ubyte.gz").exists()
    with pytest.raises(DataError, match="failed"):
        datafiles.fetch("mnist", dest2, base_url=(tmp_path / "void").as_uri(), expected_md5=md5)


def _wav_bytes(freq, n=4000, fs=8000):
    t = np.arange(n) / fs
    pcm = (0.5 * np.sin(2 * np.pi * freq * t) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(fs)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def _fake_fsdd():
    """8 clips: digits 0/1, speakers a/b, indices 3 (test) and 7 (train)."""
    return {
        f"{d}_{s}_{i}.wav": _wav_bytes(300 + 900 * d + 50 * i)
        for d in (0, 1) for s in ("a", "b") for i in (3, 7)
    }


def test_fetch_fsdd_with_patched_opener(tmp_path):
    wavs = _fake_fsdd()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in wavs.items():
            info = tarfile.TarInfo(f"free-spoken-digit-dataset-1.0.10/recordings/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    archive = buf.getvalue()
    calls = []

    def opener(url):
        calls.append(url)
        return io.BytesIO(archive)

    digest = datafiles.fsdd_digest(wavs.items())
    files = datafiles.fetch("fsdd", tmp_path, opener=opener, expected_digest=digest)
    assert calls == [datafiles.URLS["fsdd"][0]] and len(files) == 8
    assert {p.name for p in (tmp_path / "fsdd" / "recordings").iterdir()} == set(wavs)
    with pytest.raises(DataError, match="Checksum mismatch"):
        datafiles.fetch("fsdd", tmp_path / "other", opener=opener, expected_digest="0" * 64)
    assert not (tmp_path / "other").exists()


# ----------------------------------------------------------------------------- FSDD front end


def test_fsdd_from_recordings_folder(tmp_path):
    rec = tmp_path / "fsdd" / "recordings"
    rec.mkdir(parents=True)
    for name, data in _fake_fsdd().items():
        (rec / name).write_bytes(data)
    assert [r[0] for r in datasets.fsdd_files(tmp_path, "test")] == [
        "0_a_3.wav", "1_a_3.wav", "0_b_3.wav", "1_b_3.wav"
    ]
    x, y = datasets.load("fsdd", tmp_path, split="train")
    p = audio.CochleaParams()
    assert x.shape == (4, p.n_frames, 2 * p.n_bands) and y.tolist() == [0, 1, 0, 1]
    assert set(np.unique(x)) <= {0.0, 1.0}
    # 0.5 s clips: no spikes after the clip ends except the final DOWN spikes
    assert x[:, 51:, : p.n_bands].sum() == 0
    c, _ = datasets.load("fsdd", tmp_path, split="train", params=audio.CochleaParams(coding="none"))
    assert c.shape == (4, 100, 32) and 0 <= c.min() and c.max() == 1.0


def test_cochleagram_tone_peaks_at_its_band():
    p = audio.CochleaParams(n_bands=16, coding="none")
    edges = audio._imel(np.linspace(audio._mel(p.f_min), audio._mel(p.f_max), p.n_bands + 2))
    for fb in ("butter", "gammatone"):
        q = audio.CochleaParams(n_bands=16, coding="none", filterbank=fb)
        for k in (3, 10):
            sig, fs = audio.read_wav(_wav_bytes(edges[k + 1]))
            c = audio.cochleagram(sig, fs, q)
            assert abs(int(np.argmax(c[10:40].mean(0))) - k) <= 1


def test_delta_and_level_coding():
    ramp = np.linspace(0, 1, 11)[:, None] * np.ones((1, 2))
    p = audio.CochleaParams(n_bands=2, delta=0.2)
    s = audio.spike_code(ramp, p)
    assert s[:, :2].sum(0).tolist() == [5, 5] and s[:, 2:].sum() == 0
    s_down = audio.spike_code(np.concatenate([ramp, ramp[::-1]]), p)
    assert s_down[:, 2:].sum(0).tolist() == [5, 5]
    lv = audio.spike_code(ramp, audio.CochleaParams(n_bands=2, coding="level", n_levels=3))
    assert lv.shape == (11, 6) and lv[-1].sum() == 6 and lv[0].sum() == 0
    with pytest.raises(ParameterError, match="f_max"):
        audio.CochleaParams(f_max=5000.0)


# ----------------------------------------------------------------------------- emulated N-MNIST


def test_nmnist_emulated_from_idx(tmp_path):
    _write_idx(tmp_path / "mnist", n=5, split="test")
    x, y = datasets.load("nmnist-emulated", tmp_path, split="test", n_bins=4)
    assert x.shape == (5, 4, 2, 34, 34) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.sum() > 0
    batch, y2 = datasets.load_events(tmp_path, split="test", limit=2)
    assert len(batch) == 2 and batch.sensor_size == (34, 34) and np.array_equal(y2, y[:2])
    x2, _ = datasets.load("nmnist-emulated", tmp_path, split="test", n_bins=4, limit=2,
                          chunk=1)
    assert np.array_equal(x2, x[:2])


# ----------------------------------------------------------------------------- CLI


def test_cli_info_and_fetch(tmp_path, capsys):
    _write_idx(tmp_path / "mnist", split="test", n=4)
    assert main(["data", "info", "--data-dir", str(tmp_path)]) == 1  # not the real MNIST
    out = capsys.readouterr().out
    assert "mnist" in out and "MISMATCH" in out and "missing" in out
    assert main(["data", "info", "--data-dir", str(tmp_path), "--no-verify"]) == 0
    assert main(["data", "fetch", "mnist", "--to", str(tmp_path / "d"),
                 "--url", (tmp_path / "nowhere").as_uri()]) == 1
    assert "failed" in capsys.readouterr().err


# ----------------------------------------------------------------------------- shared data


def test_shared_mnist_counts(shared_data):
    if not (shared_data / "mnist").is_dir():
        pytest.skip("no mnist/ in the shared data directory")
    _, ytr = datasets.load("mnist", shared_data, verify=True)
    xte, yte = datasets.load("mnist", shared_data, split="test")
    assert ytr.shape == (60000,) and xte.shape == (10000, 28, 28)
    assert np.bincount(ytr).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(yte).tolist() == MNIST_TEST_COUNTS
    assert 0.0 == xte.min() and xte.max() == 1.0


def test_shared_fashion_counts(shared_data):
    if not (shared_data / "fashion-mnist").is_dir():
        pytest.skip("no fashion-mnist/ in the shared data directory")
    _, y = datasets.load("fashion-mnist", shared_data, split="test", verify=True)
    assert np.bincount(y).tolist() == [1000] * 10


def test_shared_fsdd_split_and_features(shared_data):
    if not (shared_data / "fsdd").is_dir():
        pytest.skip("no fsdd/ in the shared data directory")
    train = datasets.fsdd_files(shared_data, "train")
    test = datasets.fsdd_files(shared_data, "test")
    assert len(train) == 2700 and len(test) == 300
    assert all(r[3] >= 5 for r in train) and all(r[3] < 5 for r in test)
    assert np.bincount([r[1] for r in test]).tolist() == [30] * 10
    x, y = datasets.load("fsdd", shared_data, split="test", limit=12)
    p = audio.CochleaParams()
    assert x.shape == (12, p.n_frames, p.n_channels) and y.tolist()[:10] == list(range(10))
    assert x.sum() > 0
