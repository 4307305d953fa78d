"""Process description, MOSFET element lines and the seeded Pelgrom sampler."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest

from neurocircuit.circuits.netlist import Netlist
from neurocircuit.circuits.process import (
    GENERIC_180,
    MosMismatch,
    Process,
    models_dir,
    mosfet,
)
from neurocircuit.errors import DataError, ParameterError

W, L = 1e-6, 1e-6


# -- process description --------------------------------------------------------------------
def test_generic180_library_is_found_and_included():
    path = GENERIC_180.resolved_lib_path()
    assert path.is_file() and path.name == "generic180.lib"
    assert GENERIC_180.include() == f'.lib "{path}" tt'
    assert GENERIC_180.with_corner("ss").include().endswith(" ss")
    text = path.read_text()
    for corner in GENERIC_180.corners:
        assert re.search(rf"^\.lib {corner}$", text, re.M), corner
    assert "level=8 version=3.3.0" in text


def test_models_dir_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROCIRCUIT_MODELS", str(tmp_path))
    assert models_dir() == tmp_path.resolve()
    with pytest.raises(DataError, match="model library of process 'generic180' is missing"):
        GENERIC_180.include()
    monkeypatch.setenv("NEUROCIRCUIT_MODELS", str(tmp_path / "nope"))
    with pytest.raises(DataError, match="not a directory"):
        models_dir()


def test_with_corner_lists_valid_corners():
    with pytest.raises(ParameterError) as err:
        GENERIC_180.with_corner("xx")
    msg = str(err.value)
    assert "'corner'" in msg and "'xx'" in msg
    for c in ("'tt'", "'ff'", "'ss'", "'fs'", "'sf'"):
        assert c in msg
    assert GENERIC_180.with_corner("ff").corner == "ff"
    assert GENERIC_180.corner == "tt"  # frozen: unchanged


def test_process_validation_messages():
    with pytest.raises(ParameterError, match=r"'vdd' parameter of Process must be > 0 V"):
        dataclasses.replace(GENERIC_180, vdd=-1.0)
    with pytest.raises(ParameterError, match=r"'a_vt' parameter of Process must be >= 0 V·m"):
        dataclasses.replace(GENERIC_180, a_vt=-5e-9)
    with pytest.raises(ParameterError, match="'instance_prefix'.*'M', 'X'"):
        dataclasses.replace(GENERIC_180, instance_prefix="Q")
    with pytest.raises(ParameterError, match="'corner'"):
        Process(name="x", lib_path="a.lib", corners=("tt",), corner="ff")


def test_model_names_and_kinds():
    assert GENERIC_180.model("n") == GENERIC_180.model("NMOS") == "nch"
    assert GENERIC_180.model("pfet") == "pch"
    with pytest.raises(ParameterError, match="'kind' of a MOSFET must be one of"):
        GENERIC_180.model("bjt")


def test_from_pdk(tmp_path):
    lib = tmp_path / "pdk.lib"
    lib.write_text(".lib tt\n.endl tt\n")
    p = Process.from_pdk("mypdk", lib, corners=("tt",), nmos="nfet", pmos="pfet", vdd=3.3,
                         instance_prefix="X", length_scale=1e-6)
    assert p.include() == f'.lib "{lib.resolve()}" tt'
    line = mosfet("1", "d", "g", "s", "b", "n", 2e-6, 0.5e-6, p)
    assert line.startswith("X1 d g s b nfet W=2 L=500m ")
    with pytest.raises(ParameterError, match="mismatch corner"):
        mosfet("1", "d", "g", "s", "b", "n", 2e-6, 0.5e-6, p, mismatch=MosMismatch(0.01, 0.0))
    with pytest.raises(DataError, match="not found"):
        Process.from_pdk("x", tmp_path / "missing.lib")


# -- element lines ----------------------------------------------------------------------------
def test_mosfet_line_defaults_and_mismatch():
    line = mosfet("1", "d", "g", "0", "0", "n", 1e-6, 0.18e-6, GENERIC_180)
    assert line == "M1 d g 0 0 nch W=1u L=180n AD=480f AS=480f PD=2.96u PS=2.96u"
    mm = MosMismatch(dvth=0.004, dbeta=-0.02)
    n_line = mosfet("Mx", "d", "g", "0", "0", "n", 1e-6, 1e-6, GENERIC_180, mismatch=mm, m=4)
    assert n_line.startswith("Mx d g 0 0 nch ")
    assert n_line.endswith(" m=4 delvto=4m mulu0=980m")
    # pFET: vth0 < 0, so an increase of |V_T| is a negative delvto
    p_line = mosfet("2", "d", "g", "vdd", "vdd", "p", 1e-6, 1e-6, GENERIC_180, mismatch=mm)
    assert " pch " in p_line and p_line.endswith(" delvto=-4m mulu0=980m")


def test_mosfet_parameter_errors():
    with pytest.raises(ParameterError, match="'w' parameter of a MOSFET must be > 0 m"):
        mosfet("1", "d", "g", "0", "0", "n", 0.0, 1e-6, GENERIC_180)
    with pytest.raises(ParameterError, match="'l' parameter of a MOSFET must be > 0 m"):
        mosfet("1", "d", "g", "0", "0", "n", 1e-6, -1e-6, GENERIC_180)
    with pytest.raises(ParameterError, match="'m' parameter"):
        mosfet("1", "d", "g", "0", "0", "n", 1e-6, 1e-6, GENERIC_180, m=0)
    with pytest.raises(ParameterError, match="'dbeta' parameter of MosMismatch must be > -1"):
        MosMismatch(dvth=0.0, dbeta=-1.5)


# -- mismatch sampler -------------------------------------------------------------------------
def test_mismatch_is_deterministic_per_seed_and_name():
    s = GENERIC_180.mismatch(seed=42)
    a = s("M7", "n", W, L)
    # other draws in between, in another order, from another sampler object: same result
    for name in ("M1", "M2", "Mfoo"):
        s(name, "n", W, L)
    assert GENERIC_180.mismatch(seed=42)("M7", "n", W, L) == a
    assert GENERIC_180.mismatch(seed=43)("M7", "n", W, L) != a
    assert s("M8", "n", W, L) != a
    # the sigma scales the same normals
    b = GENERIC_180.mismatch(seed=42, scale=2.0)("M7", "n", W, L)
    assert b.dvth == pytest.approx(2 * a.dvth) and b.dbeta == pytest.approx(2 * a.dbeta)
    assert GENERIC_180.mismatch(seed=42, scale=0.0)("M7", "n", W, L) == MosMismatch(0.0, 0.0)


def test_mismatch_sampler_statistics():
    """Pure statistics: σ of 20000 draws matches Pelgrom's law for two geometries."""
    s = GENERIC_180.mismatch(seed=3)
    for w, l in ((1e-6, 1e-6), (4e-6, 0.5e-6)):
        d = [s(f"M{i}", "n", w, l) for i in range(20000)]
        dvt = np.array([x.dvth for x in d])
        dbeta = np.array([x.dbeta for x in d])
        sig_vt = 5e-9 / math.sqrt(w * l)
        sig_b = 1e-8 / math.sqrt(w * l)
        # standard error of a std from n=20000 is 0.5 %; allow 3 %
        assert np.std(dvt) == pytest.approx(sig_vt, rel=0.03)
        assert np.std(dbeta) == pytest.approx(sig_b, rel=0.03)
        assert abs(np.mean(dvt)) < 4 * sig_vt / math.sqrt(dvt.size)
        assert abs(np.corrcoef(dvt, dbeta)[0, 1]) < 0.03
    assert GENERIC_180.sigma_vt(1e-6, 1e-6) == pytest.approx(5e-3)
    assert GENERIC_180.sigma_beta(1e-6, 1e-6) == pytest.approx(0.01)


