"""The hub over HTTPS with client certificates (mTLS), on real loopback ports: a member registered with a
certificate gets in only with that certificate and its key; a wrong certificate, none, or one from another CA is
refused; a key-only member still gets in with its key. Our own client (push, pull, ``distillguard intel pull``)
and taxii2-client present client certificates. The PKI (a CA, the hub's certificate, members' certificates) is
made here with the ``cryptography`` package."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from taxii2client.v21 import Server

from distillguard.cli import main
from distillguard.share.hub.audit import read_audit
from distillguard.share.hub.auth import new_key
from distillguard.share.hub.certs import cert_fingerprint, normalise_fingerprint, read_cert_fingerprint
from distillguard.share.hub.config import HubConfig
from distillguard.share.hub.server import RunningHub, free_port, serve_in_thread
from distillguard.share.hub.tls import ServerTLS
from distillguard.share.indicators import IndicatorStore
from distillguard.share.pull import ClientTLS, HubError, pull, push

COLLECTION = "2b7c0c55-5a0e-4d53-8f61-6e0a5f3c4d21"
MEDIA = "application/taxii+json;version=2.1"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"

# -- a small PKI ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path

    @property
    def fingerprint(self) -> str:
        return read_cert_fingerprint(self.cert)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Issued:
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return Issued(cert_path, key_path)


def _ca(directory: Path, common: str) -> tuple[Issued, x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(_name(common))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return _write(directory, common, cert, key), cert, key


def _leaf(directory: Path, common: str, ca: tuple[Issued, x509.Certificate, ec.EllipticCurvePrivateKey], *,
          server: bool) -> Issued:
    _, ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server
                                                     else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return _write(directory, common, builder.sign(ca_key, hashes.SHA256()), key)


@dataclass(frozen=True)
class Pki:
    ca: Issued  # signs the hub's certificate and members' certificates
    hub: Issued
    alice: Issued
    mallory: Issued  # signed by the same CA, registered to nobody
    rogue: Issued  # signed by another CA


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca = _ca(d, "consortium-ca")
    other = _ca(d, "other-ca")
    return Pki(ca=ca[0], hub=_leaf(d, "hub", ca, server=True), alice=_leaf(d, "alice", ca, server=False),
               mallory=_leaf(d, "mallory", ca, server=False), rogue=_leaf(d, "rogue", other, server=False))


# -- the hub -----------------------------------------------------------------------------------------------


def _config(pki: Pki) -> tuple[HubConfig, dict[str, str]]:
    keys: dict[str, str] = {}
    members = {}
    for name, certs in (("alice", [pki.alice.fingerprint]), ("bob", [])):
        keys[name], record = new_key()
        members[name] = {"groups": ["labs"], "read": ["*"], "write": ["*"], "key_id": record.key_id,
                         "key_salt": record.key_salt, "key_hash": record.key_hash}
        if certs:
            members[name]["client_cert_sha256"] = certs
    config = HubConfig.from_dict({
        "title": "mTLS hub", "rate_limit": {"requests_per_second": 1000, "burst": 1000},
        "api_roots": {"intel": {"title": "intel", "collections": {"indicators": {"id": COLLECTION,
                                                                                 "title": "Indicators"}}}},
        "groups": {"labs": ""}, "members": members}, source="test")
    return config, keys


@pytest.fixture(scope="module")
def hub(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningHub, dict[str, str]]]:
    config, keys = _config(pki)
    tls = ServerTLS(certfile=pki.hub.cert, keyfile=pki.hub.key, client_ca=pki.ca.cert)
    with serve_in_thread(config, str(tmp_path_factory.mktemp("hub") / "hub.db"), tls=tls) as running:
        yield running, keys


def _client(pki: Pki, member: str, keys: dict[str, str], cert: Issued | None) -> httpx.Client:
    return httpx.Client(auth=(member, keys[member]), headers={"Accept": MEDIA},
                        verify=ClientTLS(cert=cert.cert if cert else None, key=cert.key if cert else None,
                                         ca=pki.ca.cert).context(), timeout=10)


def _get(hub: tuple[RunningHub, dict[str, str]], pki: Pki, member: str, cert: Issued | None,
         path: str = "/taxii2/") -> httpx.Response:
    running, keys = hub
    with _client(pki, member, keys, cert) as client:
        return client.get(running.url + path)


def _indicator(n: int) -> dict[str, object]:
    stamp = "2026-11-02T10:00:00.000Z"
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": stamp, "modified": stamp, "name": f"proxy network {n}",
            "indicator_types": ["malicious-activity"],
            "pattern": f"[autonomous-system:number = {64500 + n}]", "pattern_type": "stix", "valid_from": stamp,
            "object_marking_refs": [GREEN]}


# -- who gets in ---------------------------------------------------------------------------------------------


def test_member_with_its_registered_certificate_and_key_gets_in(hub: tuple[RunningHub, dict[str, str]],
                                                                pki: Pki) -> None:
    r = _get(hub, pki, "alice", pki.alice)
    assert r.status_code == 200 and r.json()["title"] == "mTLS hub"
    assert r.url.scheme == "https"


def test_member_without_its_certificate_or_with_another_is_refused(hub: tuple[RunningHub, dict[str, str]],
                                                                   pki: Pki) -> None:
    for cert in (None, pki.mallory):
        r = _get(hub, pki, "alice", cert)
        assert r.status_code == 401, cert
        assert "registered client certificate" in r.json()["description"]
    running, _ = hub
    rows = [row for row in read_audit(running.store) if row["status"] == 401]
    assert {row["detail"].get("client_cert") for row in rows} >= {"none", f"not registered: {pki.mallory.fingerprint}"}
    assert all(row["member"] is None and row["detail"]["claimed_member"] == "alice" for row in rows)


def test_a_certificate_alone_is_not_enough(hub: tuple[RunningHub, dict[str, str]], pki: Pki) -> None:
    running, _ = hub
    with httpx.Client(verify=ClientTLS(cert=pki.alice.cert, key=pki.alice.key, ca=pki.ca.cert).context()) as http:
        assert http.get(running.url + "/taxii2/", headers={"Accept": MEDIA}).status_code == 401
        assert http.get(running.url + "/taxii2/", headers={"Accept": MEDIA},
                        auth=("alice", "dgk_000000000000_" + "A" * 43)).status_code == 401


def test_certificate_from_another_ca_fails_the_handshake(hub: tuple[RunningHub, dict[str, str]], pki: Pki) -> None:
    with pytest.raises(httpx.TransportError):  # TLS 1.3: the server aborts once it has checked the certificate
        _get(hub, pki, "alice", pki.rogue)


def test_key_only_member_gets_in_with_or_without_a_certificate(hub: tuple[RunningHub, dict[str, str]],
                                                               pki: Pki) -> None:
    assert _get(hub, pki, "bob", None).status_code == 200
    assert _get(hub, pki, "bob", pki.mallory).status_code == 200


def test_required_client_certificates_refuse_bare_connections_in_the_handshake(pki: Pki, tmp_path: Path) -> None:
    config, keys = _config(pki)
    tls = ServerTLS(certfile=pki.hub.cert, keyfile=pki.hub.key, client_ca=pki.ca.cert, client_cert="required")
    with serve_in_thread(config, str(tmp_path / "hub.db"), tls=tls) as running:
        hub = (running, keys)
        with pytest.raises(httpx.TransportError):  # the server aborts the handshake (TLS 1.3: on the first read)
            _get(hub, pki, "bob", None)
        assert _get(hub, pki, "bob", pki.mallory).status_code == 200


# -- our client and taxii2-client present certificates --------------------------------------------------------


def test_push_and_pull_present_the_client_certificate(hub: tuple[RunningHub, dict[str, str]], pki: Pki,
                                                      tmp_path: Path) -> None:
    running, keys = hub
    api_root = running.url + "/intel/"
    tls = ClientTLS(cert=pki.alice.cert, key=pki.alice.key, ca=pki.ca.cert)
    status = push(api_root, COLLECTION, [_indicator(1), _indicator(2)], user="alice", password=keys["alice"], tls=tls)
    assert status["success_count"] == 2
    store = IndicatorStore(tmp_path / "store.jsonl")
    result = pull(store, api_root, COLLECTION, user="alice", password=keys["alice"], tls=tls)
    assert result.new >= 2 and _indicator(1)["id"] in store.objects
    with pytest.raises(HubError, match="401"):
        pull(IndicatorStore(tmp_path / "other.jsonl"), api_root, COLLECTION, user="alice", password=keys["alice"],
             tls=ClientTLS(ca=pki.ca.cert))


def test_cli_intel_pull_with_cert_options(hub: tuple[RunningHub, dict[str, str]], pki: Pki, tmp_path: Path) -> None:
    running, keys = hub
    push(running.url + "/intel/", COLLECTION, [_indicator(3)], user="alice", password=keys["alice"],
         tls=ClientTLS(cert=pki.alice.cert, key=pki.alice.key, ca=pki.ca.cert))
    store = tmp_path / "store.jsonl"
    args = ["intel", "pull", "--hub", running.url + "/intel/", "--collection", COLLECTION, "--user", "alice",
            "--store", str(store), "--ca", str(pki.ca.cert)]
    env = {"DISTILLGUARD_HUB_KEY": keys["alice"]}
    refused = CliRunner().invoke(main, args, env=env)
    assert refused.exit_code == 1 and "401" in refused.output
    result = CliRunner().invoke(main, [*args, "--cert", str(pki.alice.cert), "--cert-key", str(pki.alice.key)], env=env)
    assert result.exit_code == 0, result.output
    assert _indicator(3)["id"] in IndicatorStore(store).objects


def test_taxii2_client_presents_a_client_certificate(hub: tuple[RunningHub, dict[str, str]], pki: Pki,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # requests lets these variables override the verify= we pass; unset, our CA is the one checked.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    running, keys = hub
    server = Server(running.url + "/taxii2/", user="alice", password=keys["alice"], verify=str(pki.ca.cert),
                    cert=(str(pki.alice.cert), str(pki.alice.key)))
    assert server.title == "mTLS hub"
    [root] = server.api_roots
    assert [c.id for c in root.collections] == [COLLECTION]


# -- fingerprints and the operator's CLI ------------------------------------------------------------------------


def test_fingerprint_is_sha256_of_the_der_certificate(pki: Pki) -> None:
    pem = pki.alice.cert.read_bytes()
    der = ssl.PEM_cert_to_DER_cert(pem.decode())
    assert cert_fingerprint(pem) == cert_fingerprint(der) == pki.alice.fingerprint
    colons = ":".join(pki.alice.fingerprint[i:i + 2] for i in range(0, 64, 2)).upper()
    assert normalise_fingerprint(f"sha256:{colons}") == pki.alice.fingerprint
    with pytest.raises(ValueError, match="64 hex digits"):
        normalise_fingerprint("abc")


def test_cli_add_member_and_set_cert_store_fingerprints(pki: Pki, tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    runner = CliRunner()
    assert runner.invoke(main, ["hub", "--config", str(config), "init"]).exit_code == 0
    added = runner.invoke(main, ["hub", "--config", str(config), "add-member", "alice", "--group", "consortium",
                                 "--read", "*", "--cert", str(pki.alice.cert)])
    assert added.exit_code == 0, added.output
    assert yaml.safe_load(config.read_text())["members"]["alice"]["client_cert_sha256"] == [pki.alice.fingerprint]
    rotated = runner.invoke(main, ["hub", "--config", str(config), "set-cert", "alice", "--cert", str(pki.alice.cert),
                                   "--cert-sha256", pki.mallory.fingerprint.upper()])
    assert rotated.exit_code == 0, rotated.output
    loaded = HubConfig.from_yaml(config)
    assert loaded.members["alice"].client_certs == {pki.alice.fingerprint, pki.mallory.fingerprint}
    assert runner.invoke(main, ["hub", "--config", str(config), "set-cert", "alice", "--clear"]).exit_code == 0
    assert HubConfig.from_yaml(config).members["alice"].client_certs == frozenset()
    bad = runner.invoke(main, ["hub", "--config", str(config), "add-member", "bob", "--cert", str(pki.alice.key)])
    assert bad.exit_code == 2 and "no certificate" in bad.output
    bad = runner.invoke(main, ["hub", "--config", str(config), "set-cert", "alice", "--cert-sha256", "12ab"])
    assert bad.exit_code == 2 and "64 hex digits" in bad.output


def test_config_rejects_a_malformed_fingerprint() -> None:
    from distillguard.errors import ConfigError

    with pytest.raises(ConfigError, match=r"members.x.client_cert_sha256: 'nope' is not a SHA-256"):
        HubConfig.from_dict({"members": {"x": {"client_cert_sha256": ["nope"]}}}, source="hub.yaml")


def test_cli_serves_the_hub_over_mtls(pki: Pki, tmp_path: Path) -> None:
    config, keys = _config(pki)
    config_path = tmp_path / "hub.yaml"
    config.save(config_path)
    port = free_port()
    exe = Path(sys.executable).with_name("distillguard")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from distillguard.cli import run; run()"]
    proc = subprocess.Popen([*cmd, "hub", "--config", str(config_path), "--port", str(port), "--tls-cert",
                             str(pki.hub.cert), "--tls-key", str(pki.hub.key), "--client-ca", str(pki.ca.cert)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})
    url = f"https://127.0.0.1:{port}/taxii2/"
    context = ClientTLS(cert=pki.alice.cert, key=pki.alice.key, ca=pki.ca.cert).context()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(url, auth=("alice", keys["alice"]), headers={"Accept": MEDIA}, verify=context)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "the hub did not start"
                time.sleep(0.2)
        assert r.status_code == 200
        bare = httpx.get(url, auth=("alice", keys["alice"]), headers={"Accept": MEDIA},
                         verify=ClientTLS(ca=pki.ca.cert).context())
        assert bare.status_code == 401
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=15)
    assert f"https://127.0.0.1:{port}/taxii2/" in stderr.decode() and "client certificates optional" in stderr.decode()


def test_cli_client_ca_needs_a_certificate_and_pinned_members_without_mtls_are_warned_about(
        pki: Pki, tmp_path: Path) -> None:
    config, _ = _config(pki)
    config_path = tmp_path / "hub.yaml"
    config.save(config_path)
    result = CliRunner().invoke(main, ["hub", "--config", str(config_path), "--client-ca", str(pki.ca.cert)])
    assert result.exit_code == 2 and "--client-ca need --tls-cert" in result.output
    exe = Path(sys.executable).with_name("distillguard")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from distillguard.cli import run; run()"]
    proc = subprocess.Popen([*cmd, "hub", "--config", str(config_path), "--port", str(free_port())],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})
    try:
        first = proc.stderr.readline().decode()  # type: ignore[union-attr]
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
    assert first.startswith("warning: alice must present a client certificate"), first
