"""Crossbar read solver: sparse nodal analysis with wire resistance, batched over inputs.

Network (the same as :mod:`neurocircuit.circuits.crossbar` writes for ngspice; An Chen, IEEE TED
60(4) 2013; MemTorch ``solve_passive``). Row i is driven at its left end by ``V_i`` through
``r_driver`` into word-line node WL[i,0]; WL[i,j]–WL[i,j+1] are joined by ``r_row``; cell (i,j)
joins WL[i,j] to bit-line node BL[i,j]; BL[i,j]–BL[i+1,j] are joined by ``r_col``; BL[N−1,j]
reaches the sense amplifier's virtual ground through ``r_sense``. Kirchhoff's current law at
every free node::

    Σ_edges g_e (V_node − V_other) + Σ_cells ±i_cell(V_WL − V_BL) = 0

With linear cells this is ``L_uu·V_u = −L_uk·V_k`` (L the weighted graph Laplacian, u free and
k fixed nodes: sources and ground), factorised once (SuperLU) and solved for many right-hand
sides, or solved by batched preconditioned conjugate gradients (the preconditioner is the
exact inverse of the wire chains: tridiagonal, no fill). A zero resistance merges its two
nodes, so with every resistance zero there is no unknown and the column currents are exactly
``I = Gᵀ·V``. Non-linear cells (``i(v)``, ``di/dv``) are solved by damped Newton iteration,
one sparse factorisation per iteration and input vector. Column currents are
``I_j = Σ_i i_cell(V_WL[i,j] − V_BL[i,j])`` (KCL on the bit line).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..errors import ParameterError, SimulationError

__all__ = [
    "LinearCell",
    "SinhCell",
    "FunctionCell",
    "CrossbarSolution",
    "CrossbarSolver",
    "solve",
    "ladder_far_end_drop",
]


@dataclass(frozen=True)
class LinearCell:
    """Ohmic cells: i = G·v, ``g`` of shape (N, M) in S."""

    g: np.ndarray

    def current(self, v):
        return self.g * v

    def didv(self, v):
        return np.broadcast_to(self.g, np.shape(v))


@dataclass(frozen=True)
class SinhCell:
    """Yakopcic-type cells: i = a·x·sinh(b·v), a = a1 for v ≥ 0 else a2 (arrays broadcast)."""

    a1: np.ndarray | float
    a2: np.ndarray | float
    b: np.ndarray | float
    x: np.ndarray

    def current(self, v):
        a = np.where(v >= 0, self.a1, self.a2)
        return a * self.x * np.sinh(self.b * v)

    def didv(self, v):
        a = np.where(v >= 0, self.a1, self.a2)
        return a * self.x * self.b * np.cosh(self.b * v)


@dataclass(frozen=True)
class FunctionCell:
    """Any cell given ``current(v)`` and ``didv(v)`` callables on (…, N, M) arrays."""

    current_fn: Callable[[np.ndarray], np.ndarray]
    didv_fn: Callable[[np.ndarray], np.ndarray]

    def current(self, v):
        return self.current_fn(v)

    def didv(self, v):
        return self.didv_fn(v)


@dataclass
class CrossbarSolution:
    """Column currents ``i_col`` (B, M); node and cell voltages (B, N, M) when requested."""

    i_col: np.ndarray
    v_wl: np.ndarray | None = None
    v_bl: np.ndarray | None = None
    iterations: int = 0

    @property
    def v_cell(self) -> np.ndarray | None:
        if self.v_wl is None or self.v_bl is None:
            return None
        return self.v_wl - self.v_bl


def _check_r(name: str, r: float) -> float:
    r = float(r)
    if not np.isfinite(r) or r < 0:
        raise ParameterError(f"The '{name}' parameter must be >= 0 Ω and finite. Got {r!r}.")
    return r


class CrossbarSolver:
    """The nodal system of one N×M array with given wires; solve many input batches.

    Parameters
    ----------
    shape
        (N rows, M columns).
    r_row, r_col
        Wire resistance per segment between adjacent cells (Ω).
    r_driver, r_sense
        Row driver output resistance and column sense input resistance (Ω).
    """

    def __init__(self, shape, r_row=0.0, r_col=0.0, r_driver=0.0, r_sense=0.0):
        n, m = (int(s) for s in shape)
        if n < 1 or m < 1:
            raise ParameterError(f"A crossbar needs N, M >= 1. Got {shape!r}.")
        self.shape = (n, m)
        self.r_row = _check_r("r_row", r_row)
        self.r_col = _check_r("r_col", r_col)
        self.r_driver = _check_r("r_driver", r_driver)
        self.r_sense = _check_r("r_sense", r_sense)
        self._build_topology()
        self._lin_cache: tuple | None = None

    # -- topology -------------------------------------------------------------------------------
    def _build_topology(self) -> None:
        n, m = self.shape
        gnd = n + np.arange(m)  # column terminals (virtual ground or a column bias)
        nxt = n + m
        edges: list[tuple[np.ndarray, np.ndarray, float]] = []
        src = np.arange(n)
        # word lines, numbered row-major (a row's chain is contiguous)
        if self.r_row > 0:
            wl = np.empty((n, m), dtype=np.int64)
            if self.r_driver > 0:
                wl[:] = nxt + np.arange(n * m).reshape(n, m)
                nxt += n * m
                edges.append((src, wl[:, 0], 1.0 / self.r_driver))
            else:
                wl[:, 0] = src
                wl[:, 1:] = nxt + np.arange(n * (m - 1)).reshape(n, m - 1)
                nxt += n * (m - 1)
            edges.append((wl[:, :-1].ravel(), wl[:, 1:].ravel(), 1.0 / self.r_row))
        elif self.r_driver > 0:
            wl = np.repeat((nxt + np.arange(n))[:, None], m, axis=1)
            nxt += n
            edges.append((src, wl[:, 0], 1.0 / self.r_driver))
        else:
            wl = np.repeat(src[:, None], m, axis=1)
        # bit lines, numbered column-major (a column's chain is contiguous)
        if self.r_col > 0:
            bl = np.empty((n, m), dtype=np.int64)
            if self.r_sense > 0:
                bl[:] = (nxt + np.arange(n * m).reshape(m, n)).T
                nxt += n * m
                edges.append((bl[-1, :], gnd, 1.0 / self.r_sense))
            else:
                bl[-1, :] = gnd
                bl[:-1, :] = (nxt + np.arange((n - 1) * m).reshape(m, n - 1)).T
                nxt += (n - 1) * m
            edges.append((bl[:-1, :].T.ravel(), bl[1:, :].T.ravel(), 1.0 / self.r_col))
        elif self.r_sense > 0:
            bl = np.repeat((nxt + np.arange(m))[None, :], n, axis=0)
            nxt += m
            edges.append((bl[-1, :], gnd, 1.0 / self.r_sense))
        else:
            bl = np.repeat(gnd[None, :], n, axis=0)
        self.n_fixed = n + m
        self.n_nodes = nxt
        self.n_free = nxt - n - m
        self.wl, self.bl = wl, bl
        a = np.concatenate([e[0] for e in edges]) if edges else np.zeros(0, np.int64)
        b = np.concatenate([e[1] for e in edges]) if edges else np.zeros(0, np.int64)
        g = (
            np.concatenate([np.full(len(e[0]), e[2]) for e in edges]) if edges else np.zeros(0)
        )
        self._wire = self._laplacian(a, b, g)

    def _laplacian(self, a, b, g) -> sp.csr_matrix:
        nn = self.n_nodes
        rows = np.concatenate([a, b, a, b])
        cols = np.concatenate([a, b, b, a])
        vals = np.concatenate([g, g, -g, -g])
        return sp.coo_matrix((vals, (rows, cols)), shape=(nn, nn)).tocsr()

    def _cell_laplacian(self, gcell: np.ndarray) -> sp.csr_matrix:
        gcell = np.broadcast_to(np.asarray(gcell, dtype=float), self.shape)
        return self._laplacian(self.wl.ravel(), self.bl.ravel(), gcell.ravel())

    def _split(self, lap: sp.csr_matrix):
        k = self.n_fixed
        return lap[k:, k:].tocsc(), lap[k:, :k].tocsr()

    # -- helpers ----------------------------------------------------------------------------------
    def _inputs(self, v_in, v_col=None) -> tuple[np.ndarray, np.ndarray, bool]:
        """(row inputs (B, N), fixed-node voltages (n_fixed, B), single-vector flag)."""
        n, m = self.shape
        v = np.asarray(v_in, dtype=float)
        single = v.ndim == 1
        v = np.atleast_2d(v)
        if v.shape[-1] != n or v.ndim != 2:
            raise ParameterError(
                f"Input voltages must have shape (N,) or (B, N) with N = {n}. "
                f"Got {np.shape(v_in)}."
            )
        vc = np.zeros((v.shape[0], m)) if v_col is None else np.asarray(v_col, dtype=float)
        try:
            vc = np.broadcast_to(vc, (v.shape[0], m))
        except ValueError as exc:
            raise ParameterError(
                f"Column voltages must have shape (M,) or (B, M) with M = {m}. "
                f"Got {np.shape(v_col)}."
            ) from exc
        return v, np.concatenate([v.T, vc.T], axis=0), single

    @staticmethod
    def _all_nodes(vk: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Node voltages (n_nodes, B) from fixed (n_fixed, B) and free (n_free, B) voltages."""
        return np.concatenate([vk, u], axis=0)

    def _finish(self, cell, v_all: np.ndarray, nodes: bool, single: bool, its: int):
        v_wl = np.moveaxis(v_all[self.wl], -1, 0)
        v_bl = np.moveaxis(v_all[self.bl], -1, 0)
        i_col = cell.current(v_wl - v_bl).sum(axis=1)
        sol = CrossbarSolution(i_col, v_wl if nodes else None, v_bl if nodes else None, its)
        if single:
            sol.i_col = sol.i_col[0]
            if nodes:
                sol.v_wl, sol.v_bl = sol.v_wl[0], sol.v_bl[0]
        return sol

    # -- linear cells -----------------------------------------------------------------------------
    def solve_linear(
        self,
        g,
        v_in,
        v_col=None,
        method: str = "direct",
        nodes: bool = False,
        tol: float = 1e-12,
        maxiter: int = 2000,
    ) -> CrossbarSolution:
        """Read with ohmic cells ``g`` (N, M) for inputs ``v_in`` (N,) or (B, N).

        ``v_col`` (M,) or (B, M) biases the column terminals (default 0: virtual ground).

        ``method="direct"`` factorises once (cached for the same ``g``) and back-substitutes
        all B vectors; ``"iterative"`` runs batched PCG to relative residual ``tol``.
        """
        g = np.asarray(g, dtype=float)
        if g.shape != self.shape:
            raise ParameterError(f"Conductances must have shape {self.shape}. Got {g.shape}.")
        v, vk, single = self._inputs(v_in, v_col)
        cell = LinearCell(g)
        if self.n_free == 0:
            if not nodes and v_col is None:
                i = v @ g
                return CrossbarSolution(i[0] if single else i)
            return self._finish(cell, vk, nodes, single, 0)
        lap = self._wire + self._cell_laplacian(g)
        a_uu, a_uk = self._split(lap)
        rhs = -(a_uk @ vk)
        its = 0
        if method == "direct":
            key = (g.tobytes(),)
            if self._lin_cache is None or self._lin_cache[0] != key:
                self._lin_cache = (key, spla.splu(a_uu))
            u = self._lin_cache[1].solve(rhs)
        elif method == "iterative":
            u, its = self._pcg(a_uu, rhs, tol, maxiter)
        else:
            raise ParameterError(f"Unknown method {method!r}. Valid: direct, iterative.")
        return self._finish(cell, self._all_nodes(vk, u), nodes, single, its)

    def _preconditioner(self, a_uu: sp.csc_matrix) -> Callable[[np.ndarray], np.ndarray]:
        """Exact inverse of the wire chains plus the full diagonal: one SPD tridiagonal matrix
        in our numbering (chains are contiguous), factorised by LAPACK ``pttrf``."""
        from scipy.linalg import lapack

        k = self.n_fixed
        wire_uu = self._wire[k:, k:].tocsr()
        up = wire_uu.diagonal(1)
        if abs(wire_uu).sum() - abs(wire_uu.diagonal()).sum() > 2 * abs(up).sum() * (1 + 1e-12):
            raise SimulationError("Internal: wire chains are not contiguous in the numbering.")
        d, e, info = lapack.dpttrf(np.asarray(a_uu.diagonal(), dtype=float), up.copy())
        if info != 0:
            raise SimulationError(f"Tridiagonal preconditioner factorisation failed ({info}).")

        def apply(r: np.ndarray) -> np.ndarray:
            x, inf = lapack.dpttrs(d, e, r)
            return x

        return apply

    def _pcg(self, a, b, tol, maxiter):
        """Batched preconditioned CG, one independent recurrence per column of ``b``."""
        pre = self._preconditioner(a)
        x = pre(b)
        r = b - a @ x
        z = pre(r)
        p = z.copy()
        rz = np.einsum("ij,ij->j", r, z)
        bnorm = np.maximum(np.linalg.norm(b, axis=0), 1e-300)
        for it in range(1, maxiter + 1):
            ap = a @ p
            alpha = rz / np.maximum(np.einsum("ij,ij->j", p, ap), 1e-300)
            x += alpha * p
            r -= alpha * ap
            if np.all(np.linalg.norm(r, axis=0) <= tol * bnorm):
                return x, it
            z = pre(r)
            rz_new = np.einsum("ij,ij->j", r, z)
            p = z + (rz_new / np.maximum(rz, 1e-300)) * p
            rz = rz_new
        raise SimulationError(f"Batched PCG did not reach tol={tol:g} in {maxiter} iterations.")

    # -- non-linear cells -------------------------------------------------------------------------
    def solve_nonlinear(
        self,
        cell,
        v_in,
        v_col=None,
        nodes: bool = False,
        tol: float = 1e-12,
        maxiter: int = 100,
        max_step: float = 0.5,
    ) -> CrossbarSolution:
        """Damped Newton solve for cells with ``current(v)`` and ``didv(v)`` on (N, M) arrays.

        Starts from the linear solution with the small-signal conductance ``didv(0)``; each
        Newton step is limited to ``max_step`` volts; stops when max |ΔV| < ``tol``·max|V_in|.
        """
        v, vk, single = self._inputs(v_in, v_col)
        bsz = v.shape[0]
        if self.n_free == 0:
            return self._finish(cell, vk, nodes, single, 0)
        k = self.n_fixed
        g0 = np.broadcast_to(np.asarray(cell.didv(np.zeros(self.shape)), dtype=float), self.shape)
        a_uu, a_uk = self._split(self._wire + self._cell_laplacian(g0))
        u = spla.splu(a_uu).solve(-(a_uk @ vk))
        wire_uu, wire_uk = self._split(self._wire)
        wl, bl = self.wl.ravel(), self.bl.ravel()
        scale = max(float(np.max(np.abs(vk))), 1e-30)
        total_its = 0
        for b in range(bsz):
            ub = u[:, b]
            vkb = vk[:, b]
            for _ in range(maxiter):
                total_its += 1
                vall = np.concatenate([vkb, ub])
                vc = (vall[wl] - vall[bl]).reshape(self.shape)
                ic = cell.current(vc).ravel()
                gd = np.asarray(cell.didv(vc), dtype=float).ravel()
                res_all = np.zeros(self.n_nodes)
                np.add.at(res_all, wl, ic)
                np.add.at(res_all, bl, -ic)
                res = wire_uu @ ub + wire_uk @ vkb + res_all[k:]
                jac = (wire_uu + self._cell_laplacian(gd.reshape(self.shape))[k:, k:]).tocsc()
                du = spla.splu(jac).solve(-res)
                big = np.max(np.abs(du))
                if big > max_step:
                    du *= max_step / big
                ub = ub + du
                if big < tol * scale:
                    break
            else:
                raise SimulationError(f"Newton did not converge in {maxiter} iterations.")
            u[:, b] = ub
        return self._finish(cell, self._all_nodes(vk, u), nodes, single, total_its)


