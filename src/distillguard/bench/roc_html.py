"""ROC curves of a DistillBench run as one self-contained HTML page (inline SVG, no script, works offline).

One chart per (scenario, seed), one curve per detector. The false-positive axis is logarithmic from 1e-4
to 1, because what a provider can afford is the far left of the curve; a curve that reaches the left edge
at some TPR detects that share of attackers before the first false positive.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any, Final

WIDTH: Final = 420
HEIGHT: Final = 300
PAD: Final = 44
MIN_FPR: Final = 1e-4
COLOURS: Final = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'"


def _x(fpr: float) -> float:
    f = max(fpr, MIN_FPR)
    return PAD + (math.log10(f) - math.log10(MIN_FPR)) / -math.log10(MIN_FPR) * (WIDTH - 2 * PAD)


def _y(tpr: float) -> float:
    return HEIGHT - PAD - tpr * (HEIGHT - 2 * PAD)


def _chart(title: str, curves: Sequence[tuple[str, list[list[float]], float]]) -> str:
    parts = [f'<figure><figcaption>{html.escape(title)}</figcaption>'
             f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="{html.escape(title, quote=True)}">']
    for exp in range(-4, 1):
        x = _x(10.0**exp)
        parts.append(f'<line x1="{x:.1f}" y1="{PAD}" x2="{x:.1f}" y2="{HEIGHT - PAD}" class="grid"/>'
                     f'<text x="{x:.1f}" y="{HEIGHT - PAD + 14}" class="tick">1e{exp}</text>')
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = _y(tick)
        parts.append(f'<line x1="{PAD}" y1="{y:.1f}" x2="{WIDTH - PAD}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{PAD - 6}" y="{y + 4:.1f}" class="ytick">{tick:g}</text>')
    parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT - 8}" class="label">false-positive rate (log)</text>'
                 f'<text x="12" y="{HEIGHT / 2}" class="label" transform="rotate(-90 12 {HEIGHT / 2})">'
                 f'true-positive rate</text>')
    for i, (_name, points, _auc) in enumerate(curves):
        # A step curve: TPR holds until the next FPR step. Points below MIN_FPR sit on the left edge.
        path: list[str] = []
        prev_tpr = 0.0
        for fpr, tpr in points:
            x = _x(fpr)
            path.append(f"{x:.1f},{_y(prev_tpr):.1f} {x:.1f},{_y(tpr):.1f}")
            prev_tpr = tpr
        colour = COLOURS[i % len(COLOURS)]
        parts.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
    parts.append("</svg><ul class=\"legend\">")
    for i, (name, _points, auc) in enumerate(curves):
        colour = COLOURS[i % len(COLOURS)]
        auc_text = "n/a" if auc != auc else f"{auc:.3f}"
        parts.append(f'<li><span style="background:{colour}"></span>{html.escape(name)} (AUROC {auc_text})</li>')
    parts.append("</ul></figure>")
    return "".join(parts)


def render_roc_html(rows: Sequence[dict[str, Any]], config: dict[str, Any]) -> str:
    """The page: the configuration, then one chart per (seed kind, scenario, seed)."""
    charts: dict[tuple[str, str, int], list[tuple[str, list[list[float]], float]]] = {}
    for r in rows:
        key = (r["seed_kind"], r["scenario"], r["seed"])
        charts.setdefault(key, []).append((r["detector"], r["roc"], r["auroc"]))
    body = []
    for (kind, scenario, seed), curves in sorted(charts.items(), key=lambda kv: (kv[0][0] != "held-out", kv[0])):
        body.append(_chart(f"{scenario}, seed {seed} ({kind})", curves))
    settings = ", ".join(f"{k}={v}" for k, v in config.items() if k != "detector_descriptions")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>DistillBench ROC curves</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 24px; color: #222; }}
main {{ display: flex; flex-wrap: wrap; gap: 18px; }}
figure {{ margin: 0; border: 1px solid #ddd; padding: 8px; }}
figcaption {{ font-weight: 600; margin-bottom: 4px; }}
.grid {{ stroke: #eee; }} .tick, .ytick, .label {{ font-size: 10px; fill: #555; }}
.tick {{ text-anchor: middle; }} .ytick {{ text-anchor: end; }} .label {{ text-anchor: middle; }}
.legend {{ list-style: none; padding: 0; margin: 4px 0 0; font-size: 12px; columns: 2; }}
.legend span {{ display: inline-block; width: 10px; height: 10px; margin-right: 5px; }}
</style></head><body>
<h1>DistillBench ROC curves</h1>
<p>Held-out seeds were never used to fit or tune distillguard; tuning seeds were (their figures are optimistic).
False-positive rates below 1e-4 are drawn at the left edge.</p>
<p><small>{html.escape(settings)}</small></p>
<main>{"".join(body)}</main>
</body></html>
"""
