"""Render a scan's findings as one self-contained HTML page (``DIR/report.html``).

The page works offline and alone: inline CSS, charts drawn here as inline SVG, a little vanilla JS
(table sorting and filtering, expand/collapse, open-all-before-printing) and nothing fetched from
anywhere. The only outbound links are to the MITRE ATLAS technique pages on https://atlas.mitre.org.

Every string in the inputs comes from untrusted traffic logs (account ids, cluster ids, evidence
details, input paths). Rules this module keeps:

- every string reaches the page through :func:`_e` (``html.escape(..., quote=True)``);
- element ids are built here (from safe ids, or from the rank), never copied from the data raw;
- hrefs are built here: ``#`` anchors, and ATLAS URLs only for ids of the ATLAS shape;
- data reaches script only as a JSON blob in ``<script type="application/json">`` with ``<``, ``>``
  and ``&`` escaped, so ``</script>`` in a string cannot end the element;
- a Content-Security-Policy allows no network loads and only the page's own script (by hash),
  as a second wall should an escape ever be missed.

Sizes: the histogram and the ATLAS counts cover every account; only the top ``top_accounts``
accounts get a table row, cluster member lists and link lists are capped, and timelines are drawn as
one SVG path each, so 100,000 accounts and 500 clusters render in about a second to a few MB.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import html
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from distillguard.scoring.atlas import TECHNIQUES, technique_url

__all__ = ["render_report", "write_report"]

VERDICTS = ("block", "review", "allow")
_SEVERITY = {"block": 0, "review": 1, "allow": 2}
_ATLAS_ID = re.compile(r"AML\.[A-Z]{1,4}\d{4}(?:\.\d{3})?")
_SAFE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
_MEMBERS_SHOWN = 60
_LINKS_SHOWN = 100
_INPUTS_SHOWN = 20
_CLUSTERS_OPEN = 10
_HIST_BINS = 50
_SCORE_CAP = 1e15  # scores beyond this (never seen in practice) are drawn at the edge of the histogram


# ----------------------------------------------------------------------------------------------
# Small, total helpers: untrusted values in, safe text out
# ----------------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute (None becomes an empty string)."""
    return "" if value is None else html.escape(str(value), quote=True)


