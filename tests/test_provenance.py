from __future__ import annotations

import hashlib

import numpy as np

from neurocircuit.calibrate import provenance as pv


def test_provenance_block_hashes_and_command(tmp_path):
    card = tmp_path / "card.lib"
    card.write_text(".model n nmos\n")
    out = pv.provenance(deck="* deck\n", name="dpi-neuron", preset="teili", mc=100, seed=3,
                        wall=1.5, workers=2, ngspice_version="ngspice-39", model_card=card)
    assert out["deck_sha256"] == hashlib.sha256(b"* deck\n").hexdigest()
    assert out["model_card_sha256"] == hashlib.sha256(card.read_bytes()).hexdigest()
    assert out["model_card"] == "card.lib" and out["n_mc"] == 100 and out["seed"] == 3
    assert out["command"] == "neurocircuit calibrate dpi-neuron --preset teili --mc 100 --seed 3"
    assert out["date"].endswith("+00:00")
    none = pv.provenance(deck="x", name="d", preset="p", mc=None, seed=0, wall=0.0,
                         workers=None, ngspice_version="?")
    assert none["model_card"] is None and none["model_card_sha256"] is None
    assert none["n_mc"] == 0
    assert pv.sha256_file(tmp_path / "missing") is None


def test_jsonable_and_histograms(tmp_path):
    assert pv.jsonable({"a": 1, "b": None, "c": (1, 2)}) == {"a": 1, "b": None, "c": "(1, 2)"}
    tab = np.random.default_rng(0).standard_normal((50, 2))
    tab[3, 1] = np.nan   # non-finite entries are left out, not an error
    png = pv.param_histograms(tmp_path / "x.json", "x", ["a", "b"], tab, 50)
    assert png.endswith("x_params.png") and (tmp_path / "x_params.png").stat().st_size > 1000
