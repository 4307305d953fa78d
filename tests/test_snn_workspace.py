"""Training buffers reused across steps (neurocircuit.snn.workspace)."""

from __future__ import annotations

import numpy as np

from neurocircuit.snn.bptt import loss_and_grad, train_step
from neurocircuit.snn.layers import Dense
from neurocircuit.snn.network import Sequential
from neurocircuit.snn.optim import Adam, grads_of, params_of
from neurocircuit.snn.spiking import LIF
from neurocircuit.snn.workspace import Workspace


def _net(seed: int = 0, train_beta: bool = False) -> Sequential:
    rng = np.random.default_rng(seed)
    w1 = (rng.uniform(-1, 1, (40, 30)) * 2 / np.sqrt(30)).astype(np.float32)
    w2 = (rng.uniform(-1, 1, (5, 40)) * 4 / np.sqrt(40)).astype(np.float32)
    return Sequential([Dense(30, 40, weight=w1), LIF(0.9, 1.0, train_beta=train_beta),
                       Dense(40, 5, weight=w2), LIF(0.9, 1.0)], (30,))


def _data(seed: int = 1):
    rng = np.random.default_rng(seed)
    x = (rng.random((12, 16, 30)) < 0.3).astype(np.float32)
    return x, rng.integers(0, 5, 16)


def _grads(net: Sequential, x, y, workspace=None):
    kw = {"workspace": workspace} if workspace is not None else {}
    res = net.forward(x, train=True, **kw)
    loss, _z, g = loss_and_grad(res.output, y, "count")
    return loss, [np.array(a) for a in grads_of(net, net.backward(g, **kw))]


def test_workspace_gives_the_same_gradients_as_fresh_arrays():
    x, y = _data()
    net = _net(train_beta=True)
    loss0, g0 = _grads(net, x, y)
    ws = Workspace()
    for _ in range(2):   # the second call runs in the reused buffers
        loss1, g1 = _grads(net, x, y, ws)
        assert loss1 == loss0
        for a, b in zip(g0, g1):
            np.testing.assert_array_equal(a, b)
    assert ws.nbytes > 0


def test_workspace_buffers_are_reused_and_replaced_on_a_new_shape():
    ws = Workspace()
    owner = object()
    a = ws.empty(owner, "U", (3, 4), np.float32)
    assert ws.empty(owner, "U", (3, 4), np.float32) is a
    assert ws.empty(object(), "U", (3, 4), np.float32) is not a      # another owner
    b = ws.empty(owner, "U", (3, 5), np.float32)
    assert b is not a and b.shape == (3, 5)
    assert ws.empty(owner, "U", (3, 5), np.float64).dtype == np.float64
    ws.clear()
    assert ws.nbytes == 0


def test_train_step_reuses_the_network_workspace_and_matches_plain_steps():
    x, y = _data()
    a, b = _net(), _net()
    oa, ob = Adam(params_of(a), lr=1e-3), Adam(params_of(b), lr=1e-3)
    for _ in range(3):
        la, _ = train_step(a, oa, x, y, None, "count")
        # the reference step without a workspace
        lb, _z, g = loss_and_grad(b.forward(x, train=True).output, y, "count")
        ob.step(grads_of(b, b.backward(g)))
        assert la == lb
    for (_, pa), (_, pb) in zip(params_of(a), params_of(b)):
        np.testing.assert_array_equal(pa, pb)
    n = a.workspace.nbytes
    train_step(a, oa, x[:, :8], y[:8], None, "count")    # a smaller batch: new buffers
    train_step(a, oa, x, y, None, "count")
    assert a.workspace.nbytes >= n