def test_mismatch_seed_validation():
    with pytest.raises(ParameterError, match="'seed'"):
        GENERIC_180.mismatch(seed=-1)
    with pytest.raises(ParameterError, match="'scale' parameter of MismatchSampler"):
        GENERIC_180.mismatch(seed=1, scale=-1.0)


# -- ngspice honours the instance parameters --------------------------------------------------
@pytest.mark.ngspice
def test_delvto_equals_vth0_shift_and_mulu0_scales_current():
    """Instance ``delvto``/``mulu0`` act like a card vth0 shift / u0 scale (BSIM3 level 8)."""
    from neurocircuit.spice import Op, simulate

    card = GENERIC_180.resolved_lib_path().read_text()
    body = card[card.index(".model nch") : card.index(".model pch")]
    shifted = body.replace(".model nch", ".model nshift").replace(
        "vth0={0.45+g180_dvthn}", "vth0={0.46+g180_dvthn}"
    )
    assert shifted != body.replace(".model nch", ".model nshift")

    def deck(vg: float) -> Netlist:
        lines = [
            f"VG g 0 DC {vg}",
            "VD0 d0 0 DC 1.8",
            "VD1 d1 0 DC 1.8",
            "VD2 d2 0 DC 1.8",
            "VD3 d3 0 DC 1.8",
            mosfet("0", "d0", "g", "0", "0", "n", W, L, GENERIC_180).replace(" nch ", " nshift "),
            mosfet("1", "d1", "g", "0", "0", "n", W, L, GENERIC_180, MosMismatch(0.01, 0.0)),
            mosfet("2", "d2", "g", "0", "0", "n", W, L, GENERIC_180),
            mosfet("3", "d3", "g", "0", "0", "n", W, L, GENERIC_180, MosMismatch(0.0, 0.1)),
            *shifted.strip().splitlines(),
        ]
        return Netlist("delvto check", lines=tuple(lines), includes=(GENERIC_180.include(),))

    currents = {}
    for vg in (0.3, 1.8):  # weak and strong inversion
        res = simulate(deck(vg), Op(), options="subthreshold", cache=False)
        i0, i1, i2, i3 = (abs(float(res[f"i(vd{k})"][0])) for k in range(4))
        assert i1 == pytest.approx(i0, rel=1e-6)  # delvto == card vth0 shift
        assert i1 < i2  # higher threshold, less current
        assert i3 > i2  # higher mobility, more current
        currents[vg] = (i2, i3)
    # in weak inversion mulu0 scales the current proportionally
    i2, i3 = currents[0.3]
    assert i3 / i2 == pytest.approx(1.1, rel=0.01)
    # a 10 mV shift in weak inversion: ln(I2/I1) = 10 mV / (n U_T) with n = 1.2 .. 1.6
    res = simulate(deck(0.3), Op(), options="subthreshold", cache=False)
    n_eff = 0.01 / (0.02586 * math.log(abs(float(res["i(vd2)"][0]) / abs(float(res["i(vd1)"][0])))))
    assert 1.2 < n_eff < 1.6
