"""The scan report (``report.html``): real renders, parsed back, checked as a reader and an attacker would."""

from __future__ import annotations

import json
import random
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from distillguard.report import render_report, write_report
from distillguard.scoring.atlas import TECHNIQUES, technique_name

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "nav", "main", "header", "footer", "section", "h1", "h2", "h3",
    "h4", "p", "div", "span", "ul", "ol", "li", "dl", "dt", "dd", "a", "b", "code", "table", "thead", "tbody", "tr",
    "th", "td", "details", "summary", "label", "input", "select", "option", "button", "script",
    "svg", "g", "text", "line", "rect", "path",
}


class Page(HTMLParser):
    """Parses a whole page: checks nesting, collects tags, attributes, ids, hrefs, scripts and visible text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text_parts: list[str] = []
        self._script: dict[str, str | None] | None = None
        self._script_text: list[str] = []
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed at end: {self.stack}")
        self.text = re.sub(r"\s+", " ", "".join(self.text_parts))  # what a reader sees, spacing normalised

    def _record(self, tag: str, attrs: list[tuple[str, str | None]]) -> dict[str, str | None]:
        d = dict(attrs)
        self.tags.append((tag, d))
        if d.get("id") is not None:
            self.ids.append(d["id"] or "")
        if tag == "a":
            self.hrefs.append(d.get("href") or "")
        return d

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = self._record(tag, attrs)
        if tag in VOID:
            return
        self.stack.append(tag)
        if tag == "script":
            self._script, self._script_text = d, []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._record(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._script_text)))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_text.append(data)
        elif "style" not in self.stack:
            self.text_parts.append(data)


def _ev(signal: str, value: Any, detail: str, contribution: float | None = None) -> dict[str, Any]:
    ev: dict[str, Any] = {"signal": signal, "value": value, "detail": detail}
    if contribution is not None:
        ev["contribution"] = contribution
    return ev


def make_scan(n_accounts: int = 300, n_clusters: int = 3, seed: int = 7) -> tuple[dict, list[dict], list[dict]]:
    """A plausible scan: mostly benign accounts, a few clusters of high scorers, shuffled order."""
    rng = random.Random(seed)
    clusters: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    cluster_ids = [f"c_{k}" for k in range(n_clusters)]
    members: dict[str, list[str]] = {c: [] for c in cluster_ids}
    for i in range(n_accounts):
        cid = cluster_ids[i % n_clusters] if cluster_ids and i % 10 == 0 else None
        score = rng.uniform(0.6, 0.99) if cid else rng.betavariate(1.2, 9)
        verdict = "block" if score >= 0.85 else "review" if score >= 0.5 else "allow"
        p = rng.random()
        account = {
            "account_id": f"acct_{i:06d}", "score": round(score, 6), "verdict": verdict, "cluster_id": cid,
            "requests": rng.randint(1, 3000),
            "evidence": [_ev("cot_elicitation", round(p, 3), f"acct_{i:06d}: {p:.0%} of prompts ask for reasoning",
                             round(p * score, 3))],
            "atlas": ["AML.T0040", "AML.T0024.002"] if score >= 0.5 else [],
            "first_seen": "2026-11-02T03:00:00Z", "last_seen": "2026-11-02T09:30:00Z",
            "signals": {"cot_elicitation": round(p, 3), "template_reuse": 0.1},
        }
        if cid:
            members[cid].append(account["account_id"])
            account["atlas"].append("AML.T0021")
        accounts.append(account)
    for k, cid in enumerate(cluster_ids):
        timeline = [[f"2026-11-02T{h:02d}:00:00Z", 100 * (h + 1) + k] for h in range(4 + k % 8, 20)]
        clusters.append({
            "cluster_id": cid, "accounts": members[cid], "score": round(0.99 - k / 1000, 4),
            "verdict": "block", "size": len(members[cid]), "requests": sum(n for _, n in timeline),
            "first_seen": timeline[0][0], "last_seen": timeline[-1][0],
            "evidence": [_ev("synchronised_timing", 0.9, f"cluster {cid}: members send within the same 2 s windows"),
                         _ev("shared_payment", 2, f"cluster {cid}: 2 payment fingerprints shared by every member")],
            "links": [{"kind": "payment_fingerprint", "detail": f"cluster {cid}: pf_{k} used by all", "weight": 0.9}],
            "atlas": ["AML.T0040", "AML.T0021", "AML.T0008.005"],
            "timeline": timeline,
        })
    rng.shuffle(accounts)
    rng.shuffle(clusters)
    verdicts = {v: sum(a["verdict"] == v for a in accounts) for v in ("block", "review", "allow")}
    summary = {
        "generated_at": "2026-11-03T10:00:00Z", "inputs": ["logs/a.jsonl.gz"], "events": 123456, "bad_lines": 4,
        "accounts": len(accounts), "clusters": len(clusters), "verdicts": verdicts,
        "time_span": ["2026-11-02T00:00:00Z", "2026-11-02T23:59:59Z"], "thresholds": {"review": 0.5, "block": 0.85},
        "seconds": 12.5, "version": "0.1.0", "top_findings": ["cluster c_0 harvests reasoning traces"],
    }
    return summary, accounts, clusters


def _ranked(accounts: list[dict]) -> list[dict]:
    return sorted(accounts, key=lambda a: -a["score"])


def _account_rows(page: Page) -> list[str]:
    return [d["id"] or "" for tag, d in page.tags if tag == "tr" and (d.get("id") or "").startswith("a")]


def test_page_is_well_formed_and_self_contained() -> None:
    page = Page(render_report(*make_scan()))
    assert page.errors == []
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        assert tag != "link", "no <link>: styles are inline"
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
    for href in page.hrefs:
        assert href.startswith("#") or href.startswith("https://atlas.mitre.org/techniques/AML."), href
    style = render_report(*make_scan()).split("<style>", 1)[1].split("</style>", 1)[0]
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    assert len(page.ids) == len(set(page.ids)), "element ids are unique"
    missing = {h[1:] for h in page.hrefs if h.startswith("#")} - set(page.ids)
    assert missing == set(), "every in-page link has a target"
    kinds = sorted(attrs.get("type") or "" for attrs, _ in page.scripts)
    assert kinds == ["", "application/json"]


def test_header_shows_summary_counts_and_top_findings() -> None:
    summary, accounts, clusters = make_scan()
    page = Page(render_report(summary, accounts, clusters))
    for text in ("123,456", "events", f"{len(accounts):,}", "bad lines", "logs/a.jsonl.gz", "12.5 s",
                 "review ≥ 0.5", "block ≥ 0.85", "2026-11-02 00:00 UTC", "cluster c_0 harvests reasoning traces",
                 f"{summary['verdicts']['block']:,}", "0.1.0"):
        assert text in page.text, text


def test_hostile_strings_are_escaped_everywhere() -> None:
    xss = '<script>alert("x")</script>'
    attr = "\"'><img src=x onerror=alert(1)>"
    close = "</script><script>alert(2)</script>"
    summary = {
        "generated_at": xss, "inputs": [xss, attr, close], "version": attr, "time_span": [xss, close],
        "top_findings": [xss, attr, close], "thresholds": {"review": 0.5, "block": close}, "seconds": "fast",
        "verdicts": {"block": xss},
    }
    accounts = [
        {"account_id": xss, "score": 0.99, "verdict": attr, "cluster_id": attr, "requests": close,
         "evidence": [_ev(xss, close, attr, 0.5), _ev(attr, {"k": xss}, xss)], "atlas": ["javascript:alert(1)", xss],
         "first_seen": xss, "last_seen": attr, "signals": {xss: attr}},
        {"account_id": attr, "score": 0.98, "verdict": "block", "cluster_id": close, "requests": 3,
         "evidence": [_ev("ok", 1, close)], "atlas": ["AML.T0040"]},
        {"account_id": close, "score": xss, "verdict": ["not", "a", "string"], "cluster_id": None},
    ]
    clusters = [
        {"cluster_id": attr, "accounts": [xss, attr, close], "score": 0.9, "verdict": xss, "requests": xss,
         "evidence": [_ev(close, xss, attr)], "atlas": [attr, "AML.T0021"],
         "links": [{"kind": xss, "detail": close, "weight": attr}],
         "timeline": [[xss, 5], ["2026-11-02T01:00:00Z", close], ["2026-11-02T02:00:00Z", 7]],
         "first_seen": close, "last_seen": xss},
    ]
    out = render_report(summary, accounts, clusters)
    for raw in (xss, attr, close, "<img", "<script>alert"):
        assert raw not in out, raw
    page = Page(out)
    assert page.errors == []
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    for href in page.hrefs:
        assert href.startswith("#") or href.startswith("https://atlas.mitre.org/techniques/AML."), href
    assert len(page.scripts) == 2
    blob = next(text for attrs, text in page.scripts if attrs.get("type") == "application/json")
    assert "</" not in blob and "<" not in blob
    assert json.loads(blob)["summary"] == summary
    # shown verbatim, as text, so a person can check them
    for raw in (xss, attr, close):
        assert raw in page.text, raw


def test_every_cluster_appears_ranked_with_evidence_links_atlas_and_timeline() -> None:
    summary, accounts, clusters = make_scan(n_clusters=4)
    out = render_report(summary, accounts, clusters)
    page = Page(out)
    cards = [d["id"] for tag, d in page.tags if tag == "details" and "cluster" in (d.get("class") or "")]
    by_score = sorted(clusters, key=lambda c: -c["score"])
    assert cards == [f"c-{c['cluster_id']}" for c in by_score]
    for c in clusters:
        for ev in c["evidence"]:
            assert ev["detail"] in page.text
        for link in c["links"]:
            assert link["detail"] in page.text
        assert f"{c['size']:,} accounts" in page.text
        assert f"{c['requests']:,} requests" in page.text
    for tid in ("AML.T0040", "AML.T0021", "AML.T0008.005"):
        assert technique_name(tid) in page.text
    assert out.count('class="chart timeline"') == len(clusters)
    assert "Nov 02 06:00" in page.text and "Requests per hour" in page.text


def test_top_accounts_are_ranked_with_evidence_and_the_rest_are_counted() -> None:
    summary, accounts, clusters = make_scan(n_accounts=300)
    page = Page(render_report(summary, accounts, clusters, top_accounts=50))
    ranked = _ranked(accounts)
    rows = _account_rows(page)
    assert rows == [f"a-{a['account_id']}" for a in ranked[:50]]
    for a in ranked[:50]:
        assert a["evidence"][0]["detail"] in page.text
    assert ranked[50]["evidence"][0]["detail"] not in page.text
    assert "Showing the top 50 of 300 accounts by score" in page.text
    assert "The other 250" in page.text and "accounts.jsonl" in page.text


def test_account_rows_link_to_their_cluster_and_clusters_to_their_members() -> None:
    summary, accounts, clusters = make_scan(n_accounts=100)
    out = render_report(summary, accounts, clusters)
    clustered = next(a for a in _ranked(accounts) if a["cluster_id"])
    row = out.split(f'id="a-{clustered["account_id"]}"', 1)[1].split("</tr>", 1)[0]
    assert f'href="#c-{clustered["cluster_id"]}"' in row
    card = out.split(f'id="c-{clustered["cluster_id"]}"', 1)[1].split("</details>", 1)[0]
    assert f'href="#a-{clustered["account_id"]}"' in card


def test_all_accounts_shown_when_fewer_than_the_limit() -> None:
    page = Page(render_report(*make_scan(n_accounts=40)))
    assert len(_account_rows(page)) == 40
    assert "All 40 accounts are shown" in page.text


def test_atlas_section_names_every_cited_technique_with_counts() -> None:
    summary, accounts, clusters = make_scan(n_accounts=200)
    accounts[0]["atlas"] = [*accounts[0]["atlas"], "AML.T9999"]
    out = render_report(summary, accounts, clusters, top_accounts=10)
    section = out.split('<section id="atlas">', 1)[1].split("</section>", 1)[0]
    page = Page(f"<div>{section}</div>")
    cited = {t for a in accounts for t in a["atlas"]} | {t for c in clusters for t in c["atlas"]}
    for tid in cited:
        assert tid in page.text
        if tid in TECHNIQUES:
            assert technique_name(tid) in page.text
            assert f'href="https://atlas.mitre.org/techniques/{tid}"' in section
    assert "not in distillguard's ATLAS table" in page.text
    n_extract = sum("AML.T0024.002" in a["atlas"] for a in accounts)
    row = section.split("AML.T0024.002</a>", 1)[1].split("</tr>", 1)[0]
    assert f'<td class="num">{n_extract:,}</td>' in row, "counts cover all accounts, not only those shown"
    assert "AML.T0005.001" not in section, "techniques nobody cites are not listed"


def test_histogram_covers_every_account_with_thresholds_and_log_counts() -> None:
    summary, accounts, clusters = make_scan(n_accounts=500)
    out = render_report(summary, accounts, clusters, top_accounts=5)
    hist = out.split('<section id="scores">', 1)[1].split("</section>", 1)[0]
    page = Page(hist)
    assert "review ≥ 0.5" in page.text and "block ≥ 0.85" in page.text
    assert "accounts (log)" in page.text and "100" in page.text
    titles = [t for t in page.text_parts if t.startswith("score ")]
    assert sum(int(t.split(": ", 1)[1].split(" accounts", 1)[0].replace(",", "")) for t in titles) == 500


def test_empty_scan_renders_a_page_that_says_so() -> None:
    for summary in ({}, {"events": 0, "accounts": 0, "clusters": 0}):
        out = render_report(summary, [], [])
        page = Page(out)
        assert page.errors == []
        assert "No accounts in this scan." in page.text
        assert "No clusters of coordinated accounts were found" in page.text
        assert "No accounts with a score" in page.text
        assert "No ATLAS techniques are cited" in page.text
        assert out.startswith("<!DOCTYPE html>")


def test_missing_optional_keys_and_odd_values_still_render() -> None:
    accounts = [
        {"account_id": "only-id"},
        {"account_id": 42, "score": None, "verdict": None, "cluster_id": "ghost", "evidence": "not a list"},
        {"account_id": "nan", "score": float("nan"), "verdict": "review", "evidence": [{"signal": "x"}, "junk"]},
        {"account_id": "big", "score": 7.5, "verdict": "block", "evidence": [_ev("volume", 1234567.891, "lots")]},
        "not a dict",
    ]
    clusters = [{"cluster_id": "bare"}, {"cluster_id": None, "accounts": None, "timeline": [["bad", 1], [1, 2, 3]]}]
    page = Page(render_report({"thresholds": "nope", "time_span": "x"}, accounts, clusters))  # type: ignore[list-item]
    assert page.errors == []
    rows = _account_rows(page)
    assert rows[0] == "a-big", "the highest score ranks first, even above 1"
    assert "1,234,567.9" in page.text
    assert "No timeline in clusters.jsonl" in page.text
    assert "ghost" in page.text, "a cluster id without a cluster record is shown unlinked"


def test_write_report_writes_the_page_and_returns_its_path(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    written = write_report(str(target), *make_scan(n_accounts=20), top_accounts=5)
    assert written == target and target.is_file()
    assert "Showing the top 5 of 20 accounts" in Page(target.read_text(encoding="utf-8")).text
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_negative_top_accounts_is_refused() -> None:
    with pytest.raises(ValueError, match="top_accounts"):
        render_report({}, [], [], top_accounts=-1)


def test_renders_a_hundred_thousand_accounts_and_five_hundred_clusters() -> None:
    summary, accounts, clusters = make_scan(n_accounts=100_000, n_clusters=500)
    out = render_report(summary, accounts, clusters)
    assert len(out) < 20_000_000
    page = Page(out)
    assert page.errors == []
    assert len(_account_rows(page)) == 500
    assert "The other 99,500" in page.text
    assert out.count('class="chart timeline"') == 500


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_screenshot_renders_in_a_headless_browser(tmp_path: Path) -> None:
    page = write_report(tmp_path / "report.html", *make_scan(n_accounts=400))
    png = tmp_path / "report.png"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=1280,1600",
         page.as_uri()],
        check=False, capture_output=True, timeout=120,
    )
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000, "a blank page compresses to almost nothing"



def test_the_report_package_exports_exactly_the_two_functions() -> None:
    import distillguard.report

    assert sorted(distillguard.report.__all__) == ["render_report", "write_report"]


def test_optional_scan_extras_are_shown_when_present() -> None:
    summary, accounts, clusters = make_scan(n_accounts=60)
    summary["new_model"] = {"model": "frontier-3", "first_seen": "2026-11-02T12:00:00Z"}
    summary["unreadable_files"] = ["logs/broken.parquet"]
    top = _ranked(accounts)[0]
    top["own_score"] = 0.123
    for c in clusters:
        c["links"][0]["pairs"] = 17
    out = render_report(summary, accounts, clusters)
    page = Page(out)
    assert "new model frontier-3" in page.text, "the release is marked on the cluster timelines"
    assert out.count('class="marker"') == len(clusters)
    assert "logs/broken.parquet" in page.text and "unreadable files" in page.text
    row = out.split(f'id="a-{top["account_id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "own 0.123" in row
    assert "pairs" in page.text and ">17<" in out
