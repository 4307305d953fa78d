"""`import neurocircuit` (and its description/engine layers) loads no optional heavy dependency."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("PySpice", "matplotlib", "dask", "distributed", "skrf", "sklearn")


def _modules_after(stmt: str) -> set[str]:
    code = f"import sys; {stmt}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_neurocircuit_is_light():
    mods = _modules_after("import neurocircuit")
    assert not [m for m in mods if m.split(".")[0] in HEAVY]


def test_import_subpackages_is_light():
    stmt = (
        "import neurocircuit, neurocircuit.circuits.netlist, neurocircuit.circuits.registry, "
        "neurocircuit.spice.analyses, neurocircuit.spice.result, neurocircuit.cli"
    )
    mods = _modules_after(stmt)
    assert not [m for m in mods if m.split(".")[0] in HEAVY]


def test_lazy_public_names():
    out = subprocess.run(
        [sys.executable, "-c", "import neurocircuit as n; print(n.Tran(1e-6, 1e-3).card())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == ".tran 1u 1m"
