"""`neurocircuit train` selects the local, unsupervised and recurrent methods by TOML."""

from __future__ import annotations

import json

import pytest

from neurocircuit.cli import main

BASE = """
[data]
name = "digits"
limit_train = {n_train}
limit_test = 200
[network]
layers = [{{type = "dense", units = {hidden}}}, {{type = "dense", units = 10}}]
[encoder]
T = 8
[method]
name = "{method}"
epochs = {epochs}
{extra}
"""

CASES = {
    "lsm": dict(n_train=600, hidden=100, epochs=1, extra="neurons = 150\nlam = 30.0", min_acc=0.6),
    "eprop": dict(n_train=400, hidden=32, epochs=3, extra="lr = 0.005", min_acc=0.3),
    "decolle": dict(n_train=600, hidden=64, epochs=2, extra="lr = 0.01\nbatch_size = 16",
                    min_acc=0.5),
    "diehl-cook": dict(n_train=60, hidden=16, epochs=1, extra="n_exc = 20", min_acc=0.15),
    "slstm": dict(n_train=400, hidden=32, epochs=3, extra="lr = 0.005", min_acc=0.3),
}


@pytest.mark.slow
@pytest.mark.parametrize("method", sorted(CASES))
def test_train_local_method(method, tmp_path, capsys):
    c = CASES[method]
    cfg = tmp_path / "c.toml"
    cfg.write_text(BASE.format(method=method, **{k: v for k, v in c.items() if k != "min_acc"}))
    model = tmp_path / "m"
    assert main(["train", str(cfg), "-o", str(model), "-q"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["method"] == method and out["accuracy"] > c["min_acc"]
    assert (tmp_path / "m.npz").exists()
    assert main(["test", str(model)]) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert again["accuracy"] == out["accuracy"]


def _dc_config(tmp_path, extra):
    cfg = tmp_path / "c.toml"
    cfg.write_text(BASE.format(method="diehl-cook", n_train=60, hidden=16, epochs=1,
                               extra="n_exc = 20\n" + extra))
    return cfg


@pytest.mark.slow
def test_train_diehl_cook_stochastic_binary_from_toml(tmp_path, capsys):
    """[method] synapse = "binary" with devices and a [method.binary] table trains the network
    with stochastic 1-bit devices; "expected" trains the full-precision counterpart."""
    cfg = _dc_config(tmp_path, 'synapse = "binary"\ndevices = 2\n[method.binary]\np_pot = 0.2\n'
                               'n_on = 10\n')
    assert main(["train", str(cfg), "-o", str(tmp_path / "m"), "-q"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["synapse"] == "binary" and out["devices"] == 2 and out["n_on"] == 10
    assert out["p_pot"] == 0.2 and out["levels_per_neuron"] <= 3 and out["accuracy"] > 0.15
    import numpy as np

    w = np.load(tmp_path / "m.npz")["w"]
    assert max(len(np.unique(r)) for r in w) <= 3
    cfg = _dc_config(tmp_path, 'synapse = "expected"\n[method.binary]\np_pot = 0.2\n')
    assert main(["train", str(cfg), "-o", str(tmp_path / "e"), "-q"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["synapse"] == "expected" and out["n_on"] == 7   # 80 × 64/784, rounded
    assert out["levels_per_neuron"] > 3


@pytest.mark.parametrize("extra, match", [
    ('synapse = "ternary"', "synapse must be one of"),
    ('synapse = "binary"\ndevices = 0', "devices"),
    ('devices = 2', "needs synapse"),
    ('synapse = "binary"\ndevices = true', "devices"),
    ('[method.binary]\np_pot = 0.1', r"\[method.binary\] needs synapse"),
    ('synapse = "binary"\n[method.binary]\np_potentiate = 0.1', "p_potentiate"),
    ('synapse = "binary"\n[method.binary]\nn_on = 100', "n_on"),
])
def test_train_diehl_cook_binary_config_errors(tmp_path, extra, match):
    from neurocircuit.errors import ParameterError
    from neurocircuit.snn.train import load_config
    from neurocircuit.snn.train_local import run_local

    cfg = load_config(_dc_config(tmp_path, extra))
    cfg["data"]["limit_train"] = 5
    cfg["data"]["limit_test"] = 5
    with pytest.raises(ParameterError, match=match):
        run_local(cfg, progress=False)
