"""The one entry point: ``distillguard <command>``.

Exit codes: 0 ok; 1 findings or failure (e.g. a log that cannot be read); 2 usage error.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from pathlib import Path

import click

from distillguard import __version__
from distillguard.errors import DistillguardError
from distillguard.events import ReadReport, read_events
from distillguard.events.parallel import prefer_system_allocator
from distillguard.events.summary import LogSummary
from distillguard.progress import bar
from distillguard.share.hub.cli import hub
from distillguard.sim.scenario import SCENARIOS

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="distillguard")
def main() -> None:
    """distillguard: detect, stop, share intelligence on and prove adversarial distillation.

    Every command has --help. Exit codes: 0 ok, 1 findings or failure, 2 usage error.
    """
    prefer_system_allocator()


def _peer_matches(store: Path | None, keys: Path | None, paths: list[Path], *, templates: bool) -> dict | None:
    """Our accounts matching peers' indicators (``--intel`` with ``--keys``), or None without ``--intel``."""
    if store is None:
        return None
    if keys is None:
        raise click.UsageError("--intel needs --keys")
    from distillguard.share.indicators import IndicatorStore, match_accounts
    from distillguard.share.keyring import load_keyring

    matches = match_accounts(IndicatorStore(store), paths, load_keyring(keys), templates=templates)
    click.echo(f"{len(matches):,} accounts match peers' indicators")
    return matches


def _total_size(paths: list[Path]) -> int:
    return sum(p.stat().st_size for p in paths if p.exists())


@main.command()
@click.argument("logs", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--show-bad", default=20, show_default=True, type=click.IntRange(min=0),
              help="How many bad lines to list before only counting them.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def validate(logs: tuple[Path, ...], show_bad: int, quiet: bool) -> None:
    """Check traffic logs against the log contract and summarise them.

    LOGS are JSON Lines files (optionally gzip'd) or Parquet files; the format is sniffed from the
    content. Prints lines, good and bad lines, accounts, time span, endpoints and models, and for bad
    lines the file, line number and reason. Exits 1 when a file cannot be read at all.
    """
    paths = list(logs)
    report = ReadReport()
    summary = LogSummary()
    with bar(_total_size(paths), "reading", unit="B", unit_scale=True, enabled=False if quiet else None) as pb:
        for batch in read_events(paths, report=report, progress=pb.update):
            summary.add(batch)
    echo = click.echo
    for f in report.files:
        state = f"ERROR {f.error}" if f.error else "ok"
        echo(f"{f.path}: {f.format}, {f.lines:,} lines, {f.good:,} good, {f.bad:,} bad, {state}")
    echo(f"lines        {report.lines:,}")
    echo(f"good lines   {report.good:,}")
    echo(f"bad lines    {report.bad:,}")
    echo(f"accounts     {len(summary.accounts):,}")
    if summary.first is not None and summary.last is not None:
        echo(f"time span    {summary.first.isoformat()} .. {summary.last.isoformat()} ({summary.last - summary.first})")
    else:
        echo("time span    (no events)")
    for title, counter in (("endpoints", summary.endpoints), ("models", summary.models)):
        echo(f"{title:<12} " + (", ".join(f"{k} {v:,}" for k, v in counter.most_common()) or "(none)"))
    bad = report.bad_lines
    if bad:
        echo("bad lines:")
        for b in bad[:show_bad]:
            echo(f"  {b}")
        if report.bad > show_bad:
            echo(f"  ... and {report.bad - min(show_bad, len(bad)):,} more")
    unreadable = report.unreadable
    for f in unreadable:
        reason = f.error or "no line is a valid log event"
        click.echo(f"error: cannot read {f.path}: {reason}", err=True)
    if unreadable:
        sys.exit(EXIT_FAILURE)


def run() -> None:
    """Entry point wrapper: turn distillguard errors into a message and exit code 1."""
    try:
        main(standalone_mode=True)
    except DistillguardError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILURE)


@main.command()
@click.argument("logs", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Directory for accounts.jsonl, clusters.jsonl, summary.json and report.html.")
@click.option("--review-threshold", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="Score from which an account or cluster is put up for review.")
@click.option("--block-threshold", default=0.9, show_default=True, type=click.FloatRange(0, 1),
              help="Score from which it is blocked.")
@click.option("--weights", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Scoring weights (JSON, as written by python -m distillguard.scoring.train). "
                   "Default: the weights shipped with distillguard.")
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=0), help="Rows in the terminal table.")
@click.option("--intel", "intel_store", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Peers' indicators (from `distillguard intel pull` / `intel import`): matching accounts get the "
                   "match as evidence and a score raised to the indicator's weight (payment or API key) or 0.6 x "
                   "weight (prompt templates). Needs --keys.")
