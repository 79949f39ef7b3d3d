"""The gateway acting on peers' indicators, end to end over real loopback HTTP: provider A publishes a real
bundle (``build_bundle`` from a scan's block verdicts) to a real hub, our ``intel pull`` code fetches it into
the local indicator store, and the gateway under uvicorn, in front of a local OpenAI-compatible upstream,
blocks the accounts whose payment fingerprint or API key A published and lets the others through. Nothing is
mocked; every server binds 127.0.0.1. The upstream and the gateway starter are test_gateway's."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from click.testing import CliRunner
from test_gateway import Gw, Served, UpstreamState, _start, start_cli_gateway, upstream_app

from distillguard.cli import main
from distillguard.enforce.gateway import key_id
from distillguard.enforce.policy import policy_from_dict
from distillguard.share.indicators import IndicatorStore
from distillguard.share.keyring import load_keyring
from distillguard.share.live import LiveIndicators
from distillguard.share.publish import build_bundle

SECRET = "5f" * 32
RING = f"keys:\n  - id: k2026-11\n    secret: {SECRET}\n    not_before: 2026-01-01T00:00:00Z\n"
KEYS = {"sk-mule": "acct_mule", "sk-clean": "acct_clean", "sk-late": "acct_late", "sk-reseller": "acct_reseller"}
ATTRIBUTES = [{"account_id": "acct_mule", "payment_fingerprint": "pf_stolen_card"},
              {"account_id": "acct_clean", "payment_fingerprint": "pf_honest_card"},
              {"account_id": "acct_late", "payment_fingerprint": "pf_stolen_card"}]


# -- provider A's bundle: a scan's block verdict, published through the real code -----------------------------


def _provider_a_bundle(tmp: Path) -> dict[str, Any]:
    """A's bundle: its harvesting cluster paid with pf_stolen_card and used the key sk-reseller (a key a
    reseller uses at several providers, logged by A's gateway as its keyed id, the same as ours)."""
    work = tmp / "provider-a"
    scan = work / "scan"
    scan.mkdir(parents=True)
    evidence = [{"signal": "cot_elicitation", "value": 0.81, "detail": "81% of prompts ask for step-by-step reasoning"}]
    accounts = ["a_evil_1", "a_evil_2", "a_evil_3"]
    (scan / "clusters.jsonl").write_text(json.dumps({
        "cluster_id": "c_1", "accounts": accounts, "score": 0.97, "verdict": "block", "evidence": evidence,
        "atlas": ["AML.T0024.002"]}) + "\n")
    _write_jsonl(scan / "accounts.jsonl", [
        *({"account_id": a, "score": 0.97, "verdict": "block", "cluster_id": "c_1", "evidence": evidence,
           "atlas": ["AML.T0024.002"]} for a in accounts),
        {"account_id": "a_benign", "score": 0.01, "verdict": "allow", "cluster_id": None, "evidence": [], "atlas": []}])
    lines = []
    for i in range(30):
        account = accounts[i % 3]
        lines.append({"request_id": f"r{i}", "timestamp": f"2026-11-02T10:00:{i:02d}.000Z", "account_id": account,
                      "api_key_id": key_id("sk-reseller") if account == "a_evil_1" else f"key_{account}",
                      "billing": {"payment_fingerprint": "pf_stolen_card"},
                      "request": {"messages": [{"role": "user", "content": f"Think step by step about item {i}"}]}})
    log = work / "traffic.jsonl"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    ring = work / "ring.yaml"
    ring.write_text(RING)
    bundle, stats = build_bundle(scan, [log], load_keyring(ring), publisher="provider-a", tlp="amber")
    assert stats.payment_digests == 1 and stats.key_digests == 3
    return bundle


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _lines(g: Gw) -> list[dict[str, Any]]:
    assert g.log is not None
    return [json.loads(line) for line in g.log.read_text().splitlines()]


def _line_of(g: Gw, reference: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while True:
        found = [x for x in _lines(g) if x["decision"]["reference"] == reference]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no traffic-log line for {reference}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[Served, UpstreamState]]:
    state = UpstreamState()
    served = Served(upstream_app(state))
    yield served, state
    served.stop()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _provider_a_bundle(tmp_path_factory.mktemp("publish"))


def _files(tmp: Path, bundle: dict[str, Any] | None) -> tuple[Path, Path, Path]:
    """Our indicator store (holding ``bundle``, or empty), key ring and account attributes."""
    store = tmp / "indicators.jsonl"
    store.touch()
    if bundle is not None:
        IndicatorStore(store).add(bundle["objects"])
    ring = tmp / "ring.yaml"
    ring.write_text(RING)
    attributes = tmp / "accounts.jsonl"
    _write_jsonl(attributes, ATTRIBUTES)
    return store, ring, attributes


