"""Local learning rules, one rule a module, each a pure ``update`` function.

Conventions shared by every rule:

- weights ``w`` are shaped ``(n_post, n_pre)`` (out × in, as the engine's dense layers), or
  ``(instance, n_post, n_pre)`` with a leading instance axis;
- spikes ``pre`` ``(batch, n_pre)`` and ``post`` ``(batch, n_post)`` are 0/1 arrays of one time
  step; weight changes are summed over the batch axis;
- traces live in a small frozen dataclass; ``init_traces(...)`` makes them, ``update(w, traces,
  pre, post, params, dt) -> (w, traces)`` advances one step of length ``dt`` seconds;
- every parameter is SI (seconds for time constants).

Modules: :mod:`.stdp` (pair-based, all-to-all and nearest-spike), :mod:`.weight_dependent`
(offset + soft bound, Diehl & Cook eqs. 6–7), :mod:`.triplet` (Pfister & Gerstner),
:mod:`.stochastic_binary` (binary weights switched with probabilities), :mod:`.stop_learning`
(Brader, Senn & Fusi calcium-gated bistable rule), :mod:`.weight_decay` (adaptive decay for
continual learning), :mod:`.stp` (Tsodyks–Markram short-term plasticity),
:mod:`.homeostasis` (adaptive thresholds, weight normalisation).
"""