def _num(value: Any) -> float | None:
    """A finite float, or None for anything else (missing, bool, text, NaN, infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        f = float(value)
    except (ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def _int(value: Any) -> int | None:
    f = _num(value)
    return None if f is None else round(f)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in _list(value) if isinstance(v, dict)]


def _key(value: Any) -> str:
    """The string form of an id (ids are compared as strings; None is no id)."""
    return "" if value is None else str(value)


def _fmt_int(value: Any) -> str:
    n = _int(value)
    return "—" if n is None else f"{n:,}"


def _fmt_score(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _fmt_number(f: float) -> str:
    if f == int(f) and abs(f) < 1e15:
        return f"{int(f):,}"
    if abs(f) >= 1000:
        return f"{f:,.1f}"
    return f"{f:.4g}"


def _fmt_value(value: Any) -> tuple[str, str]:
    """(shown text, exact text for a tooltip) of an evidence value of any JSON type."""
    if value is None:
        return "—", ""
    if isinstance(value, bool):
        return ("true" if value else "false"), ""
    if isinstance(value, int | float):
        f = _num(value)
        if f is None:
            return str(value), ""
        shown = _fmt_number(f)
        exact = repr(value)
        return shown, ("" if exact.replace(",", "") == shown.replace(",", "") else exact)
    if isinstance(value, str):
        return value, ""
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str), ""
    except (TypeError, ValueError):
        return str(value), ""


def _parse_time(value: Any) -> datetime | None:
    """An RFC 3339 / ISO 8601 string as an aware UTC datetime, or None."""
    if not isinstance(value, str) or not 4 <= len(value) <= 64:
        return None
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _fmt_time(value: Any) -> str:
    """A time as ``2026-11-02 14:00 UTC`` when it parses, else the raw value (escaped by the caller)."""
    dt = _parse_time(value)
    if dt is None:
        return "" if value is None else str(value)
    return dt.strftime("%Y-%m-%d %H:%M UTC")


def _fmt_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return ""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _fmt_span(first: Any, last: Any) -> str:
    """Escaped ``first – last (duration)``, or an empty string when neither is known."""
    if first is None and last is None:
        return ""
    text = f"{_e(_fmt_time(first)) or '?'} – {_e(_fmt_time(last)) or '?'}"
    a, b = _parse_time(first), _parse_time(last)
    if a is not None and b is not None and b >= a:
        text += f" <span class=\"muted\">({_fmt_duration(b - a)})</span>"
    return text


def _short_span(first: Any, last: Any) -> str:
    """A compact ``active 11-03 14:21 – 14:43`` line for a table cell, exact times in its tooltip."""
    a, b = _parse_time(first), _parse_time(last)
    if a is None and b is None:
        return ""
    exact = f"active {_fmt_time(first) or '?'} – {_fmt_time(last) or '?'}"
    left = a.strftime("%m-%d %H:%M") if a else "?"
    right = (b.strftime("%H:%M") if a and b.date() == a.date() else b.strftime("%m-%d %H:%M")) if b else "?"
    return f'<div class="small muted nowrap" title="{_e(exact)}">{left} – {right}</div>'


def _verdict(value: Any) -> str | None:
    """A verdict as text (the contract's are ``allow``, ``review`` and ``block``; others are shown as given)."""
    return None if value is None else value if isinstance(value, str) else str(value)


def _verdict_class(verdict: str | None) -> str:
    return f"v-{verdict}" if verdict in _SEVERITY else "v-other"


def _badge(verdict: str | None) -> str:
    if verdict is None or verdict == "":
        return '<span class="badge v-other">—</span>'
    return f'<span class="badge {_verdict_class(verdict)}">{_e(verdict)}</span>'


def _atlas_link(technique: Any, *, with_name: bool) -> str:
    """An ATLAS technique id, linked to its page when it has the ATLAS id shape."""
    tid = _key(technique)
    known = TECHNIQUES.get(tid)
    name = known[0] if known else "not in distillguard's ATLAS table"
    if _ATLAS_ID.fullmatch(tid):
        link = (f'<a class="atlas" href="{_e(technique_url(tid))}" title="{_e(name)}" '
                f'rel="noopener noreferrer" target="_blank">{_e(tid)}</a>')
    else:
        link = f'<span class="atlas" title="{_e(name)}">{_e(tid)}</span>'
    if with_name:
        return f'{link} <span class="atlas-name">{_e(name)}</span>'
    return link


def _json_for_script(value: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` survive raw."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=True, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Anchors:
    """Element ids for accounts and clusters: ``a-<id>``/``c-<id>`` for safe unique ids, else by rank."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.by_key: dict[str, str] = {}

    def add(self, key: str, rank: int) -> str:
        if key in self.by_key:  # a repeated id keeps its first (higher-ranked) anchor
            return f"{self.prefix}x-{rank}"
        anchor = f"{self.prefix}-{key}" if _SAFE_ID.fullmatch(key) else f"{self.prefix}x-{rank}"
        self.by_key[key] = anchor
        return anchor


# ----------------------------------------------------------------------------------------------
# Charts (inline SVG)
# ----------------------------------------------------------------------------------------------

_HW, _HH = 900, 280  # histogram viewBox
_HL, _HR, _HT, _HB = 56, 16, 28, 40  # margins


def _score_range(scores: Iterable[float]) -> tuple[float, float]:
    lo, hi = 0.0, 1.0
    for s in scores:
        lo, hi = min(lo, s), max(hi, s)
    return lo, hi


def _nice_ticks(lo: float, hi: float, target: int = 10) -> list[float]:
    raw = (hi - lo) / max(target, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    ticks, t = [], first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    return ticks


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 (times a power of ten) at or above ``value``."""
    if value <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(value))
    return next(m * mag for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * mag >= value * (1 - 1e-12))


def _histogram_svg(scored: list[tuple[float, str]], thresholds: dict[str, float], lo: float, hi: float) -> str:
    """Accounts by score: one bar per bin and verdict, log-scale counts, dashed threshold lines."""
    width = (hi - lo) / _HIST_BINS
    bins: list[Counter[str]] = [Counter() for _ in range(_HIST_BINS)]
    for score, verdict in scored:
        i = min(int((score - lo) / width), _HIST_BINS - 1)
        bins[i][verdict if verdict in _SEVERITY else "other"] += 1
    top = max((sum(b.values()) for b in bins), default=1) or 1
    decades = max(1, math.ceil(math.log10(top + 1)))
    ymax = math.log10(10**decades + 1)
    pw, ph = _HW - _HL - _HR, _HH - _HT - _HB

    def x(v: float) -> float:
        return _HL + (v - lo) / (hi - lo) * pw

    def y(count: float) -> float:
        return _HT + ph - math.log10(count + 1) / ymax * ph

    out = [f'<svg class="chart" viewBox="0 0 {_HW} {_HH}" role="img" '
           f'aria-label="Histogram of account scores, log-scale counts">']
    # y grid and labels: 1, 10, 100, ...
    for d in range(decades + 1):
        c = 10**d
        yy = y(c)
        out.append(f'<line class="grid" x1="{_HL}" x2="{_HW - _HR}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        out.append(f'<text class="tick" x="{_HL - 6}" y="{yy + 4:.1f}" text-anchor="end">{c:,}</text>')
    # bars: within a bin, the tallest verdict is drawn first so the smaller ones stay visible in front
    bw = pw / _HIST_BINS
    for i, b in enumerate(bins):
        if not b:
            continue
        b_lo = lo + i * width
        parts = ", ".join(f"{v} {b[v]:,}" for v in (*VERDICTS, "other") if b[v])
        tip = f"score {b_lo:.3f}–{b_lo + width:.3f}: {sum(b.values()):,} accounts ({parts})"
        out.append(f"<g><title>{_e(tip)}</title>")
        for verdict, count in sorted(b.items(), key=lambda kv: -kv[1]):
            yy = y(count)
            out.append(f'<rect class="bar {_verdict_class(verdict)}" x="{x(b_lo) + 0.5:.1f}" y="{yy:.1f}" '
                       f'width="{max(bw - 1, 0.5):.1f}" height="{_HT + ph - yy:.1f}"/>')
        out.append("</g>")
    # x axis
    base = _HT + ph
    out.append(f'<line class="axis" x1="{_HL}" x2="{_HW - _HR}" y1="{base}" y2="{base}"/>')
    for t in _nice_ticks(lo, hi):
        xx = x(t)
        out.append(f'<line class="axis" x1="{xx:.1f}" x2="{xx:.1f}" y1="{base}" y2="{base + 4}"/>')
        out.append(f'<text class="tick" x="{xx:.1f}" y="{base + 16}" text-anchor="middle">{t:g}</text>')
    out.append(f'<text class="label" x="{_HL + pw / 2}" y="{_HH - 6}" text-anchor="middle">score</text>')
    out.append(f'<text class="label" x="14" y="{_HT + ph / 2}" text-anchor="middle" '
               f'transform="rotate(-90 14 {_HT + ph / 2})">accounts (log)</text>')
    # thresholds
    for name in ("review", "block"):
        t = thresholds.get(name)
        if t is None or not lo <= t <= hi:
            continue
        xx = x(t)
        anchor = "end" if xx > _HW - 140 else "start"
        dx = -4 if anchor == "end" else 4
        out.append(f'<line class="thr {_verdict_class(name)}" x1="{xx:.1f}" x2="{xx:.1f}" y1="{_HT - 14}" '
                   f'y2="{base}"/>')
        label_y = _HT - 16 if name == "block" else _HT - 4
        out.append(f'<text class="thr-label {_verdict_class(name)}" x="{xx + dx:.1f}" y="{label_y}" '
                   f'text-anchor="{anchor}">{name} ≥ {t:g}</text>')
    out.append("</svg>")
    return "".join(out)


_TW, _TH = 900, 150  # timeline viewBox
_TL, _TR, _TT, _TB = 56, 16, 10, 30
_TICK_STEPS_H = (1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720, 2160, 8760)
_BIN_STEPS_H = (1, 2, 3, 6, 12, 24, 48, 168, 720)
_MAX_BARS = 180


class _TimeAxis:
    """One time axis shared by every cluster's timeline, so the charts line up and compare."""

    def __init__(self, start: datetime, end: datetime, marker: tuple[datetime, str] | None = None) -> None:
        self.start = start.replace(minute=0, second=0, microsecond=0)
        hours = max(1, math.ceil((end - self.start).total_seconds() / 3600) + 1)
        self.hours = hours
        self.bin_h = next((b for b in _BIN_STEPS_H if hours / b <= _MAX_BARS), math.ceil(hours / _MAX_BARS))
        self.nbins = math.ceil(hours / self.bin_h)
        self.span_h = self.nbins * self.bin_h
        self.pw = _TW - _TL - _TR
        self._axis_svg = self._axis() + (self._marker(*marker) if marker else "")

    def x(self, hours_from_start: float) -> float:
        return _TL + hours_from_start / self.span_h * self.pw

    @property
    def unit(self) -> str:
        return "hour" if self.bin_h == 1 else f"{self.bin_h} h"

    def _axis(self) -> str:
        step = next((s for s in _TICK_STEPS_H if self.span_h / s <= 8), math.ceil(self.span_h / 8))
        base = _TT + (_TH - _TT - _TB)
        out = [f'<line class="axis" x1="{_TL}" x2="{_TW - _TR}" y1="{base}" y2="{base}"/>']
        # first tick: the first whole multiple of the step (midnight-aligned for steps of a day or more)
        day0 = self.start.replace(hour=0)
        offset = (self.start - day0).total_seconds() / 3600
        h = math.ceil(offset / step) * step - offset if step < 24 else (24 - offset) % 24
        long_span = self.span_h > 24 * 300
        while h <= self.span_h:
            try:
                t = self.start + timedelta(hours=h)
            except OverflowError:
                break
            if long_span:
                label = t.strftime("%Y-%m-%d")
            else:
                label = t.strftime("%b %d") if t.hour == 0 else t.strftime("%b %d %H:%M")
            xx = self.x(h)
            out.append(f'<line class="axis" x1="{xx:.1f}" x2="{xx:.1f}" y1="{base}" y2="{base + 4}"/>')
            out.append(f'<text class="tick" x="{xx:.1f}" y="{base + 16}" text-anchor="middle">{label}</text>')
            h += step
        return "".join(out)

    def _marker(self, at: datetime, label: str) -> str:
        """A dashed vertical line at ``at`` (a new model's release) with a label, on every timeline."""
        h = (at - self.start).total_seconds() / 3600
        if not 0 <= h <= self.span_h:
            return ""
        xx = self.x(h)
        anchor, dx = ("end", -4) if xx > _TW - 200 else ("start", 4)
        return (f'<line class="marker" x1="{xx:.1f}" x2="{xx:.1f}" y1="{_TT}" y2="{_TH - _TB}"/>'
                f'<text class="marker-label" x="{xx + dx:.1f}" y="{_TT + 10}" text-anchor="{anchor}">'
                f"{_e(label)}</text>")

    def chart(self, points: list[tuple[datetime, int]], label: str) -> str:
        counts: Counter[int] = Counter()
        for t, n in points:
            i = int((t - self.start).total_seconds() // 3600) // self.bin_h
            if 0 <= i < self.nbins:
                counts[i] += n
        peak = max(counts.values(), default=0)
        ph = _TH - _TT - _TB
        base = _TT + ph
        ymax = _nice_ceiling(peak)
        bw = self.pw / self.nbins
        path = []
        for i in sorted(counts):
            n = counts[i]
            if n <= 0:
                continue
            hgt = n / ymax * ph
            path.append(f"M{self.x(i * self.bin_h):.1f} {base}v-{hgt:.1f}h{max(bw - 0.4, 0.6):.1f}v{hgt:.1f}z")
        mid = ymax / 2
        return "".join((
            f'<svg class="chart timeline" viewBox="0 0 {_TW} {_TH}" role="img" aria-label="{_e(label)}">',
            f'<line class="grid" x1="{_TL}" x2="{_TW - _TR}" y1="{_TT}" y2="{_TT}"/>',
            f'<line class="grid" x1="{_TL}" x2="{_TW - _TR}" y1="{_TT + ph / 2:.1f}" y2="{_TT + ph / 2:.1f}"/>',
            f'<text class="tick" x="{_TL - 6}" y="{_TT + 4}" text-anchor="end">{_fmt_number(ymax)}</text>',
            f'<text class="tick" x="{_TL - 6}" y="{_TT + ph / 2 + 4:.1f}" text-anchor="end">{_fmt_number(mid)}</text>',
            f'<text class="tick" x="{_TL - 6}" y="{base + 4}" text-anchor="end">0</text>',
            f'<path class="area" d="{"".join(path)}"/>' if path else "",
            self._axis_svg,
            "</svg>",
        ))


def _timeline_points(cluster: dict[str, Any]) -> tuple[list[tuple[datetime, int]], int]:
    """The cluster's ``timeline`` as (hour, requests) pairs, and how many entries could not be read."""
    points, bad = [], 0
    for entry in _list(cluster.get("timeline")):
        if isinstance(entry, list | tuple) and len(entry) == 2:
            t, n = _parse_time(entry[0]), _int(entry[1])
            if t is not None and n is not None:
                points.append((t, n))
                continue
        bad += 1
    return points, bad


# ----------------------------------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------------------------------


def _evidence_table(evidence: list[dict[str, Any]]) -> str:
    if not evidence:
        return '<p class="muted">No evidence entries.</p>'
    with_contrib = any("contribution" in ev for ev in evidence)
    head = "<th>signal</th><th class=\"num\">value</th>"
    head += "<th class=\"num\" title=\"contribution to the score\">contrib.</th>" if with_contrib else ""
    head += "<th>detail</th>"
    rows = []
    for ev in evidence:
        shown, exact = _fmt_value(ev.get("value"))
        title = f' title="{_e(exact)}"' if exact else ""
        row = f'<tr><td><code>{_e(ev.get("signal"))}</code></td><td class="num"{title}>{_e(shown)}</td>'
        if with_contrib:
            c = _num(ev.get("contribution"))
            row += f'<td class="num">{"—" if c is None else f"{c:+.3f}"}</td>'
        row += f'<td class="detail">{_e(ev.get("detail"))}</td></tr>'
        rows.append(row)
    return (f'<div class="scroll"><table class="ev"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _evidence_summary(evidence: list[dict[str, Any]]) -> str:
    """``3 signals: a, b +1`` for a collapsed evidence cell (largest contribution first when known)."""
    if not evidence:
        return "no evidence"
    ordered = sorted(evidence, key=lambda ev: -(_num(ev.get("contribution")) or 0.0))
    names = [_key(ev.get("signal")) for ev in ordered[:2]]
    more = f" +{len(evidence) - 2}" if len(evidence) > 2 else ""
    n = len(evidence)
    return f"{n} signal{'s' if n != 1 else ''}: {_e(', '.join(names))}{more}"


def _release(summary: dict[str, Any]) -> tuple[datetime, str] | None:
    """The new model the scan saw released (``summary["new_model"]``), as (first seen, model name)."""
    new_model = summary.get("new_model")
    if not isinstance(new_model, dict):
        return None
    at = _parse_time(new_model.get("first_seen"))
    return None if at is None else (at, _key(new_model.get("model")) or "new model")


def _header(summary: dict[str, Any], n_accounts: int, n_clusters: int, verdicts: Counter[str]) -> str:
    version = summary.get("version")
    generated = summary.get("generated_at")
    seconds = _num(summary.get("seconds"))
    meta = []
    if generated is not None:
        meta.append(f"generated {_e(_fmt_time(generated))}")
    if version is not None:
        meta.append(f"distillguard {_e(version)}")

    given = summary.get("verdicts") if isinstance(summary.get("verdicts"), dict) else {}
    counts = {v: _int(given.get(v)) if given.get(v) is not None else verdicts[v] for v in VERDICTS}

    def tile(label: str, value: str, cls: str = "") -> str:
        return f'<div class="tile {cls}"><div class="tile-v">{value}</div><div class="tile-l">{label}</div></div>'

    accounts = summary.get("accounts", n_accounts)
    clusters = summary.get("clusters", n_clusters)
    tiles = [
        tile("events", _fmt_int(summary.get("events"))),
        tile("accounts", _fmt_int(accounts)),
        tile("clusters", _fmt_int(clusters)),
        *(tile(v, _fmt_int(counts[v]), _verdict_class(v)) for v in VERDICTS),
        tile("bad lines", _fmt_int(summary.get("bad_lines")), "warn" if (_int(summary.get("bad_lines")) or 0) else ""),
    ]

    facts = []
    span = _list(summary.get("time_span"))
    if len(span) == 2:
        facts.append(("time span", _fmt_span(span[0], span[1])))
    thresholds = summary.get("thresholds") if isinstance(summary.get("thresholds"), dict) else {}
    thr = [f'<span class="{_verdict_class(k)}-t">{_e(k)} ≥ {_e(_fmt_value(thresholds[k])[0])}</span>'
           for k in ("review", "block") if k in thresholds]
    if thr:
        facts.append(("thresholds", ", ".join(thr)))
    inputs = _list(summary.get("inputs"))
    if inputs:
        shown = "".join(f"<li><code>{_e(p)}</code></li>" for p in inputs[:_INPUTS_SHOWN])
        extra = len(inputs) - _INPUTS_SHOWN
        more = f'<li class="muted">and {extra:,} more</li>' if extra > 0 else ""
        facts.append(("inputs", f'<ul class="inputs">{shown}{more}</ul>'))
    unreadable = _list(summary.get("unreadable_files"))
    if unreadable:
        items = "".join(f"<li><code>{_e(p)}</code></li>" for p in unreadable[:_INPUTS_SHOWN])
        facts.append(('<span class="v-review-t">unreadable files</span>', f'<ul class="inputs">{items}</ul>'))
    release = _release(summary)
    if release is not None:
        facts.append(("new model", f"<code>{_e(release[1])}</code> first seen {_e(_fmt_time(release[0].isoformat()))} "
                                   '<span class="muted">(dashed line on the cluster timelines)</span>'))
    if seconds is not None:
        facts.append(("scan time", f"{seconds:,.1f} s"))
    facts_html = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)

    findings = [f for f in _list(summary.get("top_findings")) if f is not None]
    findings_html = (
        '<section class="findings"><h2>Top findings</h2><ol>'
        + "".join(f"<li>{_e(f)}</li>" for f in findings)
        + "</ol></section>"
        if findings else ""
    )
    return (
        '<header id="summary"><h1>distillguard scan report</h1>'
        f'<p class="meta">{" · ".join(meta)}</p>'
        f'<div class="tiles">{"".join(tiles)}</div>'
        f'<dl class="facts">{facts_html}</dl></header>{findings_html}'
    )


def _histogram_section(scored: list[tuple[float, str]], unscored: int, thresholds: dict[str, float],
                       lo: float, hi: float) -> str:
    head = '<section id="scores"><h2>Scores</h2>'
    if not scored:
        return head + '<p class="empty">No accounts with a score in this scan.</p></section>'
    note = (f"All {len(scored):,} scored accounts, in {_HIST_BINS} bins; counts on a log scale; "
            "bars coloured by verdict (within a bin the smaller counts are drawn in front). "
            "Hover a bar for exact counts.")
    if unscored:
        note += f" {unscored:,} accounts without a numeric score are not drawn."
    legend = "".join(f'<span class="key"><span class="sw {_verdict_class(v)}"></span>{v}</span>' for v in VERDICTS)
    return (f'{head}<p class="muted">{note}</p><div class="legend">{legend}</div>'
            f'<div class="scroll">{_histogram_svg(scored, thresholds, lo, hi)}</div></section>')


def _clusters_section(clusters: list[dict[str, Any]], cl_anchor: list[str], acct_anchors: _Anchors,
                      stats: dict[str, tuple[int, int]], axis: _TimeAxis | None) -> str:
    head = '<section id="clusters"><h2>Clusters of coordinated accounts</h2>'
    if not clusters:
        return head + '<p class="empty">No clusters of coordinated accounts were found in this scan.</p></section>'

    overview_rows, cards = [], []
    for rank, (c, anchor) in enumerate(zip(clusters, cl_anchor, strict=True), start=1):
        cid = _key(c.get("cluster_id"))
        members = [_key(m) for m in _list(c.get("accounts"))]
        score = _num(c.get("score"))
        size = _int(c.get("size"))
        size = len(members) if size is None else size
        req = _int(c.get("requests"))
        known_members, known_req = stats.get(cid, (0, 0))
        req_note = ""
        if req is None and known_members:
            req, req_note = known_req, ' <span class="muted" title="summed from accounts.jsonl">(sum)</span>'
        evidence = _dicts(c.get("evidence"))
        atlas = _list(c.get("atlas"))
        verdict = _verdict(c.get("verdict"))
        score_txt = _fmt_score(score)

        overview_rows.append(
            f'<tr><td class="num" data-v="{rank}">{rank}</td>'
            f'<td><a href="#{anchor}"><code>{_e(cid)}</code></a></td>'
            f"<td>{_badge(verdict)}</td>"
            f'<td class="num" data-v="{"" if score is None else score}">{score_txt}</td>'
            f'<td class="num" data-v="{size}">{size:,}</td>'
            f'<td class="num" data-v="{"" if req is None else req}">{_fmt_int(req)}</td>'
            f"<td>{_evidence_summary(evidence)}</td></tr>"
        )

        facts = [f"score <b>{score_txt}</b>", f"<b>{size:,}</b> accounts", f"<b>{_fmt_int(req)}</b> requests{req_note}"]
        span = _fmt_span(c.get("first_seen"), c.get("last_seen"))
        if span:
            facts.append(f"active {span}")

        # timeline
        points, bad_points = _timeline_points(c)
        if axis is not None and points:
            total = sum(n for _, n in points)
            peak_t, peak_n = max(points, key=lambda p: p[1])
            busy = len({t.replace(minute=0, second=0, microsecond=0) for t, n in points if n > 0})
            timeline = axis.chart(points, f"Requests per {axis.unit} of cluster {cid}")
            caption = (f"Requests per {axis.unit} (UTC), on the scan's time axis: {total:,} requests in "
                       f"{busy:,} active hours; busiest hour {_e(_fmt_time(peak_t.isoformat()))} "
                       f"with {peak_n:,} requests.")
            if bad_points:
                caption += f" {bad_points:,} timeline entries could not be read and are not drawn."
            timeline_html = f'<div class="scroll">{timeline}</div><p class="caption">{caption}</p>'
        else:
            timeline_html = '<p class="muted">No timeline in clusters.jsonl for this cluster.</p>'

        # links
        links = _dicts(c.get("links"))
        if links:
            with_pairs = any("pairs" in lk for lk in links)
            rows = "".join(
                f'<tr><td><code>{_e(lk.get("kind"))}</code></td>'
                + (f'<td class="num">{_e(_fmt_value(lk.get("pairs"))[0])}</td>' if with_pairs else "")
                + f'<td class="num">{_e(_fmt_value(lk.get("weight"))[0])}</td>'
                f'<td class="detail">{_e(lk.get("detail"))}</td></tr>'
                for lk in links[:_LINKS_SHOWN]
            )
            more = (f'<p class="muted">and {len(links) - _LINKS_SHOWN:,} more links in clusters.jsonl.</p>'
                    if len(links) > _LINKS_SHOWN else "")
            pairs_th = '<th class="num" title="linked account pairs">pairs</th>' if with_pairs else ""
            links_html = (f'<div class="scroll"><table class="ev"><thead><tr><th>kind</th>{pairs_th}'
                          '<th class="num">weight</th>'
                          f"<th>detail</th></tr></thead><tbody>{rows}</tbody></table></div>{more}")
        else:
            links_html = '<p class="muted">No link records in clusters.jsonl for this cluster.</p>'

        atlas_html = ("<ul class=\"atlas-list\">"
                      + "".join(f"<li>{_atlas_link(t, with_name=True)}</li>" for t in atlas) + "</ul>"
                      if atlas else '<p class="muted">None cited.</p>')

        shown = []
        for m in members[:_MEMBERS_SHOWN]:
            a = acct_anchors.by_key.get(m)
            shown.append(f'<li><a href="#{a}"><code>{_e(m)}</code></a></li>' if a else f"<li><code>{_e(m)}</code></li>")
        more_members = len(members) - len(shown)
        members_note = (f'<p class="muted">and {more_members:,} more: every member is in clusters.jsonl, and each '
                        f"member's line in accounts.jsonl has this cluster_id.</p>" if more_members > 0 else "")
        members_html = (f'<ul class="members">{"".join(shown)}</ul>{members_note}' if shown
                        else '<p class="muted">No member list in clusters.jsonl.</p>')

        is_open = " open" if rank <= _CLUSTERS_OPEN else ""
        cards.append(
            f'<details class="card cluster {_verdict_class(verdict)}-edge" id="{anchor}"{is_open}>'
            f'<summary><h3><span class="rank">#{rank}</span> <code>{_e(cid)}</code> {_badge(verdict)}</h3>'
            f'<span class="facts-inline">{" · ".join(facts)}</span></summary>'
            f'<div class="card-body"><h4>Timeline</h4>{timeline_html}'
            f"<h4>Evidence</h4>{_evidence_table(evidence)}"
            f"<h4>Why these accounts were linked</h4>{links_html}"
            f"<h4>MITRE ATLAS</h4>{atlas_html}"
            f"<h4>Members</h4>{members_html}</div></details>"
        )

    n = len(clusters)
    return (
        f'{head}<p class="muted">{n:,} cluster{"s" if n != 1 else ""}, ranked by score. '
        f"The first {min(n, _CLUSTERS_OPEN)} are open; click a title to open or close one.</p>"
        '<div class="scroll"><table class="list sortable" id="cluster-table"><thead><tr>'
        '<th data-type="num">#</th><th data-type="text">cluster</th><th data-type="text">verdict</th>'
        '<th data-type="num">score</th><th data-type="num">accounts</th><th data-type="num">requests</th>'
        f'<th>top evidence</th></tr></thead><tbody>{"".join(overview_rows)}</tbody></table></div>'
        '<p class="controls"><button type="button" data-expand="cluster-cards" data-open="1">Open all</button> '
        '<button type="button" data-expand="cluster-cards" data-open="0">Close all</button></p>'
        f'<div id="cluster-cards">{"".join(cards)}</div></section>'
    )


def _own_score(account: dict[str, Any], score: float | None) -> str:
    """The account's own behaviour score when the scan gives one and it differs (its cluster raised it)."""
    own = _num(account.get("own_score"))
    if own is None or (score is not None and abs(own - score) < 5e-4):
        return ""
    return (f'<div class="small muted" title="this account\'s own score, before its cluster\'s score">'
            f"own {own:.3f}</div>")


def _accounts_section(ranked: list[dict[str, Any]], total: int, rest: Counter[str], anchors: list[str],
                      cl_anchors: _Anchors, lo: float, hi: float) -> str:
    head = '<section id="accounts"><h2>Accounts</h2>'
    if total == 0:
        return head + '<p class="empty">No accounts in this scan.</p></section>'
    remaining = total - len(ranked)
    if remaining > 0:
        split = ", ".join(f"{rest[v]:,} {v}" for v in VERDICTS if rest[v])
        other = sum(n for v, n in rest.items() if v not in _SEVERITY)
        if other:
            split += f"{', ' if split else ''}{other:,} other"
        note = (f'<p class="note">Showing the top {len(ranked):,} of {total:,} accounts by score. '
                f'The other {remaining:,} ({split}) are in <code>accounts.jsonl</code> next to this report.</p>')
    else:
        note = f'<p class="note">All {total:,} accounts are shown, ranked by score.</p>'
    if not ranked:
        return head + note + "</section>"

    span = hi - lo
    rows = []
    for rank, (a, anchor) in enumerate(zip(ranked, anchors, strict=True), start=1):
        score = _num(a.get("score"))
        verdict = _verdict(a.get("verdict"))
        width = 0.0 if score is None else max(0.0, min(100.0, (score - lo) / span * 100))
        cid = a.get("cluster_id")
        if cid is None:
            cluster_html = '<span class="muted">—</span>'
        else:
            c_anchor = cl_anchors.by_key.get(_key(cid))
            code = f"<code>{_e(cid)}</code>"
            cluster_html = f'<a href="#{c_anchor}">{code}</a>' if c_anchor else code
        evidence = _dicts(a.get("evidence"))
        signals = a.get("signals") if isinstance(a.get("signals"), dict) else {}
        signals_html = ""
        if signals:
            items = "".join(f"<li><code>{_e(k)}</code> {_e(_fmt_value(v)[0])}</li>" for k, v in signals.items())
            signals_html = f'<p class="muted">All signal values:</p><ul class="signals">{items}</ul>'
        active = _short_span(a.get("first_seen"), a.get("last_seen"))
        atlas = "".join(_atlas_link(t, with_name=False) + " " for t in _list(a.get("atlas")))
        req = _int(a.get("requests"))
        rows.append(
            f'<tr id="{anchor}" data-verdict="{_e(verdict)}">'
            f'<td class="num" data-v="{rank}">{rank}</td>'
            f'<td><code class="acct">{_e(a.get("account_id"))}</code>{active}</td>'
            f'<td class="nowrap" data-v="{"" if score is None else score}"><span class="sbar">'
            f'<span class="{_verdict_class(verdict)}" style="width:{width:.1f}%"></span></span> '
            f'<span class="num">{_fmt_score(score)}</span>{_own_score(a, score)}</td>'
            f'<td data-v="{3 - _SEVERITY[verdict] if verdict in _SEVERITY else 0}">{_badge(verdict)}</td>'
            f"<td>{cluster_html}</td>"
            f'<td class="num" data-v="{"" if req is None else req}">{_fmt_int(req)}</td>'
            f"<td><details><summary>{_evidence_summary(evidence)}</summary>"
            f"{_evidence_table(evidence)}{signals_html}</details></td>"
            f'<td class="atlas-cell">{atlas}</td></tr>'
        )
    shown_verdicts = Counter(_verdict(a.get("verdict")) for a in ranked)
    options = "".join(f'<option value="{v}">{v} ({shown_verdicts[v]:,})</option>' for v in VERDICTS
                      if shown_verdicts[v])
    return (
        f"{head}{note}"
        '<div class="controls"><label>Filter <input type="search" id="acct-filter" '
        'placeholder="account, cluster, signal or detail text"></label> '
        f'<label>Verdict <select id="acct-verdict"><option value="">all</option>{options}</select></label> '
        '<button type="button" data-expand="account-table" data-open="1">Open all evidence</button> '
        '<button type="button" data-expand="account-table" data-open="0">Close all</button> '
        f'<span id="acct-count" class="muted">{len(ranked):,} shown</span></div>'
        '<div class="scroll"><table class="list sortable" id="account-table"><thead><tr>'
        '<th data-type="num">#</th><th data-type="text">account</th><th data-type="num">score</th>'
        '<th data-type="num" title="block first">verdict</th><th data-type="text">cluster</th>'
        '<th data-type="num">requests</th><th>evidence</th><th>ATLAS</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div></section>'
    )


def _atlas_section(accounts: list[dict[str, Any]], clusters: list[dict[str, Any]]) -> str:
    head = '<section id="atlas"><h2>MITRE ATLAS techniques cited</h2>'
    by_acct: dict[str, Counter[str]] = {}
    by_cluster: Counter[str] = Counter()
    for a in accounts:
        verdict = _verdict(a.get("verdict"))
        for t in set(map(_key, _list(a.get("atlas")))):
            by_acct.setdefault(t, Counter())[verdict if verdict in _SEVERITY else "other"] += 1
    for c in clusters:
        for t in set(map(_key, _list(c.get("atlas")))):
            by_cluster[t] += 1
    cited = set(by_acct) | set(by_cluster)
    if not cited:
        return head + '<p class="empty">No ATLAS techniques are cited in this scan.</p></section>'
    order = {t: i for i, t in enumerate(TECHNIQUES)}
    rows = []
    for t in sorted(cited, key=lambda t: (order.get(t, len(order)), t)):
        acc = by_acct.get(t, Counter())
        when = TECHNIQUES[t][1] if t in TECHNIQUES else ""
        split = ", ".join(f"{acc[v]:,} {v}" for v in VERDICTS if acc[v])
        rows.append(
            f"<tr><td>{_atlas_link(t, with_name=True)}</td><td class=\"muted\">{_e(when)}</td>"
            f'<td class="num">{sum(acc.values()):,}</td><td class="small nowrap">{split}</td>'
            f'<td class="num">{by_cluster[t]:,}</td></tr>'
        )
    return (
        f'{head}<p class="muted">Each technique cited by any account or cluster in this scan (all accounts, not '
        "only those shown above), with what distillguard cites it for. Ids link to atlas.mitre.org.</p>"
        '<div class="scroll"><table class="list"><thead><tr><th>technique</th><th>cited when</th>'
        '<th class="num">accounts</th><th>by verdict</th><th class="num">clusters</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div></section>'
    )


# ----------------------------------------------------------------------------------------------
# Page
# ----------------------------------------------------------------------------------------------

_CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d8dee4;--bg:#fff;--panel:#f6f8fa;--accent:#0b5cad;
--block:#c62828;--block-bg:#fdecea;--review:#b45309;--review-bar:#e59a1c;--review-bg:#fef3c7;
--allow:#5b6b62;--allow-bar:#9aa9a0;--allow-bg:#eef2ef;--other:#7a5cad;}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--fg);background:var(--bg)}
main{max-width:1200px;margin:0 auto;padding:0 20px 40px}
nav{position:sticky;top:0;z-index:2;background:#fffffff0;border-bottom:1px solid var(--line)}
nav ul{max-width:1200px;margin:0 auto;padding:8px 20px;list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px}
nav a{color:var(--accent);text-decoration:none;font-weight:600}
h1{font-size:24px;margin:22px 0 2px}h2{font-size:19px;margin:34px 0 8px;padding-bottom:4px;
border-bottom:2px solid var(--line)}h3{font-size:16px;margin:0;display:inline}h4{font-size:13px;margin:16px 0 6px;
text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
code{font:12.5px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:break-word}
a{color:var(--accent)}
[id]{scroll-margin-top:48px}
.muted{color:var(--muted)}.nowrap{white-space:nowrap}
.atlas-cell .atlas{font-size:11.5px}.small{font-size:12px}.meta{color:var(--muted);margin:0 0 14px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(120px,1fr));gap:10px}
.tile{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--panel)}
.tile-v{font-size:22px;font-weight:700;font-variant-numeric:tabular-nums}.tile-l{color:var(--muted);font-size:12px}
.tile.v-block{background:var(--block-bg);border-color:#f3b7b1}.tile.v-block .tile-v{color:var(--block)}
.tile.v-review{background:var(--review-bg);border-color:#f5d58a}.tile.v-review .tile-v{color:var(--review)}
.tile.v-allow{background:var(--allow-bg)}.tile.warn .tile-v{color:var(--review)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:14px 0 0}
.facts dt{color:var(--muted)}.facts dd{margin:0}
.inputs{margin:0;padding:0;list-style:none}
.v-block-t{color:var(--block);font-weight:600}.v-review-t{color:var(--review);font-weight:600}
.findings ol{margin:6px 0 0;padding-left:22px}.findings li{margin:3px 0}
.empty{padding:14px;border:1px dashed var(--line);border-radius:8px;color:var(--muted);background:var(--panel)}
.note{padding:8px 12px;border-left:4px solid var(--accent);background:#eef5fc}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}
th{font-size:12px;color:var(--muted);font-weight:600;white-space:nowrap;background:var(--panel)}
th[data-type]{cursor:pointer}th[aria-sort=descending]::after{content:" ▼"}th[aria-sort=ascending]::after{content:" ▲"}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.ev{font-size:13px;margin:4px 0}table.ev th{background:none}
td.detail{min-width:200px}#account-table td.detail{min-width:150px}
.atlas-cell{min-width:100px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:700;
border:1px solid transparent;white-space:nowrap}
.badge.v-block{background:var(--block);color:#fff}.badge.v-review{background:var(--review-bg);color:var(--review);
border-color:var(--review-bar)}.badge.v-allow{background:var(--allow-bg);color:var(--allow);border-color:#cfd8d2}
.badge.v-other{background:#f1ecf8;color:var(--other)}
.sbar{display:inline-block;width:70px;height:8px;background:#eaeef2;border-radius:4px;vertical-align:middle;
overflow:hidden}.sbar>span{display:block;height:100%}
.sbar .v-block{background:var(--block)}.sbar .v-review{background:var(--review-bar)}
.sbar .v-allow{background:var(--allow-bar)}.sbar .v-other{background:var(--other)}
tr:target{background:#fff8c5}
details>summary{cursor:pointer}
td details>summary{color:var(--accent);white-space:nowrap}
.card{border:1px solid var(--line);border-left:5px solid var(--allow-bar);border-radius:8px;margin:12px 0;
background:var(--bg);break-inside:avoid}
.card.v-block-edge{border-left-color:var(--block)}.card.v-review-edge{border-left-color:var(--review-bar)}
.card>summary{padding:10px 14px;background:var(--panel);border-radius:0 8px 0 0;list-style-position:outside}
.card[open]>summary{border-bottom:1px solid var(--line)}
.card-body{padding:2px 14px 12px}.rank{color:var(--muted);font-weight:400}h3 code{font-size:15px}
.facts-inline{display:block;color:var(--muted);margin-top:3px}.facts-inline b{color:var(--fg)}
.atlas{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:nowrap}
.atlas-list{margin:0;padding-left:20px}.atlas-name{color:var(--fg)}
.members{display:flex;flex-wrap:wrap;gap:4px 14px;list-style:none;margin:0;padding:0}
.signals{columns:2 220px;margin:2px 0 6px;padding-left:18px;font-size:12px}
.controls{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;margin:10px 0}
input,select,button{font:inherit;padding:3px 8px;border:1px solid var(--line);border-radius:6px;background:#fff}
button{cursor:pointer;background:var(--panel)}
input[type=search]{min-width:260px}
.legend{display:flex;gap:14px;font-size:12px;margin:4px 0}.key{display:inline-flex;align-items:center;gap:5px}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px}
.sw.v-block{background:var(--block)}.sw.v-review{background:var(--review-bar)}.sw.v-allow{background:var(--allow-bar)}
svg.chart{width:100%;height:auto;display:block;max-width:1000px}
svg .grid{stroke:#eaeef2;stroke-width:1}svg .axis{stroke:#8c959f;stroke-width:1}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:var(--muted)}
svg .label{font-size:12px}svg .thr-label{font-weight:700;font-size:12px}
svg .bar.v-block{fill:var(--block)}svg .bar.v-review{fill:var(--review-bar)}svg .bar.v-allow{fill:var(--allow-bar)}
svg .bar.v-other{fill:var(--other)}svg g:hover .bar{opacity:.75}
svg .thr{stroke-width:1.5;stroke-dasharray:5 4}svg .thr.v-block{stroke:var(--block)}
svg .thr.v-review{stroke:var(--review)}svg text.v-block{fill:var(--block)}svg text.v-review{fill:var(--review)}
svg .area{fill:var(--accent);opacity:.85}
svg .marker{stroke:var(--other);stroke-width:1.5;stroke-dasharray:4 3}
svg .marker-label{fill:var(--other);font-weight:700}
.caption{color:var(--muted);font-size:12px;margin:2px 0 0}
footer{margin-top:40px;padding-top:10px;border-top:1px solid var(--line);color:var(--muted);font-size:12px}
@media (max-width:700px){main{padding:0 10px 30px}nav ul{padding:6px 10px}h1{font-size:20px}
.tile-v{font-size:18px}input[type=search]{min-width:0;width:100%}.facts{grid-template-columns:1fr}
.facts dt{margin-top:6px}svg.chart{min-width:560px}}
@media print{nav,.controls{display:none}body{font-size:11px}main{max-width:none;padding:0}
h2{break-after:avoid}tr,.tile{break-inside:avoid}.scroll{overflow:visible}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}a{color:inherit;text-decoration:none}}
"""

_JS = """(function(){"use strict";
function val(row,i){var c=row.cells[i];if(!c)return"";var v=c.getAttribute("data-v");
return v===null?c.textContent.trim().toLowerCase():v;}
Array.prototype.forEach.call(document.querySelectorAll("table.sortable"),function(table){
var ths=table.tHead.rows[0].cells;
Array.prototype.forEach.call(ths,function(th,i){if(!th.hasAttribute("data-type"))return;
th.tabIndex=0;th.setAttribute("role","button");
function sort(){var num=th.getAttribute("data-type")==="num";var cur=th.getAttribute("aria-sort");
var desc=cur?cur!=="descending":(num&&i>0);
Array.prototype.forEach.call(ths,function(o){o.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",desc?"descending":"ascending");var dir=desc?-1:1;
var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
rows.sort(function(a,b){var x=val(a,i),y=val(b,i);
if(num){x=x===""?-Infinity:parseFloat(x);y=y===""?-Infinity:parseFloat(y);}
return x<y?-dir:x>y?dir:0;});
rows.forEach(function(r){body.appendChild(r);});}
th.addEventListener("click",sort);
th.addEventListener("keydown",function(e){if(e.key==="Enter"||e.key===" "){e.preventDefault();sort();}});});});
var q=document.getElementById("acct-filter"),vs=document.getElementById("acct-verdict"),
count=document.getElementById("acct-count"),table=document.getElementById("account-table");
if(q&&vs&&table){var rows=Array.prototype.slice.call(table.tBodies[0].rows);
var text=rows.map(function(r){return r.textContent.toLowerCase();});
function filter(){var t=q.value.trim().toLowerCase(),v=vs.value,n=0;
rows.forEach(function(r,k){var ok=(!v||r.getAttribute("data-verdict")===v)&&(!t||text[k].indexOf(t)>=0);
r.hidden=!ok;if(ok)n++;});if(count)count.textContent=n.toLocaleString()+" shown";}
q.addEventListener("input",filter);vs.addEventListener("change",filter);}
Array.prototype.forEach.call(document.querySelectorAll("button[data-expand]"),function(b){
b.addEventListener("click",function(){var root=document.getElementById(b.getAttribute("data-expand"));
if(!root)return;var open=b.getAttribute("data-open")==="1";
Array.prototype.forEach.call(root.querySelectorAll("details"),function(d){d.open=open;});});});
function openTarget(){var id;try{id=decodeURIComponent(location.hash.slice(1));}catch(e){return;}
if(!id)return;var t=document.getElementById(id);if(t&&t.hidden){t.hidden=false;}
while(t){if(t.tagName==="DETAILS")t.open=true;t=t.parentElement;}}
window.addEventListener("hashchange",openTarget);openTarget();
window.addEventListener("beforeprint",function(){
Array.prototype.forEach.call(document.querySelectorAll("details"),function(d){d.open=true;});});
})();"""

_JS_HASH = base64.b64encode(hashlib.sha256(_JS.encode()).digest()).decode()
_CSP = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_JS_HASH}'; img-src data:; "
        "base-uri 'none'; form-action 'none'")


def render_report(summary: dict, accounts: list[dict], clusters: list[dict], *, top_accounts: int = 500) -> str:
    """Render the scan report as one self-contained HTML page and return it.

    ``summary``, ``accounts`` and ``clusters`` are the scan's summary and the records of
    ``accounts.jsonl`` and ``clusters.jsonl`` (CONTRACTS.md §2); any optional key may be missing, and
    every string is treated as untrusted. Accounts and clusters are ranked by score here (no order is
    assumed). The histogram and ATLAS counts cover every account; the ``top_accounts`` highest-scored
    accounts get a full row, and a note says how many more are in ``accounts.jsonl``.
    """
    if top_accounts < 0:
        raise ValueError(f"top_accounts must be 0 or more, got {top_accounts}")
    summary = summary if isinstance(summary, dict) else {}
    accounts = [a for a in accounts if isinstance(a, dict)]
    clusters = [c for c in clusters if isinstance(c, dict)]

    # one pass over every account: scores, verdicts, per-cluster sums
    scored: list[tuple[float, str]] = []
    verdicts: Counter[str] = Counter()
    stats: dict[str, list[int]] = {}
    unscored = 0
    for a in accounts:
        s = _num(a.get("score"))
        v = _verdict(a.get("verdict"))
        verdicts[v if isinstance(v, str) else "other"] += 1
        if s is None:
            unscored += 1
        else:
            scored.append((max(-_SCORE_CAP, min(_SCORE_CAP, s)), v if isinstance(v, str) else "other"))
        cid = a.get("cluster_id")
        if cid is not None:
            st = stats.setdefault(_key(cid), [0, 0])
            st[0] += 1
            st[1] += _int(a.get("requests")) or 0
    lo, hi = _score_range(s for s, _ in scored)

    def rank_key(record: dict[str, Any], id_field: str) -> tuple[float, str]:
        s = _num(record.get("score"))
        return (-s if s is not None else math.inf, _key(record.get(id_field)))

    ranked = (heapq.nsmallest(top_accounts, accounts, key=lambda a: rank_key(a, "account_id"))
              if top_accounts < len(accounts) else sorted(accounts, key=lambda a: rank_key(a, "account_id")))
    shown_ids = {id(a) for a in ranked}
    rest: Counter[str] = Counter()
    if len(ranked) < len(accounts):
        for a in accounts:
            if id(a) not in shown_ids:
                v = _verdict(a.get("verdict"))
                rest[v if isinstance(v, str) else "other"] += 1
    clusters = sorted(clusters, key=lambda c: rank_key(c, "cluster_id"))

    acct_anchors, cl_anchors = _Anchors("a"), _Anchors("c")
    a_anchor = [acct_anchors.add(_key(a.get("account_id")), i) for i, a in enumerate(ranked, start=1)]
    c_anchor = [cl_anchors.add(_key(c.get("cluster_id")), i) for i, c in enumerate(clusters, start=1)]

    # one time axis for every cluster timeline: the scan's time span, widened to every timeline point
    times = [t for t in map(_parse_time, _list(summary.get("time_span"))) if t is not None]
    has_timeline = False
    for c in clusters:
        pts, _ = _timeline_points(c)
        if pts:
            has_timeline = True
            times.extend((min(pts)[0], max(pts)[0]))
    release = _release(summary)
    if release is not None and has_timeline:
        times.append(release[0])
    marker = None if release is None else (release[0], f"new model {release[1]}")
    axis = _TimeAxis(min(times), max(times), marker) if has_timeline else None

    raw_thr = summary.get("thresholds") if isinstance(summary.get("thresholds"), dict) else {}
    thresholds = {k: f for k in ("review", "block") if (f := _num(raw_thr.get(k))) is not None}

    blob = {"summary": summary, "report": {"accounts_total": len(accounts), "accounts_shown": len(ranked),
                                            "clusters": len(clusters)}}
    title = "distillguard scan report"
    generated = summary.get("generated_at")
    if generated is not None:
        title += f" — {_fmt_time(generated)}"
    nav = "".join(f'<li><a href="#{i}">{t}</a></li>' for i, t in (
        ("summary", "Summary"), ("scores", "Scores"), ("clusters", f"Clusters ({len(clusters):,})"),
        ("accounts", f"Accounts ({len(accounts):,})"), ("atlas", "ATLAS")))
    body = "".join((
        _header(summary, len(accounts), len(clusters), verdicts),
        _histogram_section(scored, unscored, thresholds, lo, hi),
        _clusters_section(clusters, c_anchor, acct_anchors, {k: (v[0], v[1]) for k, v in stats.items()}, axis),
        _accounts_section(ranked, len(accounts), rest, a_anchor, cl_anchors, lo, hi),
        _atlas_section(accounts, clusters),
    ))
    footer = ("<footer>Written by distillguard from <code>accounts.jsonl</code> and <code>clusters.jsonl</code> "
              "in the same directory; every number and sentence above can be checked there. Scores are comparable "
              "within this scan only. MITRE ATLAS ids link to https://atlas.mitre.org.</footer>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="distillguard">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f'<nav aria-label="sections"><ul>{nav}</ul></nav><main>{body}{footer}</main>'
        f'<script type="application/json" id="distillguard-summary">{_json_for_script(blob)}</script>'
        f"<script>{_JS}</script></body></html>\n"
    )


def write_report(path: str | Path, summary: dict, accounts: list[dict], clusters: list[dict], **kw: Any) -> Path:
    """Render the report (keyword arguments go to :func:`render_report`) and write it to ``path``.

    The parent directory is created if missing; the file is written next to its destination and then
    moved into place, so a reader never sees half a report. Returns the path written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(summary, accounts, clusters, **kw)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target