def solve(
    cell,
    v_in,
    r_row: float = 0.0,
    r_col: float = 0.0,
    r_driver: float = 0.0,
    r_sense: float = 0.0,
    method: str = "direct",
    nodes: bool = False,
    **kwargs,
) -> CrossbarSolution:
    """One-shot crossbar read.

    ``cell`` is a conductance matrix (N, M) or a cell object (:class:`LinearCell`,
    :class:`SinhCell`, :class:`FunctionCell`); ``v_in`` is (N,) or (B, N). Returns a
    :class:`CrossbarSolution` whose ``i_col`` is (M,) or (B, M).
    """
    if isinstance(cell, LinearCell):
        cell = cell.g
    if isinstance(cell, np.ndarray) or isinstance(cell, list):
        g = np.asarray(cell, dtype=float)
        s = CrossbarSolver(g.shape, r_row, r_col, r_driver, r_sense)
        return s.solve_linear(g, v_in, method=method, nodes=nodes, **kwargs)
    shape = np.shape(cell.didv(np.zeros(1)))
    if isinstance(cell, SinhCell):
        shape = np.shape(cell.x)
    s = CrossbarSolver(shape, r_row, r_col, r_driver, r_sense)
    return s.solve_nonlinear(cell, v_in, nodes=nodes, **kwargs)


def ladder_far_end_drop(r: float, g: float, n: int) -> float:
    """Exact relative voltage drop at the far end of one driven line of ``n`` cells.

    The discrete ladder V_{k+1} − 2V_k + V_{k−1} = r·G·V_k with V_0 = V_in fixed at the first
    cell and no current beyond the last: V_k/V_0 = cosh(θ(n − 1 − k + ½))/cosh(θ(n − ½)),
    cosh θ = 1 + r·G/2. For small r·G·n² the drop is ≈ r·G·n²/2.
    """
    if r == 0 or g == 0:
        return 0.0
    theta = np.arccosh(1.0 + r * g / 2.0)
    return float(1.0 - np.cosh(theta * 0.5) / np.cosh(theta * (n - 0.5)))
