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
