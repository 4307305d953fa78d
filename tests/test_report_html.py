"""Reports: JSON content, and the HTML page rendered in headless Chromium shows its figures."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from neurocircuit.evaluate.report import write_report


def _figure(path, color):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [0, 1, 4], color=color)
    fig.savefig(path, dpi=60)
    plt.close(fig)


def _report(tmp_path):
    _figure(tmp_path / "a.png", "r")
    _figure(tmp_path / "b.png", "b")
    return write_report(tmp_path, "Test report", {"accuracy_mean": 0.973, "energy_j": 1.2e-12},
                        [("a.png", "first"), ("b.png", "second")], data={"acc": [0.97, 0.98]})


def test_report_json(tmp_path):
    _report(tmp_path)
    rep = json.loads((tmp_path / "report.json").read_text())
    assert rep["numbers"]["accuracy_mean"] == 0.973 and rep["figures"] == ["a.png", "b.png"]
    assert rep["data"]["acc"] == [0.97, 0.98]


def test_missing_figure_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png"):
        write_report(tmp_path, "t", {}, [("nope.png", "x")])


@pytest.mark.slow
def test_html_renders_in_headless_chromium(tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium not installed (make setup installs it)")
    page = _report(tmp_path)
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
           "--virtual-time-budget=5000", "--dump-dom", page.as_uri()]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    assert 'data-figures-loaded="2"' in dom
    assert "accuracy_mean" in dom and "0.973" in dom
    shot = tmp_path / "shot.png"
    subprocess.run(cmd[:-2] + [f"--screenshot={shot}", "--window-size=900,900", page.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 5000
