"""Reports: ``report.json`` plus PNG figures and a self-contained ``report.html``.

A report is a title, a dictionary of key numbers (flat ``name -> value``; units in the key
suffix, e.g. ``energy_per_spike_j``), sections of free text and a list of figures (PNG files
in the same directory). The HTML page shows the key numbers as a table and every figure with
its caption; it references the PNGs by relative path so the directory can be moved or served.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["write_report", "format_value"]


def format_value(v) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.4g}"
        return f"{v:.4g}"
    return html.escape(str(v))


def write_report(
    out_dir: str | Path,
    title: str,
    numbers: Mapping[str, object],
    figures: Sequence[tuple[str, str]] = (),
    sections: Sequence[tuple[str, str]] = (),
    data: Mapping[str, object] | None = None,
) -> Path:
    """Write ``report.json`` and ``report.html`` into ``out_dir``; returns the HTML path.

    ``figures`` are ``(png_filename, caption)`` pairs of files already in ``out_dir``;
    ``data`` is extra JSON content (arrays as lists) stored beside the numbers.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    missing = [f for f, _ in figures if not (out / f).exists()]
    if missing:
        raise FileNotFoundError(f"report figures not found in {out}: {', '.join(missing)}")
    payload = {"title": title, "numbers": dict(numbers), "figures": [f for f, _ in figures],
               "sections": {h: t for h, t in sections}}
    if data:
        payload["data"] = dict(data)
    (out / "report.json").write_text(json.dumps(payload, indent=1, default=float) + "\n")
    rows = "\n".join(
        f"<tr><td>{html.escape(k)}</td><td>{format_value(v)}</td></tr>" for k, v in numbers.items()
    )
    secs = "\n".join(
        f"<h2>{html.escape(h)}</h2><p>{html.escape(t)}</p>" for h, t in sections
    )
    figs = "\n".join(
        f'<figure><img src="{html.escape(f)}" alt="{html.escape(c)}">'
        f"<figcaption>{html.escape(c)}</figcaption></figure>"
        for f, c in figures
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
td {{ border: 1px solid #ccc; padding: 3px 10px; font-family: monospace; }}
figure {{ display: inline-block; margin: 0 1em 1.5em 0; vertical-align: top; }}
img {{ max-width: 520px; border: 1px solid #ddd; }}
figcaption {{ font-size: 0.9em; color: #555; max-width: 520px; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<h2>Key numbers</h2>
<table id="numbers">{rows}</table>
{secs}
<h2>Figures</h2>
<div id="figures">{figs}</div>
<script>
window.addEventListener("load", function () {{
  var ok = Array.from(document.images).filter(function (i) {{ return i.naturalWidth > 0; }});
  document.body.setAttribute("data-figures-loaded", String(ok.length));
}});
</script>
</body></html>
"""
    path = out / "report.html"
    path.write_text(page)
    return path