@click.option("--keys", "keys", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The consortium key ring (with --intel).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def scan(logs: tuple[Path, ...], out: Path, review_threshold: float, block_threshold: float,
         weights: Path | None, top: int, intel_store: Path | None, keys: Path | None, quiet: bool) -> None:
    """Score every account and every cluster of coordinated accounts in traffic LOGS for extraction
    behaviour, with evidence and MITRE ATLAS techniques, and write OUT/accounts.jsonl,
    OUT/clusters.jsonl, OUT/summary.json and OUT/report.html. Exits 1 when an input could not be read
    at all (the outputs then cover the others)."""
    from distillguard.engines.local import Thresholds
    from distillguard.engines.local import scan as run_scan
    from distillguard.scoring.model import ScoringModel

    if review_threshold > block_threshold:
        raise click.BadParameter("must not exceed --block-threshold", param_hint="--review-threshold")
    paths = list(logs)
    matches = _peer_matches(intel_store, keys, paths, templates=True)
    with bar(_total_size(paths), "scanning", unit="B", unit_scale=True, enabled=False if quiet else None) as pb:
        summary = run_scan(paths, out, thresholds=Thresholds(review_threshold, block_threshold),
                           model=ScoringModel.load(weights), progress=pb.update, separate_reader=None,
                           peer_matches=matches)
    _print_scan(summary, out, top)
    if summary["unreadable_files"]:
        sys.exit(EXIT_FAILURE)


def _print_scan(summary: dict, out: Path, top: int) -> None:
    import json

    v = summary["verdicts"]
    click.echo(f"{summary['events']:,} requests from {summary['accounts']:,} accounts scanned in "
               f"{summary['seconds']:.1f}s ({summary['events_per_second']:,} requests/s); "
               f"{summary['bad_lines']:,} bad lines skipped")
    click.echo(f"verdicts: {v['block']:,} block, {v['review']:,} review, {v['allow']:,} allow; "
               f"{summary['clusters']:,} clusters of linked accounts")
    if top:
        rows = [json.loads(line) for _, line in zip(range(top), (out / "clusters.jsonl").open(), strict=False)]
        if rows:
            click.echo(f"{'cluster':<8} {'accounts':>8} {'requests':>9} {'score':>6} {'verdict':<7} evidence")
            for r in rows:
                lead = r["evidence"][0]["detail"] if r["evidence"] else ""
                click.echo(f"{r['cluster_id']:<8} {r['size']:>8,} {r['requests']:>9,} {r['score']:>6.3f} "
                           f"{r['verdict']:<7} {lead[:90]}")
        rows = [json.loads(line) for _, line in zip(range(top), (out / "accounts.jsonl").open(), strict=False)]
        click.echo(f"{'account':<16} {'requests':>9} {'score':>6} {'verdict':<7} {'cluster':<8} evidence")
        for r in rows:
            lead = r["evidence"][0]["detail"] if r["evidence"] else ""
            click.echo(f"{r['account_id']:<16} {r['requests']:>9,} {r['score']:>6.3f} {r['verdict']:<7} "
                       f"{(r['cluster_id'] or '-'):<8} {lead[:80]}")
    click.echo(f"report   {out / 'report.html'}")
    click.echo(f"accounts {out / 'accounts.jsonl'}")
    click.echo(f"clusters {out / 'clusters.jsonl'}")
    for path in summary["unreadable_files"]:
        click.echo(f"error: could not read {path}; the outputs cover the other inputs", err=True)


def _simulate_with_progress(out: Path, quiet: bool, **kwargs: object) -> object:
    from distillguard.sim import simulate

    with bar(None, "simulating", unit="ev", unit_scale=True, enabled=False if quiet else None) as pb:

        def on_total(total: int) -> None:
            pb.total = total
            pb.refresh()

        def progress(done: int) -> None:
            pb.update(done - pb.n)

        return simulate(out, progress=progress, on_total=on_total, **kwargs)  # type: ignore[arg-type]


@main.command()
@click.option("--accounts", default=2000, show_default=True, type=click.IntRange(min=1), help="Accounts in total.")
@click.option("--days", default=3.0, show_default=True, type=click.FloatRange(min=0, min_open=True, max=366),
              help="Days of traffic.")
@click.option("--seed", default=0, show_default=True, type=int, help="Same seed, same bytes.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Directory for traffic.jsonl.gz, labels.json and scenario.json (created if missing).")
@click.option("--corpora", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Directory of prompt corpora (*.jsonl.gz), e.g. ../shared/data/prompts. "
                   "Default: the small sample shipped with distillguard.")
@click.option("--scenario", default="default", show_default=True,
              type=click.Choice(list(SCENARIOS)), help="Which population to simulate.")
@click.option("--start", default="2026-11-02T00:00:00Z", show_default=True, help="RFC 3339 start time.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def simulate(accounts: int, days: float, seed: int, out: Path, corpora: Path | None, scenario: str, start: str,
             quiet: bool) -> None:
    """Write labelled synthetic API traffic: OUT/traffic.jsonl.gz (log contract, sorted by time) and
    OUT/labels.json (ground truth: attack or benign, campaign, behaviour per account)."""
    result = _simulate_with_progress(out, quiet, accounts=accounts, days=days, seed=seed, corpora=corpora,
                                     scenario=scenario, start=start)
    click.echo(f"{result.events:,} events from {result.accounts:,} accounts "  # type: ignore[attr-defined]
               f"({result.attack_accounts:,} attacking) in {result.seconds:.1f}s")  # type: ignore[attr-defined]
    click.echo(f"traffic  {result.traffic}")  # type: ignore[attr-defined]
    click.echo(f"labels   {result.labels}")  # type: ignore[attr-defined]


@main.command()
@click.option("--out", "out", default=Path("distillguard-demo"), show_default=True,
              type=click.Path(path_type=Path, file_okay=False), help="Working directory for the demo's files.")
@click.option("--accounts", default=2000, show_default=True, type=click.IntRange(min=50), help="Accounts in total.")
@click.option("--days", default=3.0, show_default=True, type=click.FloatRange(min=0.5, max=60), help="Days of traffic.")
@click.option("--seed", default=0, show_default=True, type=int, help="Simulation seed.")
@click.option("--corpora", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Prompt corpora directory (default: the shipped sample).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def demo(out: Path, accounts: int, days: float, seed: int, corpora: Path | None, quiet: bool) -> None:
    """The main job on the embedded default: simulate a labelled population (about 2,000 accounts over
    3 days, with hydra clusters and every single-account attack) into OUT, scan it, and print where the
    report is and the top findings, with how they compare to the simulation's ground truth. Needs no
    server and no network; opens nothing."""
    import json

    from distillguard.engines.local import scan as run_scan

    click.echo(f"[1/2] simulating {accounts:,} accounts over {days:g} days (seed {seed}) into {out}/")
    result = _simulate_with_progress(out, quiet, accounts=accounts, days=days, seed=seed, corpora=corpora)
    click.echo(f"      {result.events:,} events in {result.seconds:.1f}s")  # type: ignore[attr-defined]

    traffic = result.traffic  # type: ignore[attr-defined]
    scan_dir = out / "scan"
    click.echo(f"[2/2] scanning {traffic} into {scan_dir}/")
    with bar(traffic.stat().st_size, "scanning", unit="B", unit_scale=True, enabled=False if quiet else None) as pb:
        summary = run_scan([traffic], scan_dir, progress=pb.update, separate_reader=None)
    _print_scan(summary, scan_dir, 5)
    truth = json.loads(result.labels.read_text())  # type: ignore[attr-defined]
    flagged = [json.loads(line) for line in (scan_dir / "accounts.jsonl").open()]
    flagged = [r for r in flagged if r["verdict"] != "allow"]
    attackers = {a for a, t in truth.items() if t["label"] == "attack"}
    caught = sum(1 for r in flagged if r["account_id"] in attackers)
    click.echo(f"ground truth (labels.json, never read by the scan): {len(attackers):,} attacking accounts; "
               f"{caught:,} of them flagged; {len(flagged) - caught:,} benign accounts flagged")
    click.echo(f"ground truth  {result.labels}")  # type: ignore[attr-defined]


def _names(value: str | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(v.strip() for v in value.split(",") if v.strip())


@main.command()
@click.option("--out", "out", default=Path("distillguard-bench"), show_default=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Directory for bench.json, roc.html and the simulated logs (reused by later runs).")
@click.option("--size", default="small", show_default=True, type=click.Choice(["small", "medium", "large"]),
              help="small: 400 accounts x 1 day per log (seconds); medium: 2,000 x 3 days; "
                   "large: 7,500 x 3 days (over 1M events on the default scenario).")
@click.option("--scenarios", help="Comma-separated scenarios (default: every benchmark scenario).")
@click.option("--detectors", help="Comma-separated detectors (default: all).")
@click.option("--seed", "seeds", multiple=True, type=int,
              help="Held-out seed (repeatable; default 201). distillguard was never fitted on these.")
@click.option("--tuning-seed", "tuning_seeds", multiple=True, type=int,
              help="Tuning seed, reported apart (repeatable; default 101, a seed the weights were fitted on).")
@click.option("--no-tuning", is_flag=True, help="Skip the tuning seeds.")
@click.option("--corpora", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Prompt corpora directory for the simulated logs (default: the shipped sample).")
@click.option("--accounts", type=click.IntRange(min=50), help="Override the size's accounts per log.")
@click.option("--days", type=click.FloatRange(min=0.25, max=60), help="Override the size's days per log.")
@click.option("--no-enforcement", is_flag=True,
              help="Skip replaying each log through the gateway's decision path.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines.")
def bench(out: Path, size: str, scenarios: str | None, detectors: str | None, seeds: tuple[int, ...],
          tuning_seeds: tuple[int, ...], no_tuning: bool, corpora: Path | None, accounts: int | None,
          days: float | None, no_enforcement: bool, quiet: bool) -> None:
    """DistillBench: run every detector (distillguard's scan and the published baselines) on every
    benchmark scenario, fitted on benign reference traffic and never shown a label, and print account
    AUROC, average precision, TPR at FPR 1% and 0.1%, campaign recall and purity, the worst benign
    behaviour's false-positive rate and events/s. Writes OUT/bench.json (every figure, the exact
    configuration) and OUT/roc.html (ROC curves)."""
    from distillguard.bench.runner import BenchConfig, format_enforcement, format_table, run_bench
    from distillguard.errors import ConfigError

    defaults = BenchConfig()
    config = BenchConfig(
        size=size,
        scenarios=_names(scenarios) or defaults.scenarios,
        detectors=_names(detectors) or defaults.detectors,
        seeds=seeds or defaults.seeds,
        tuning_seeds=() if no_tuning else (tuning_seeds or defaults.tuning_seeds),
        corpora=str(corpora) if corpora else None,
        accounts=accounts,
        days=days,
        enforcement=not no_enforcement,
    )
    try:
        config.validate()
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    shape = config.shape()
    runs = len(config.scenarios) * (len(config.seeds) + len(config.tuning_seeds))
    click.echo(f"DistillBench: {len(config.scenarios)} scenarios x {len(config.detectors)} detectors, "
               f"{runs} logs of {shape.accounts:,} accounts x {shape.days:g} days, into {out}/")

    def step(message: str) -> None:
        if not quiet:
            click.echo(f"  {message}", err=True)

    result = run_bench(config, out, on_step=step)
    click.echo(format_table(result.rows))
    if result.enforcement:
        click.echo(format_enforcement(result.enforcement))
    click.echo(f"{len(result.rows)} runs in {result.seconds:.0f}s")
    click.echo(f"figures  {out / 'bench.json'}")
    click.echo(f"ROC      {out / 'roc.html'}")


@main.command()
@click.argument("logs", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Directory for decisions.jsonl and replay_summary.json.")
@click.option("--policy", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Enforcement policy (YAML; see docs/enforce.md). Default: the built-in policy.")
@click.option("--weights", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Scoring weights (JSON). Default: the weights shipped with distillguard.")
@click.option("--intel", "intel_store", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Peers' indicators (a store written by `distillguard intel pull` or `intel import`); "
                   "accounts whose payment fingerprint or API key matches one are acted on per the policy's intel "
                   "section. Needs --keys.")
@click.option("--keys", "keys", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The consortium key ring (with --intel).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def replay(logs: tuple[Path, ...], out: Path, policy: Path | None, weights: Path | None, intel_store: Path | None,
           keys: Path | None, quiet: bool) -> None:
    """Drive the gateway's decision path over recorded traffic LOGS in time order, as if live, and write
    OUT/decisions.jsonl: one line per request with its action (allow, throttle, degrade, block), score
    and reasons. A decision only ever depends on requests with an earlier timestamp."""
    from distillguard.enforce.policy import load_policy
    from distillguard.enforce.replay import DECISIONS_FILE
    from distillguard.enforce.replay import replay as run_replay
    from distillguard.scoring.model import ScoringModel

    paths = list(logs)
    matches = _peer_matches(intel_store, keys, paths, templates=False)
    with bar(_total_size(paths), "reading", unit="B", unit_scale=True, enabled=False if quiet else None) as pb:
        summary = run_replay(paths, out, policy=load_policy(policy), model=ScoringModel.load(weights),
                             progress=pb.update, peer_matches=matches)
    a = summary.actions
    click.echo(f"{summary.requests:,} requests from {summary.accounts:,} accounts replayed in {summary.seconds:.1f}s "
               f"({summary.refreshes:,} window refreshes); {summary.bad_lines:,} bad lines skipped")
    click.echo(f"actions: {a['allow']:,} allow, {a['throttle']:,} throttle, {a['degrade']:,} degrade, "
               f"{a['block']:,} block")
    click.echo(f"decisions {out / DECISIONS_FILE}")
    for path in summary.unreadable_files:
        click.echo(f"error: could not read {path}; the decisions cover the other inputs", err=True)
    if summary.unreadable_files:
        sys.exit(EXIT_FAILURE)


def _live_intel(store: Path | None, keys: Path | None, accounts: Path | None) -> object:
    """The gateway's live view of peers' indicators (``--intel``), or None."""
    if store is None:
        if keys is not None or accounts is not None:
            raise click.UsageError("--intel-keys and --account-attributes go with --intel")
        return None
    if keys is None:
        raise click.UsageError("--intel needs --intel-keys (the consortium key ring)")
    from distillguard.share.live import LiveIndicators

    try:
        return LiveIndicators(store, keys, accounts=accounts)
    except (DistillguardError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc


def _forensics_key(path: Path | None) -> object:
    if path is None:
        return None
    from distillguard.forensics.keys import MasterKey

    return MasterKey.load(path)


@main.command()
@click.option("--upstream", required=True,
              help="Root URL of the OpenAI-compatible API to protect, e.g. http://127.0.0.1:8000 "
                   "(a trailing /v1 is dropped: request paths carry it).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Only this address is bound; give 0.0.0.0 to listen on every interface.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--policy", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Enforcement policy (YAML; see docs/gateway.md). Default: the built-in policy.")
@click.option("--keys", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="API key -> account map (JSON or YAML {key: account_id}). Default: each key is its own account.")
@click.option("--account-header", metavar="NAME",
              help="Take the account id from this request header (set by an auth layer in front) instead of "
                   "from the API key.")
@click.option("--unknown-key", default="reject", show_default=True, type=click.Choice(["reject", "account"]),
              help="With --keys, a key not in the map: reject (401) or treat the key (hashed) as the account.")
@click.option("--key-secret", envvar="DISTILLGUARD_KEY_SECRET", default="", show_default=False,
              help="Secret for the keyed hash logged as api_key_id (env DISTILLGUARD_KEY_SECRET). Raw keys are "
                   "never logged.")
@click.option("--log", "log_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Traffic log to append to (contract §1 JSON Lines, with each decision). Default: none.")
@click.option("--redis", "redis_url", metavar="URL",
              help="Keep rate state in Redis (shared by several gateway replicas), e.g. redis://127.0.0.1:6379/0.")
@click.option("--weights", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Scoring weights (JSON). Default: the weights shipped with distillguard.")
@click.option("--max-body-bytes", default=8 * 1024 * 1024, show_default=True, type=click.IntRange(min=1),
              help="Largest request body accepted on the decided endpoints (larger: 413).")
@click.option("--connect-timeout", default=5.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Seconds to connect to the upstream (then 502).")
@click.option("--read-timeout", default=600.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Longest wait in seconds for the upstream's next bytes (then 504, or an in-band error event "
                   "once a stream has started).")
@click.option("--forensics-key", "forensics_key", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="File with the forensics master key (hex): degraded answers to suspect accounts then carry one of "
                   "the account's canaries, and the key id is logged beside them (see docs/forensics.md).")
@click.option("--intel", "intel_store", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Peers' indicators (the store `distillguard intel pull` writes): a request whose API key, or "
                   "whose account's payment fingerprint (--account-attributes), matches one is acted on per the "
                   "policy's intel section (reason code peer_indicator). Re-read when the file changes. Needs "
                   "--intel-keys.")
@click.option("--intel-keys", "intel_keys", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The consortium key ring (with --intel; --keys is the gateway's API key map). Re-read when it "
                   "changes.")
@click.option("--account-attributes", "account_attributes",
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="With --intel: JSON lines {\"account_id\": ..., \"payment_fingerprint\": ...} (e.g. a billing "
                   "export), so accounts are matched on their payment fingerprints too. Re-read when it changes.")
def gateway(upstream: str, host: str, port: int, policy: Path | None, keys: Path | None, account_header: str | None,
            unknown_key: str, key_secret: str, log_path: Path | None, redis_url: str | None, weights: Path | None,
            max_body_bytes: int, connect_timeout: float, read_timeout: float, forensics_key: Path | None,
            intel_store: Path | None, intel_keys: Path | None, account_attributes: Path | None) -> None:
    """Serve a reverse proxy in front of an OpenAI-compatible API that decides every request to
    /v1/chat/completions, /v1/completions and /v1/responses (allow, throttle, degrade or block) from the
    scan's signals, scores and clusters, and passes every other path through. Appends each request and
    its decision to the traffic log and serves Prometheus metrics at /metrics. Runs until interrupted."""
    import uvicorn

    from distillguard.enforce import state
    from distillguard.enforce.decider import Decider
    from distillguard.enforce.gateway import Gateway, GatewayConfig, Timeouts, load_keys
    from distillguard.enforce.policy import load_policy
    from distillguard.errors import ConfigError
    from distillguard.scoring.model import ScoringModel

    if keys is not None and account_header:
        raise click.UsageError("give --keys or --account-header, not both")
    loaded = load_policy(policy)
    rate = None
    if redis_url:
        redis_rate = getattr(state, "RedisRate", None)
        if redis_rate is None:
            raise click.UsageError("--redis needs distillguard.enforce.state.RedisRate, which this installation lacks")
        rate = redis_rate(redis_url, loaded.rate_limit)
    key_map = load_keys(keys) if keys else None
    intel = _live_intel(intel_store, intel_keys, account_attributes)
    try:
        config = GatewayConfig(upstream=upstream, keys=key_map,
                               account_header=account_header, unknown_key=unknown_key,  # type: ignore[arg-type]
                               key_secret=key_secret.encode(), log_path=log_path, max_body_bytes=max_body_bytes,
                               timeouts=Timeouts(connect=connect_timeout, read=read_timeout),
                               forensics_key=_forensics_key(forensics_key),
                               intel=intel)  # type: ignore[arg-type]
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    decider = Decider(loaded, model=ScoringModel.load(weights), rate=rate)
    app = Gateway(config, decider).app
    identity = (f"keys from {keys}" if keys else f"account from header {account_header}" if account_header
                else "each API key is an account")
    click.echo(f"distillguard gateway on http://{host}:{port} -> {upstream} ({loaded.mode} mode; {identity}; "
               f"rate state {'redis' if rate is not None else 'in memory'}; log {log_path or 'off'})", err=True)
    if intel is not None:
        click.echo(f"peers' indicators from {intel_store}: {intel.indicators} payment-fingerprint and "  # type: ignore[attr-defined]
                   f"API-key indicators in force; re-read when the file changes", err=True)
    # The background refresh computes signals and re-scores the window in a thread; a short GIL switch
    # interval hands the event loop back within 0.5 ms instead of 5 ms, which keeps it out of p99 latency.
    sys.setswitchinterval(0.0005)
    # Garbage collection made the rest of the p99 tail (docs/gateway.md "Latency"): full passes walk every object
    # the gateway holds. What is loaded by now lives as long as the process, so it is frozen out of the passes,
    # and young collections run a tenth as often.
    gc.freeze()
    gc.set_threshold(7_000, 10, 10)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, server_header=False,
                date_header=False, timeout_graceful_shutdown=30)


@main.group()
def intel() -> None:
    """Threat intelligence shared between providers: publish scan findings as STIX 2.1 through the
    privacy tiers and the sharing policy (see docs/intel.md)."""


def _hub_tls_options(command: Callable[..., object]) -> Callable[..., object]:
    """--cert, --cert-key and --ca: how a command reaches a hub over HTTPS, with a client certificate (mTLS)."""
    file = click.Path(path_type=Path, dir_okay=False, exists=True)
    options = [
        click.option("--cert", "tls_cert", type=file, envvar="DISTILLGUARD_HUB_CERT",
                     help="Our client certificate (PEM), for a hub that asks for one (mTLS; env "
                          "DISTILLGUARD_HUB_CERT)."),
        click.option("--cert-key", "tls_key", type=file, envvar="DISTILLGUARD_HUB_CERT_KEY",
                     help="The client certificate's private key (PEM), if not in --cert (env "
                          "DISTILLGUARD_HUB_CERT_KEY)."),
        click.option("--ca", "tls_ca", type=file, envvar="DISTILLGUARD_HUB_CA",
                     help="CA certificates (PEM) that signed the hub's certificate (env DISTILLGUARD_HUB_CA; "
                          "default: the system's)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _client_tls(cert: Path | None, key: Path | None, ca: Path | None) -> object:
    """The share.pull.ClientTLS for --cert / --cert-key / --ca, or None when none is given."""
    if cert is None and key is None and ca is None:
        return None
    from distillguard.share.pull import ClientTLS

    return ClientTLS(cert=cert, key=key, ca=ca)


@intel.command()
@click.argument("logs", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--scan", "scan_dir", required=True, type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="A `distillguard scan` output directory (its block verdicts are published).")
@click.option("--keys", "keys", required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The consortium key ring (YAML: keys with id, secret, not_before).")
@click.option("--publisher", required=True, help="The name this provider publishes under.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the bundle (JSON).")
@click.option("--tlp", default="amber", show_default=True,
              type=click.Choice(["clear", "green", "amber", "amber+strict", "red"]), help="TLP 2.0 marking.")
@click.option("--min-accounts", default=3, show_default=True, type=click.IntRange(min=2),
              help="Publish a prompt template's band digests only if this many distinct accounts used it.")
@click.option("--include-review", is_flag=True, help="Also publish findings with a review verdict.")
@click.option("--policy", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Sharing policy (YAML allowlist). Default: threat data only.")
@click.option("--hub", help="TAXII 2.1 API root URL to POST the bundle to (e.g. http://127.0.0.1:9500/api1/).")
@click.option("--collection", help="Collection id on the hub (with --hub).")
@click.option("--user", help="Hub user (with --hub); the key is read from $DISTILLGUARD_HUB_KEY.")
@_hub_tls_options
def publish(logs: tuple[Path, ...], scan_dir: Path, keys: Path, publisher: str, out: Path, tlp: str,
            min_accounts: int, include_review: bool, policy: Path | None, hub: str | None, collection: str | None,
            user: str | None, tls_cert: Path | None, tls_key: Path | None, tls_ca: Path | None) -> None:
    """Turn the block verdicts of a scan (SCAN) of traffic LOGS into one STIX 2.1 bundle: campaigns,
    ATLAS attack patterns, ASN infrastructure in the clear, payment and API-key fingerprints as keyed
    digests, prompt templates as keyed MinHash band digests. The bundle must pass the sharing policy
    (the offending path is named otherwise) before it is written or sent."""
    import json

    from distillguard.share.keyring import load_keyring
    from distillguard.share.publish import build_bundle
    from distillguard.share.sharing_policy import load_sharing_policy

    if hub and not collection:
        raise click.UsageError("--hub needs --collection")
    verdicts = ("block", "review") if include_review else ("block",)
    bundle, stats = build_bundle(scan_dir, list(logs), load_keyring(keys), publisher=publisher, tlp=tlp,
                                 min_accounts=min_accounts, verdicts=verdicts, policy=load_sharing_policy(policy))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(bundle, indent=1) + "\n")
    click.echo(f"{stats.campaigns} campaigns ({stats.accounts} accounts): {stats.indicators} indicators "
               f"({stats.payment_digests} payment digests, {stats.key_digests} API-key digests, {stats.asns} ASNs, "
               f"{stats.template_bands} template bands; {stats.templates_withheld} templates withheld, seen in "
               f"fewer than {min_accounts} accounts); {stats.objects} objects passed the sharing policy")
    click.echo(f"bundle   {out}")
    if hub:
        status = _push(hub, collection, bundle, user, _client_tls(tls_cert, tls_key, tls_ca))
        click.echo(f"hub      {status.get('success_count', '?')} accepted, {status.get('failure_count', '?')} "
                   f"failed (status {status.get('id', '?')})")


def _push(hub: str, collection: str | None, bundle: dict, user: str | None, tls: object = None) -> dict:
    """POST a bundle's objects to a hub collection (the key from $DISTILLGUARD_HUB_KEY); errors exit 1."""
    import os

    from distillguard.share.pull import HubError, push

    try:
        return push(hub, collection or "", bundle["objects"], user=user,
                    password=os.environ.get("DISTILLGUARD_HUB_KEY", ""), tls=tls)  # type: ignore[arg-type]
    except (HubError, DistillguardError) as exc:
        raise click.ClickException(str(exc)) from exc


@intel.command("import")
@click.argument("bundles", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--store", "store", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The local indicator store (JSON lines), created if missing.")
def intel_import(bundles: tuple[Path, ...], store: Path) -> None:
    """Add the objects of STIX bundle files (e.g. received out of band) to the local indicator store."""
    import json

    from distillguard.share.indicators import IndicatorStore

    target = IndicatorStore(store)
    for path in bundles:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"{path}: not a JSON bundle: {exc}") from exc
        objects = data.get("objects") if isinstance(data, dict) else None
        if not isinstance(objects, list):
            raise click.ClickException(f"{path}: not a STIX bundle (no objects list)")
        new = target.add(objects)
        click.echo(f"{path}: {len(objects)} objects, {new} new or newer")


@intel.command()
@click.option("--hub", required=True, help="TAXII 2.1 API root URL (e.g. http://127.0.0.1:9500/api1/).")
@click.option("--collection", required=True, help="Collection id.")
@click.option("--user", help="Hub user; the key is read from $DISTILLGUARD_HUB_KEY.")
@click.option("--store", "store", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The local indicator store (JSON lines), created if missing.")
@_hub_tls_options
def pull(hub: str, collection: str, user: str | None, store: Path, tls_cert: Path | None, tls_key: Path | None,
         tls_ca: Path | None) -> None:
    """Fetch what peers published since the last pull (added_after the hub's last X-TAXII-Date-Added-Last)
    into the local indicator store. A running gateway with --intel re-reads the store once it changes."""
    import os

    from distillguard.share.indicators import IndicatorStore
    from distillguard.share.pull import pull as run_pull

    try:
        result = run_pull(IndicatorStore(store), hub, collection, user=user,
                          password=os.environ.get("DISTILLGUARD_HUB_KEY", ""),
                          tls=_client_tls(tls_cert, tls_key, tls_ca))  # type: ignore[arg-type]
    except DistillguardError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{result.objects} objects in {result.pages} pages, {result.new} new or newer; "
               f"position {result.added_last or '-'}")


@intel.command()
@click.argument("logs", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--store", "store", required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The local indicator store.")
@click.option("--keys", "keys", required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The consortium key ring.")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the matches as JSON lines (account, indicator, kind, publisher, weight, detail).")
def match(logs: tuple[Path, ...], store: Path, keys: Path, out: Path | None) -> None:
    """List the accounts of traffic LOGS that match peers' indicators: payment fingerprints and API keys
    (keyed digests) and prompt templates (keyed MinHash bands)."""
    import json
    from dataclasses import asdict

    from distillguard.share.indicators import IndicatorStore, match_accounts
    from distillguard.share.keyring import load_keyring

    matches = match_accounts(IndicatorStore(store), list(logs), load_keyring(keys))
    rows = [asdict(m) for ms in matches.values() for m in ms]
    click.echo(f"{len(matches):,} accounts match peers' indicators ({len(rows):,} matches)")
    for row in rows[:20]:
        click.echo(f"  {row['account_id']:<16} {row['kind']:<20} {row['weight']:.2f}  {row['detail']}")
    if out is not None:
        out.write_text("".join(json.dumps(r) + "\n" for r in rows))
        click.echo(f"matches  {out}")


main.add_command(hub)


@intel.command()
@click.argument("indicator_id")
@click.option("--publisher", required=True, help="The name this provider publishes under.")
@click.option("--count", default=1, show_default=True, type=click.IntRange(min=0),
              help="How many times we saw it (0: send only the opinion).")
@click.option("--first-seen", help="RFC 3339 time of the first sighting (default: now).")
@click.option("--last-seen", help="RFC 3339 time of the last sighting (default: now).")
@click.option("--opinion", type=click.Choice(["strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"]),
              help="Feedback on the indicator: disagree / strongly-disagree report a false positive.")
@click.option("--explanation", default="", help="A short reason for the opinion (no customer data).")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the bundle (JSON).")
@click.option("--hub", help="TAXII 2.1 API root URL to POST it to.")
@click.option("--collection", help="Collection id on the hub (with --hub).")
@click.option("--user", help="Hub user; the key is read from $DISTILLGUARD_HUB_KEY.")
@_hub_tls_options
def sight(indicator_id: str, publisher: str, count: int, first_seen: str | None, last_seen: str | None,
          opinion: str | None, explanation: str, out: Path, hub: str | None, collection: str | None,
          user: str | None, tls_cert: Path | None, tls_key: Path | None, tls_ca: Path | None) -> None:
    """Report that we see a peer's indicator too (a STIX sighting, which refreshes its decay for every
    member) and/or give feedback on it (an opinion: disagree for a false positive)."""
    import json

    from distillguard.share.publish import EXTENSION_ID
    from distillguard.share.sharing_policy import SharingPolicy, check_bundle
    from distillguard.share.sight import sighting_bundle

    bundle = sighting_bundle(indicator_id, publisher=publisher, count=count, first_seen=first_seen,
                             last_seen=last_seen, opinion=opinion, explanation=explanation)
    check_bundle(bundle, SharingPolicy(extension_id=EXTENSION_ID))
    out.write_text(json.dumps(bundle, indent=1) + "\n")
    click.echo(f"bundle   {out} ({', '.join(o['type'] for o in bundle['objects'][2:])})")
    if hub:
        if not collection:
            raise click.UsageError("--hub needs --collection")
        status = _push(hub, collection, bundle, user, _client_tls(tls_cert, tls_key, tls_ca))
        click.echo(f"hub      accepted ({status.get('success_count', '?')} objects)")


def _extra_items(path: Path | None) -> list[str]:
    """Lines ``kind:value`` (e.g. ``email:someone@example.com``) from a file, normalised."""
    from distillguard.share.psi import normalise

    if path is None:
        return []
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            kind, sep, value = line.strip().partition(":")
            if not sep or not value:
                raise click.ClickException(f"{path}:{n}: expected kind:value, e.g. email:someone@example.com")
            items.append(normalise(kind, value))
    return items


@intel.command("psi-serve")
@click.argument("logs", nargs=-1, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--scan", "scan_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Serve the client addresses of this scan's blocked accounts (read from LOGS).")
@click.option("--items", "items_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="More identifiers to serve, one kind:value per line (e.g. email:someone@example.com).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=9600, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--max-client-items", default=100_000, show_default=True, type=click.IntRange(min=1),
              help="Largest set a peer may test in one request (a cap against enumeration).")
def psi_serve(logs: tuple[Path, ...], scan_dir: Path | None, items_file: Path | None, host: str, port: int,
              max_client_items: int) -> None:
    """Answer private set intersection requests against the emails and IP addresses of accounts we
    blocked: a peer learns which of ITS identifiers we hold, we learn only how many it asked about."""
    import json

    import uvicorn

    from distillguard.share.psi import PsiServer, account_addresses

    items = _extra_items(items_file)
    if scan_dir is not None:
        if not logs:
            raise click.UsageError("--scan needs the LOGS the scan read")
        blocked = {json.loads(line)["account_id"] for line in (scan_dir / "accounts.jsonl").open()
                   if json.loads(line)["verdict"] == "block"}
        items += list(account_addresses([str(p) for p in logs], blocked))
    if not items:
        raise click.UsageError("nothing to serve: give --scan with LOGS, or --items")
    click.echo(f"serving a PSI set of {len(set(items)):,} identifiers on http://{host}:{port}/psi/v1")
    uvicorn.run(PsiServer(items, max_client_items=max_client_items).app, host=host, port=port, log_level="warning")


@intel.command("psi-match")
@click.argument("logs", nargs=-1, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--peer", required=True, help="The peer's PSI server (e.g. http://127.0.0.1:9600).")
@click.option("--items", "items_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="More identifiers to test, one kind:value per line.")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the matches as JSON lines (item, accounts).")
def psi_match(logs: tuple[Path, ...], peer: str, items_file: Path | None, out: Path | None) -> None:
    """Ask a peer which of our accounts' client IP addresses (from LOGS) and identifiers (--items) it
    holds among its blocked accounts, by private set intersection. The peer's token, if it needs one,
    is read from $DISTILLGUARD_PSI_TOKEN."""
    import json
    import os

    from distillguard.share.psi import account_addresses
    from distillguard.share.psi import psi_match as run_match

    owners = account_addresses([str(p) for p in logs]) if logs else {}
    items = list(owners) + _extra_items(items_file)
    if not items:
        raise click.UsageError("nothing to test: give LOGS or --items")
    found = run_match(peer, items, token=os.environ.get("DISTILLGUARD_PSI_TOKEN"))
    accounts = sorted({a for item in found for a in owners.get(item, ())})
    click.echo(f"{len(found):,} of our {len(set(items)):,} identifiers are held by the peer; "
               f"{len(accounts):,} of our accounts used them")
    if out is not None:
        out.write_text("".join(json.dumps({"item": i, "accounts": sorted(owners.get(i, ()))}) + "\n" for i in found))
        click.echo(f"matches  {out}")


@main.command("consortium-demo")
@click.option("--out", "out", default=Path("distillguard-consortium"), show_default=True,
              type=click.Path(path_type=Path, file_okay=False), help="Working directory for the three providers.")
@click.option("--accounts", default=300, show_default=True, type=click.IntRange(min=80),
              help="Accounts per provider.")
@click.option("--days", default=2.0, show_default=True, type=click.FloatRange(min=0.5, max=30),
              help="Days of traffic per provider.")
@click.option("--no-hub", is_flag=True, help="Pass the bundle as a file instead of through a hub on loopback.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines.")
def consortium_demo(out: Path, accounts: int, days: float, no_hub: bool, quiet: bool) -> None:
    """Three simulated providers; one hydra campaign hits all three, starting at the first. Replays each
    provider's traffic through the gateway's decision path with and without the first provider's
    published indicators, and prints the campaign's requests served before it was blocked at each, and
    whether any raw prompt, email, IP address, account id or payment fingerprint left the first provider."""
    from distillguard.share.consortium import run_demo, run_demo_with_hub

    def say(message: str) -> None:
        if not quiet:
            click.echo(f"  {message}", err=True)

    runner = run_demo if no_hub else run_demo_with_hub
    result = runner(out, accounts=accounts, days=days, say=say)
    click.echo(f"{'provider':<9} {'campaign accounts':>17} {'served alone':>13} {'served shared':>14} "
               f"{'sooner':>7} {'benign blocked (alone/shared)':>30}")
    for p in result.providers:
        click.echo(f"{p.provider:<9} {p.campaign_accounts:>17} {p.served_alone:>13,} {p.served_shared:>14,} "
                   f"{p.speedup:>6.1f}x {p.benign_blocked_alone:>14,} / {p.benign_blocked_shared:<,}")
    click.echo("served: the campaign's requests answered (allowed or degraded) before each of its accounts was "
               "first blocked; A publishes, so its two columns are the same")
    click.echo(f"published: {result.bundle_objects} STIX objects, {result.bundle_bytes:,} bytes via "
               f"{result.transport}; raw identifiers found in them: {', '.join(result.leaks) or 'none'}")
    click.echo(f"details  {out / 'consortium.json'}")
    if result.leaks:
        sys.exit(EXIT_FAILURE)


@main.group()
def prove() -> None:
    """Prove a suspect model learned from our outputs: radioactivity tests on our watermarks, per-account
    canaries, identity probes and response similarity (supporting evidence), and the numpy experiment that
    shows them work (see docs/forensics.md)."""


_MASTER_KEY_HELP = "File with the forensics master key (hex). Default: $DISTILLGUARD_FORENSICS_KEY."


def _master_key(path: Path | None) -> object:
    from distillguard.forensics.keys import MasterKey

    try:
        return MasterKey.load(path)
    except DistillguardError as exc:
        raise click.UsageError(str(exc)) from exc


@prove.command("radioactivity")
@click.option("--suspect", required=True,
              help="An n-gram model file (.npz, as `prove experiment --out` writes) or an OpenAI-compatible "
                   "endpoint on loopback, e.g. http://127.0.0.1:8000/v1 (closed-model test only).")
@click.option("--texts", "texts_path", required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Served texts (JSONL: account_id, epoch, key_id, spec, prompt_ids, response_ids).")
@click.option("--master-key-file", type=click.Path(path_type=Path, dir_okay=False, exists=True), help=_MASTER_KEY_HELP)
@click.option("--mode", default="both", show_default=True, type=click.Choice(["open", "closed", "both"]),
              help="open: read our texts through the suspect; closed: prompt it and score its output.")
@click.option("--account", "accounts", multiple=True, help="Test only this account (repeatable). Default: every one.")
@click.option("--decoys", default=100, show_default=True, type=click.IntRange(min=0),
              help="Decoy keys per real key, for the rank p-value.")
@click.option("--prompts", default=200, show_default=True, type=click.IntRange(min=1),
              help="Closed test: the account's served prompts sent to the suspect, at most.")
@click.option("--max-new-tokens", default=100, show_default=True, type=click.IntRange(min=1),
              help="Closed test: tokens generated per prompt.")
@click.option("--reference", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A reference n-gram model known not to be trained on our outputs: its p-value is the control.")
@click.option("--tokenizer", default="ids", show_default=True,
              help="Endpoint only: 'ids' (texts are space-separated token ids) or a local transformers "
                   "tokenizer directory (our serving tokenizer).")
@click.option("--model", "model_name", default="", help="Endpoint only: the model name sent in requests.")
@click.option("--alpha", default=0.01, show_default=True, type=click.FloatRange(0, 1, min_open=True),
              help="Family-wise error over the accounts tested (Holm).")
@click.option("--seed", default=0, show_default=True, type=int, help="Sampling seed for the closed test.")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the evidence records (JSON) here.")
def prove_radioactivity(suspect: str, texts_path: Path, master_key_file: Path | None, mode: str,
                        accounts: tuple[str, ...], decoys: int, prompts: int, max_new_tokens: int,
                        reference: Path | None, tokenizer: str, model_name: str, alpha: float, seed: int,
                        out: Path | None) -> None:
    """Test whether SUSPECT learned from the watermarked texts we served, one test per account: the
    open-model test (top-1 predictions on our texts) and the closed-model test (its generations), each
    with deduplication, prompt tokens left out and decoy keys. Prints and writes evidence records; an
    account is named when its p-value survives the correction for the number of accounts."""
    import json

    from distillguard.forensics import commands
    from distillguard.forensics.sim import NGramStudent

    if commands.is_endpoint(suspect) and mode != "closed":
        raise click.UsageError("an endpoint suspect supports only --mode closed")
    master = _master_key(master_key_file)
    model = commands.load_suspect(suspect, tokenizer=tokenizer, model=model_name)
    proof = commands.prove_radioactivity(
        model, commands.read_served(texts_path), master, suspect_name=suspect, mode=mode,  # type: ignore[arg-type]
        decoys=decoys, prompts=prompts, max_new_tokens=max_new_tokens, accounts=accounts,
        reference=NGramStudent.load(reference) if reference else None, alpha=alpha, seed=seed)
    click.echo(commands.format_proof(proof))
    if out:
        out.write_text(json.dumps(proof.as_dict(), indent=1))
        click.echo(f"evidence {out}")


@prove.command("canaries")
@click.option("--suspect",
              help="An n-gram model file (.npz) or an OpenAI-compatible endpoint on loopback. Without it, print "
                   "the accounts' canaries (JSONL) for planting.")
@click.option("--accounts", "accounts_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Accounts to test: one id a line, or a served-texts JSONL file.")
@click.option("--account", "accounts", multiple=True, help="An account to test (repeatable).")
@click.option("--epoch", "epochs", multiple=True, required=True, help="Key epoch the canaries were planted in "
              "(repeatable), e.g. 2026-W45.")
@click.option("--count", default=3, show_default=True, type=click.IntRange(min=1),
              help="Canaries planted per account and epoch.")
@click.option("--master-key-file", type=click.Path(path_type=Path, dir_okay=False, exists=True), help=_MASTER_KEY_HELP)
@click.option("--mode", default="likelihood", show_default=True, type=click.Choice(["likelihood", "generate"]),
              help="likelihood: rank each secret among all candidates (exposure); generate: ask the trigger "
                   "questions and look for the secret in the answers (endpoint only).")
@click.option("--model", "model_name", default="", help="Endpoint only: the model name sent in requests.")
@click.option("--alpha", default=0.01, show_default=True, type=click.FloatRange(0, 1, min_open=True),
              help="Family-wise error over the accounts tested (Holm).")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the evidence records (JSON) here.")
def prove_canaries(suspect: str | None, accounts_file: Path | None, accounts: tuple[str, ...], epochs: tuple[str, ...],
                   count: int, master_key_file: Path | None, mode: str, model_name: str, alpha: float,
                   out: Path | None) -> None:
    """Query SUSPECT for every account's canaries (derived from the master key, the account and the
    epoch) and report exposure per canary and a p-value per account; name the accounts whose canaries
    the suspect learned, corrected for the number of accounts."""
    import json

    from distillguard.forensics import commands

    names = list(dict.fromkeys([*(commands.read_accounts(accounts_file) if accounts_file else []), *accounts]))
    if not names:
        raise click.UsageError("give --accounts FILE or --account ID")
    master = _master_key(master_key_file)
    canaries = commands.account_canaries(master, names, epochs, count)  # type: ignore[arg-type]
    if suspect is None:
        for items in canaries.values():
            for c in items:
                click.echo(json.dumps(c.as_dict()))
        return
    if mode == "generate" and not commands.is_endpoint(suspect):
        raise click.UsageError("--mode generate needs an endpoint suspect")
    model = commands.load_suspect(suspect, model=model_name)
    proof = commands.prove_canaries(model, canaries, suspect_name=suspect, mode=mode, alpha=alpha)
    click.echo(commands.format_proof(proof))
    if out:
        out.write_text(json.dumps(proof.as_dict(), indent=1))
        click.echo(f"evidence {out}")


_MODEL_HELP = ("an OpenAI-compatible endpoint on loopback, URL or URL#model (e.g. http://127.0.0.1:8000/v1#qwen), "
               "or an n-gram model file (.npz; prompts and answers are token ids)")


@prove.command("identity")
@click.option("--suspect", required=True, help=f"The model to probe: {_MODEL_HELP}.")
@click.option("--name", "names", multiple=True, required=True,
              help="Our model or organisation name, as answers would spell it (repeatable), e.g. --name Aurora.")
@click.option("--other", "others", multiple=True,
              help="Another model or organisation name to count (repeatable). Default: a built-in list "
                   "(GPT, Claude, Gemini, Llama, Qwen, DeepSeek, ...), less ours.")
@click.option("--control", "controls", multiple=True,
              help="A model known not to be trained on our outputs, probed the same way (repeatable): the "
                   "p-value compares the suspect's rate with theirs.")
@click.option("--probes", "probes_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Questions to ask instead of the built-in ones (one a line).")
@click.option("--api", default="chat", show_default=True, type=click.Choice(["chat", "completions"]),
              help="Endpoint API: /chat/completions or /completions.")
@click.option("--max-tokens", default=256, show_default=True, type=click.IntRange(min=1),
              help="Tokens per answer.")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the evidence record and every answer (JSON) here.")
def prove_identity(suspect: str, names: tuple[str, ...], others: tuple[str, ...], controls: tuple[str, ...],
                   probes_file: Path | None, api: str, max_tokens: int, out: Path | None) -> None:
    """Ask SUSPECT who it is, in several languages (22 questions), and count the answers that name our
    model or organisation against those that name another. Supporting evidence only: a model distilled
    from our answers often repeats our model's self-description."""
    from distillguard.forensics import probes

    questions = ([("file", q) for q in probes.read_prompts(probes_file)] if probes_file
                 else list(probes.IDENTITY_PROBES))
    model = probes.load_model(suspect, api=api, max_tokens=max_tokens)
    result = probes.identity_probes(model, names, other_names=others or probes.OTHER_NAMES,
                                    controls=probes.load_models(controls, api=api, max_tokens=max_tokens),
                                    probes=questions)
    click.echo(probes.format_supporting(result))
    if out:
        result.write(out)
        click.echo(f"evidence {out}")


@prove.command("similarity")
@click.option("--suspect", required=True, help=f"The model to examine: {_MODEL_HELP}.")
@click.option("--ours", required=True, help=f"Our model: {_MODEL_HELP}.")
@click.option("--reference", "references", multiple=True, required=True,
              help="Another model, not ours, to compare with (repeatable; two or more make the test centred).")
@click.option("--control", help="A model known not to be trained on our outputs: the same test on it gives the "
                                "control p-value.")
@click.option("--prompts", "prompts_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Prompts, one a line, instead of the built-in 30.")
@click.option("--unit", default="char", show_default=True, type=click.Choice(["char", "word"]),
              help="Compare character or word n-grams.")
@click.option("--ngram", default=4, show_default=True, type=click.IntRange(min=1), help="n of the n-grams.")
@click.option("--permutations", default=10_000, show_default=True, type=click.IntRange(min=1),
              help="Permutations for the p-value (its floor is 1 / (N + 1)).")
@click.option("--seed", default=0, show_default=True, type=int, help="Permutation seed.")
@click.option("--api", default="chat", show_default=True, type=click.Choice(["chat", "completions"]),
              help="Endpoint API: /chat/completions or /completions.")
@click.option("--max-tokens", default=256, show_default=True, type=click.IntRange(min=1),
              help="Tokens per answer.")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the evidence record and per-prompt similarities (JSON) here.")
def prove_similarity(suspect: str, ours: str, references: tuple[str, ...], control: str | None,
                     prompts_file: Path | None, unit: str, ngram: int, permutations: int, seed: int, api: str,
                     max_tokens: int, out: Path | None) -> None:
    """Send the same prompts to SUSPECT, to our model and to the references; score the suspect's answers
    against each model's (n-gram cosine), and test whether it is closer to ours than to every reference
    beyond chance (a permutation test). Supporting evidence only."""
    from distillguard.forensics import probes

    prompts = probes.read_prompts(prompts_file) if prompts_file else list(probes.SIMILARITY_PROMPTS)
    models = probes.load_models((suspect, ours, *references, *((control,) if control else ())), api=api,
                                max_tokens=max_tokens)
    result = probes.response_similarity(models[0], models[1], models[2: 2 + len(references)], prompts=prompts,
                                        control=models[-1] if control else None, unit=unit, n=ngram,
                                        permutations=permutations, seed=seed)
    click.echo(probes.format_supporting(result))
    if out:
        result.write(out)
        click.echo(f"evidence {out}")


@prove.command("experiment")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the teacher, keys and data.")
@click.option("--arms", default="sweep,controls,text,accounts,attacks,probes", show_default=True,
              help="Comma-separated arms: sweep, controls, text, accounts, attacks, probes.")
@click.option("--texts", default=2000, show_default=True, type=click.IntRange(min=100),
              help="Training texts per student (200 tokens each).")
@click.option("--decoys", default=100, show_default=True, type=click.IntRange(min=0), help="Decoy keys per test.")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False),
              help="Write experiment.json and files to run `prove radioactivity` and `prove canaries` on.")
def prove_experiment(seed: int, arms: str, texts: int, decoys: int, out: Path | None) -> None:
    """The runnable demo: a seeded Markov teacher serves watermarked text, n-gram students train on a
    watermarked share of 0-100%, and both radioactivity tests run on each (with decoy keys); then the
    control, text-level, per-account (50 accounts, 3 harvest), attack and response-similarity arms. numpy
    only; seconds."""
    from distillguard.forensics.experiment import ARMS, ExperimentConfig, format_result, run_experiment

    chosen = _names(arms) or ARMS
    unknown = [a for a in chosen if a not in ARMS]
    if unknown:
        raise click.BadParameter(f"unknown arm(s) {', '.join(unknown)}; arms: {', '.join(ARMS)}", param_hint="--arms")
    result = run_experiment(ExperimentConfig(seed=seed, corpus_texts=texts, decoys=decoys), chosen, artifacts=out)
    click.echo(format_result(result))
    if out:
        accounts = ", accounts-served.jsonl, accounts-suspect.npz, accounts.txt" if "accounts" in chosen else ""
        probes = ", ours.npz, reference-1.npz, reference-2.npz, independent.npz, probe-prompts.txt" \
            if "probes" in chosen else ""
        click.echo(f"files    {out}/ (experiment.json, master.key, served.jsonl, suspect.npz, reference.npz"
                   f"{accounts}{probes})")