def _gateway(upstream_url: str, tmp: Path, bundle: dict[str, Any] | None, policy: dict[str, Any] | None = None,
             **live: Any) -> tuple[Gw, LiveIndicators]:
    store, ring, attributes = _files(tmp, bundle)
    intel = LiveIndicators(store, ring, accounts=attributes, **live)
    g = _start(upstream_url, policy_from_dict(policy or {}), tmp, keys=KEYS, intel=intel)
    return g, intel


@pytest.fixture(scope="module")
def gw_intel(upstream: tuple[Served, UpstreamState], bundle: dict[str, Any],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gw]:
    g, _ = _gateway(upstream[0].url, tmp_path_factory.mktemp("intel"), bundle)
    yield g
    g.served.stop()


# -- block on a match, allow the rest --------------------------------------------------------------------------


def test_account_whose_payment_fingerprint_a_peer_published_is_blocked_with_its_evidence(
        gw_intel: Gw, upstream: tuple[Served, UpstreamState]) -> None:
    with pytest.raises(openai.PermissionDeniedError) as caught:
        gw_intel.client("sk-mule").chat.completions.create(
            model="m", messages=[{"role": "user", "content": "intel-mule-marker"}])
    err = caught.value
    assert err.status_code == 403 and err.code == "peer_indicator"
    assert "another provider published" in err.message
    assert upstream[1].bodies("intel-mule-marker") == [], "the upstream never saw it"
    line = _line_of(gw_intel, err.response.headers["x-distillguard-reference"])
    decision = line["decision"]
    assert line["account_id"] == "acct_mule" and line["status"] == 403
    assert decision["action"] == "block" and decision["code"] == "peer_indicator"
    assert decision["reasons"] == ["its payment fingerprint matches an indicator provider-a published"]
    [match] = decision["peer_indicators"]
    assert match["kind"] == "payment_fingerprint" and match["publisher"] == "provider-a"
    assert match["indicator_id"].startswith("indicator--") and 0 < match["weight"] <= 1
    assert "pf_stolen_card" not in json.dumps(line), "the raw fingerprint is matched, never logged"


def test_account_using_an_api_key_a_peer_published_is_blocked(gw_intel: Gw) -> None:
    r = httpx.post(gw_intel.url + "/v1/chat/completions", headers={"authorization": "Bearer sk-reseller"},
                   json={"model": "m", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 403 and r.json()["error"]["code"] == "peer_indicator"
    line = _line_of(gw_intel, r.headers["x-distillguard-reference"])
    assert [m["kind"] for m in line["decision"]["peer_indicators"]] == ["api_key"]
    assert line["decision"]["reasons"] == ["its api key matches an indicator provider-a published"]


def test_accounts_matching_no_indicator_are_served_and_log_no_peer_evidence(
        gw_intel: Gw, upstream: tuple[Served, UpstreamState]) -> None:
    raw = gw_intel.client("sk-clean").chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "user", "content": "intel-clean-marker"}])
    assert raw.parse().choices[0].message.content == "echo: intel-clean-marker"
    assert raw.headers["x-distillguard-action"] == "allow"
    assert len(upstream[1].bodies("intel-clean-marker")) == 1
    line = _line_of(gw_intel, raw.headers["x-distillguard-reference"])
    assert line["decision"]["action"] == "allow" and "peer_indicators" not in line["decision"]


# -- the policy's intel section decides what a match does ----------------------------------------------------


@pytest.mark.parametrize(("strong", "action", "status"), [("degrade", "degrade", 200), ("none", "allow", 200)])
def test_policy_intel_section_sets_the_action_and_the_match_is_logged_either_way(
        upstream: tuple[Served, UpstreamState], bundle: dict[str, Any], tmp_path: Path,
        strong: str, action: str, status: int) -> None:
    g, _ = _gateway(upstream[0].url, tmp_path, bundle, {"intel": {"strong": strong}})
    try:
        r = httpx.post(g.url + "/v1/chat/completions", headers={"authorization": "Bearer sk-mule"},
                       json={"model": "m", "max_tokens": 5000, "messages": [{"role": "user", "content": "x"}]})
        assert r.status_code == status and r.headers["x-distillguard-action"] == action
        line = _line_of(g, r.headers["x-distillguard-reference"])
        assert line["decision"]["code"] == ("peer_indicator" if strong != "none" else "")
        assert [m["kind"] for m in line["decision"]["peer_indicators"]] == ["payment_fingerprint"]
        if action == "degrade":
            assert line["decision"]["changes"], "the request was degraded"
    finally:
        g.served.stop()


