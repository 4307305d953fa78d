r"""Mismatch distributions of fitted parameters: from per-instance fits to samples.

Given one fit per Monte-Carlo instance (a table ``θ_{ik}``, instance ``i``, parameter ``k``),
positive parameters are modelled as log-normal (``z_k = ln θ_k``), the others as normal
(``z_k = θ_k``); the distribution is the multivariate normal of ``z``::

    μ = mean_i z_i,   Σ = cov_i z_i = D R D,   D = diag(σ),   R the correlation matrix

:func:`sample` draws ``z = μ + L ξ`` (``L`` the Cholesky factor of ``Σ``, jittered when
singular; ``ξ ~ N(0, I)`` from a seeded generator) and maps back (``θ = exp z`` for log
parameters), so sampled instances keep the means, spreads and correlations of the Monte Carlo.
The summary also carries the natural-unit means and standard deviations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import FitError, ParameterError

__all__ = ["ParamDistribution", "fit_distribution", "sample", "sample_params"]


@dataclass(frozen=True)
class ParamDistribution:
    """Joint (log-)normal distribution of fitted parameters.

    Attributes
    ----------
    names
        Parameter names.
    log
        Per parameter: modelled as log-normal.
    mu, sigma
        Mean and standard deviation of ``z`` (``ln θ`` for log parameters).
    corr
        Correlation matrix of ``z``.
    mean, std
        Mean and standard deviation in natural units (from the instances).
    n
        Number of instances the distribution was estimated from.
    """

    names: tuple[str, ...]
    log: tuple[bool, ...]
    mu: np.ndarray
    sigma: np.ndarray
    corr: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    n: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"names": list(self.names), "log": list(self.log), "mu": self.mu.tolist(),
                "sigma": self.sigma.tolist(), "corr": self.corr.tolist(),
                "mean": self.mean.tolist(), "std": self.std.tolist(), "n": int(self.n)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ParamDistribution:
        """Inverse of :meth:`to_dict` (validates shapes)."""
        names = tuple(d["names"])
        k = len(names)
        out = cls(names=names, log=tuple(bool(x) for x in d["log"]),
                  mu=np.asarray(d["mu"], float), sigma=np.asarray(d["sigma"], float),
                  corr=np.asarray(d["corr"], float), mean=np.asarray(d["mean"], float),
                  std=np.asarray(d["std"], float), n=int(d["n"]))
        if (len(out.log) != k or out.mu.shape != (k,) or out.sigma.shape != (k,)
                or out.corr.shape != (k, k)):
            raise ParameterError(f"A parameter distribution of {k} names needs mu, sigma, log "
                                 f"of length {k} and a {k}×{k} corr matrix.")
        return out


def fit_distribution(table: Any, names: Sequence[str],
                     log: Sequence[bool] | None = None) -> ParamDistribution:
    """Distribution of the rows of ``table`` (instances × parameters); non-finite rows dropped.

    ``log`` defaults to log-normal for columns that are all > 0.
    """
    x = np.asarray(table, float)
    if x.ndim != 2 or x.shape[1] != len(names):
        raise ParameterError(f"table must be (instances, {len(names)}); got {x.shape}.")
    x = x[np.all(np.isfinite(x), axis=1)]
    if x.shape[0] < 3:
        raise FitError(f"A mismatch distribution needs >= 3 valid instances; got {x.shape[0]}.")
    lg = tuple(bool(np.all(x[:, k] > 0)) for k in range(x.shape[1])) if log is None \
        else tuple(bool(b) for b in log)
    z = np.where(np.array(lg)[None, :], np.log(np.where(x > 0, x, 1.0)), x)
    mu = z.mean(axis=0)
    sd = z.std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(z, rowvar=False) if x.shape[1] > 1 else np.ones((1, 1))
    corr = np.atleast_2d(np.where(np.isfinite(corr), corr, 0.0))
    np.fill_diagonal(corr, 1.0)
    return ParamDistribution(tuple(names), lg, mu, sd, corr, x.mean(axis=0),
                             x.std(axis=0, ddof=1), int(x.shape[0]))


def sample(dist: ParamDistribution, n: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, k)`` parameter samples reproducing the spread and correlations of ``dist``."""
    cov = dist.corr * np.outer(dist.sigma, dist.sigma)
    k = len(dist.names)
    for jitter in (0.0, 1e-12, 1e-9, 1e-6):
        try:
            chol = np.linalg.cholesky(cov + jitter * np.eye(k) * max(cov.max(), 1e-30))
            break
        except np.linalg.LinAlgError:
            continue
    else:
        w, v = np.linalg.eigh(cov)
        chol = v * np.sqrt(np.clip(w, 0, None))
    z = dist.mu + rng.standard_normal((int(n), k)) @ chol.T
    return np.where(np.array(dist.log)[None, :], np.exp(z), z)


def sample_params(dist: ParamDistribution, base: Any, n: int, rng: np.random.Generator) -> Any:
    """``base`` params with the distribution's fields replaced by ``(n,)`` arrays of samples
    (one compact-model instance per row, for the engine's per-instance parameters)."""
    from dataclasses import replace

    s = sample(dist, n, rng)
    return replace(base, **{name: s[:, j] for j, name in enumerate(dist.names)})
