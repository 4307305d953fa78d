"""``neurocircuit train`` / ``test`` end to end on digits, config and model-file errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurocircuit.cli import main
from neurocircuit.errors import ParameterError
from neurocircuit.snn.bptt import NonFiniteError
from neurocircuit.snn.train import load_config, load_model, run

CFG = """
[data]
name = "digits"
[network]
layers = [{type = "dense", units = 64}, {type = "dense", units = 10}]
[encoder]
T = 6
[method]
name = "%s"
epochs = 2
ann_epochs = 4
lr = %s
batch_size = 64
"""


@pytest.mark.parametrize("method,lr", [("bptt", "2e-3"), ("conversion", "1e-3"),
                                       ("hybrid", "2e-4")])
def test_train_then_test_cli(tmp_path, capsys, method, lr):
    cfg = tmp_path / "c.toml"
    cfg.write_text(CFG % (method, lr))
    model = tmp_path / "m" / "model"
    assert main(["train", str(cfg), "-o", str(model), "-q"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["accuracy"] > 0.6 and out["spikes"] > 0
    assert (tmp_path / "m" / "model.npz").exists()
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["status"] == "done" and meta["architecture"][0]["type"] == "dense"
    assert main(["test", str(model)]) == 0
    res = json.loads(capsys.readouterr().out.strip())
    assert res["accuracy"] == pytest.approx(out["accuracy"])
    assert res["mac_ann_per_inference"] == 64 * 64 + 64 * 10
    assert res["ac_per_inference"] > 0


def test_conv_config_roundtrip(tmp_path):
    cfg = load_config({
        "network": {"layers": [{"type": "conv", "channels": 4, "kernel": 3, "padding": 1},
                               {"type": "avgpool", "kernel": 2}, {"type": "flatten"},
                               {"type": "dense", "units": 10}]},
        "encoder": {"T": 4}, "method": {"name": "bptt", "epochs": 1},
        "data": {"limit_train": 200, "limit_test": 50}})
    meta = run(cfg, tmp_path / "conv", progress=False)
    net, meta2 = load_model(tmp_path / "conv.json")
    assert net.in_shape == (1, 8, 8) and meta2["test"] == meta["test"]


def test_config_errors(tmp_path):
    with pytest.raises(ParameterError, match="valid keys"):
        load_config({"network": {"layers": [{"type": "dense", "units": 3}], "bogus": 1}})
    with pytest.raises(ParameterError, match="valid methods"):
        load_config({"network": {"layers": [{"type": "dense", "units": 3}]},
                     "method": {"name": "magic"}})
    with pytest.raises(ParameterError, match="does not exist"):
        load_config(tmp_path / "none.toml")
    (tmp_path / "bad.toml").write_text("[network\n")
    with pytest.raises(ParameterError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")
    assert main(["test", str(tmp_path / "missing")]) == 1


def test_shape_mismatch_names_expected_shape(tmp_path):
    cfg = load_config({"network": {"layers": [{"type": "dense", "units": 10}]},
                       "method": {"epochs": 1}, "data": {"limit_train": 64, "limit_test": 8}})
    run(cfg, tmp_path / "m", progress=False)
    net, meta = load_model(tmp_path / "m")
    with pytest.raises(ParameterError, match=r"\(\.\.\., 64\)"):
        net.forward(np.zeros((4, 2, 63), np.float32))


def test_nan_stops_with_last_good_checkpoint(tmp_path):
    cfg = load_config({"network": {"layers": [{"type": "dense", "units": 10}]},
                       "method": {"epochs": 3, "lr": 1e40, "optimizer": "sgd"},
                       "data": {"limit_train": 128, "limit_test": 16}})
    with pytest.raises(NonFiniteError, match="last good checkpoint"):
        run(cfg, tmp_path / "m", progress=False)
    net, meta = load_model(tmp_path / "m")
    assert meta["status"].startswith("stopped")
    assert all(np.all(np.isfinite(v)) for v in net.state_dict().values())


def test_conversion_config_signed_and_v_init(tmp_path):
    from neurocircuit.snn.spiking import LIF

    cfg = load_config({
        "network": {"layers": [{"type": "dense", "units": 32}, {"type": "dense", "units": 10}]},
        "encoder": {"T": 8}, "data": {"limit_test": 200},
        "method": {"name": "conversion", "ann_epochs": 4, "signed": True, "v_init": 0.5}})
    meta = run(cfg, tmp_path / "s", progress=False)
    net, _ = load_model(tmp_path / "s.json")
    lifs = [n for n in net.nodes if isinstance(n, LIF)]
    assert lifs and all(n.signed and n.v_init == 0.5 for n in lifs)
    assert meta["test"]["accuracy"] > 0.6
    with pytest.raises(ParameterError, match="signed = true needs"):
        load_config({"network": {"layers": [{"type": "dense", "units": 3}]},
                     "method": {"name": "bptt", "signed": True}})
    with pytest.raises(ParameterError, match="'v_init' must be a finite number"):
        load_config({"network": {"layers": [{"type": "dense", "units": 3}]},
                     "method": {"v_init": "half"}})