# -- intel pull updates the store; the running gateway picks it up --------------------------------------------


def test_a_pull_into_the_store_takes_effect_without_a_restart(
        upstream: tuple[Served, UpstreamState], bundle: dict[str, Any], tmp_path: Path) -> None:
    from distillguard.share.hub.auth import new_key
    from distillguard.share.hub.config import MemberConfig, starter_config
    from distillguard.share.hub.server import serve_in_thread
    from distillguard.share.pull import pull, push

    g, intel = _gateway(upstream[0].url, tmp_path, None)  # an empty store: nothing pulled yet
    config = starter_config("test hub")
    keys = {}
    for name in ("provider-a", "us"):
        keys[name], record = new_key()
        config = config.with_member(MemberConfig(name=name, key=record, groups=frozenset({"consortium"})),
                                    read=["indicators"], write=["indicators"])
    collection = next(iter(config.collections.values()))
    try:
        client = g.client("sk-late")
        first = client.chat.completions.with_raw_response.create(model="m", messages=[{"role": "user", "content": "1"}])
        assert first.headers["x-distillguard-action"] == "allow"
        with serve_in_thread(config, str(tmp_path / "hub.db")) as hub:
            api_root = f"{hub.url}/{collection.api_root}/"
            push(api_root, collection.id, bundle["objects"], user="provider-a", password=keys["provider-a"])
            result = pull(IndicatorStore(tmp_path / "indicators.jsonl"), api_root, collection.id, user="us",
                          password=keys["us"])
        assert result.new == len(bundle["objects"])
        deadline = time.monotonic() + 10
        while intel.indicators == 0:  # the gateway's background thread re-reads the changed file
            assert time.monotonic() < deadline, f"the gateway never re-read the store ({intel.last_error})"
            time.sleep(0.05)
        with pytest.raises(openai.PermissionDeniedError) as caught:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "2"}])
        assert caught.value.code == "peer_indicator"
        # A new line in the account attributes is picked up the same way.
        _write_jsonl(tmp_path / "accounts.jsonl", [*ATTRIBUTES, {"account_id": "acct_clean",
                                                                 "payment_fingerprint": "pf_stolen_card"}])
        deadline = time.monotonic() + 10
        while not intel.matches("acct_clean", None):
            assert time.monotonic() < deadline, f"the gateway never re-read the attributes ({intel.last_error})"
            time.sleep(0.05)
        r = httpx.post(g.url + "/v1/chat/completions", headers={"authorization": "Bearer sk-clean"},
                       json={"model": "m", "messages": [{"role": "user", "content": "x"}]})
        assert r.status_code == 403 and r.json()["error"]["code"] == "peer_indicator"
    finally:
        g.served.stop()


# -- the CLI ------------------------------------------------------------------------------------------------


def test_cli_gateway_with_intel_blocks_the_matching_account(
        upstream: tuple[Served, UpstreamState], bundle: dict[str, Any], tmp_path: Path) -> None:
    store, ring, attributes = _files(tmp_path, bundle)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(KEYS))
    log_path = tmp_path / "traffic.jsonl"
    proc, url = start_cli_gateway("--upstream", upstream[0].url, "--keys", str(keys), "--log", str(log_path),
                                  "--intel", str(store), "--intel-keys", str(ring),
                                  "--account-attributes", str(attributes))
    try:
        payload = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
        with httpx.Client(base_url=url) as http:
            blocked = http.post("/v1/chat/completions", headers={"authorization": "Bearer sk-mule"}, json=payload)
            served = http.post("/v1/chat/completions", headers={"authorization": "Bearer sk-clean"}, json=payload)
        assert blocked.status_code == 403 and blocked.json()["error"]["code"] == "peer_indicator"
        assert served.status_code == 200 and served.headers["x-distillguard-action"] == "allow"
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=15)
    assert "peers' indicators from" in stderr.decode() and "2 payment-fingerprint and API-key" in stderr.decode()


def test_cli_gateway_intel_needs_its_key_ring(tmp_path: Path) -> None:
    store = tmp_path / "indicators.jsonl"
    store.touch()
    result = CliRunner().invoke(main, ["gateway", "--upstream", "http://127.0.0.1:9", "--intel", str(store)])
    assert result.exit_code == 2 and "--intel needs --intel-keys" in result.output
    ring = tmp_path / "ring.yaml"
    ring.write_text(RING)
    result = CliRunner().invoke(main, ["gateway", "--upstream", "http://127.0.0.1:9", "--intel-keys", str(ring)])
    assert result.exit_code == 2 and "go with --intel" in result.output
