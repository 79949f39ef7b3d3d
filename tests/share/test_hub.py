"""The threat-intelligence hub over real HTTP on loopback, on SQLite and on a PostgreSQL the tests start.

Interoperability is proven with clients we did not write: taxii2-client (Server, ApiRoot, Collection,
as_pages) and the stix2 library (objects, parsing, TAXIICollectionStore).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import stix2
import yaml
from click.testing import CliRunner
from pg_server import PostgresServer
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from distillguard.cli import main
from distillguard.share.hub import tlp
from distillguard.share.hub.app import MEDIA_STIX, MEDIA_TAXII
from distillguard.share.hub.audit import read_audit
from distillguard.share.hub.auth import new_key
from distillguard.share.hub.config import HubConfig
from distillguard.share.hub.ingest import pseudonym_for
from distillguard.share.hub.server import RunningHub, serve_in_thread

INDICATORS = "6e2f5ad3-51f0-4c6f-9a39-3a55a4ef7e41"
PRIVATE = "0d9c44a1-7c43-4d0e-8f6a-2f7c2f4b7f10"
BOB_IDENTITY = "identity--8c1f0a52-9a0b-4a7e-9f3e-0f1c6a0b7a11"
GREEN = tlp.MARKING_IDS[tlp.GREEN]
AMBER = tlp.MARKING_IDS[tlp.AMBER]
AMBER_STRICT = tlp.MARKING_IDS[tlp.AMBER_STRICT]
CLEAR = tlp.MARKING_IDS[tlp.CLEAR]
RED = tlp.MARKING_IDS[tlp.RED]
DISTILL_EXTENSION = "extension-definition--0b8c2f47-7d4e-4b8e-9a51-5d1c1f2e8a90"

MEMBERS: dict[str, dict[str, Any]] = {
    "alice": {"groups": ["labs"], "read": ["*"], "write": ["*"]},
    "bob": {"groups": ["labs"], "read": ["indicators"], "write": ["indicators"], "identity": BOB_IDENTITY},
    "carol": {"groups": ["others"], "read": ["indicators"], "write": ["indicators"]},
    "dave": {"read": ["indicators"]},  # reads, never writes, in no group
    "erin": {"write": ["indicators"]},  # writes, never reads
    "frank": {"groups": ["labs"], "read": ["indicators"], "write": ["indicators"], "anonymous": True,
              "rate_limit": {"requests_per_second": 0.5, "burst": 3}},
}


def make_config(rate: dict[str, Any] | None = None, **settings: Any) -> tuple[HubConfig, dict[str, str]]:
    keys: dict[str, str] = {}
    members: dict[str, Any] = {}
    for name, spec in MEMBERS.items():
        key, record = new_key()
        keys[name] = key
        members[name] = {**spec, "key_id": record.key_id, "key_salt": record.key_salt, "key_hash": record.key_hash}
    data = {
        "title": "test hub", "page_size": 50, "max_content_length": 2_000_000,
        "rate_limit": rate or {"requests_per_second": 1000, "burst": 1000},
        "api_roots": {"intel": {"title": "Distillation campaigns", "collections": {
            "indicators": {"id": INDICATORS, "title": "Indicators"},
            "private": {"id": PRIVATE, "title": "Alice only"}}}},
        "groups": {"labs": "frontier labs", "others": "everyone else"},
        "members": members,
        **settings,
    }
    return HubConfig.from_dict(data, source="test"), keys


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "hub.db")
    return request.getfixturevalue("postgres").new_database()


class Hub:
    """A running hub and its members' keys, with small HTTP helpers."""

    def __init__(self, running: RunningHub, keys: dict[str, str]) -> None:
        self.running = running
        self.keys = keys
        self.clients: dict[str, httpx.Client] = {}

    @property
    def url(self) -> str:
        return self.running.url

    def client(self, member: str) -> httpx.Client:
        if member not in self.clients:
            self.clients[member] = httpx.Client(base_url=self.url, auth=(member, self.keys[member]), timeout=30,
                                                headers={"Accept": MEDIA_TAXII})
        return self.clients[member]

    def get(self, member: str, path: str, **params: Any) -> httpx.Response:
        return self.client(member).get(path, params=params)

    def post(self, member: str, objects: list[Any], collection: str = INDICATORS,
             headers: dict[str, str] | None = None) -> httpx.Response:
        return self.client(member).post(f"/intel/collections/{collection}/objects/",
                                        content=json.dumps({"objects": objects}),
                                        headers={"Content-Type": MEDIA_TAXII, **(headers or {})})

    def collection(self, member: str, cid: str = INDICATORS) -> Collection:
        return Collection(f"{self.url}/intel/collections/{cid}/", user=member, password=self.keys[member])

    def ids(self, member: str, path: str = f"/intel/collections/{INDICATORS}/objects/", **params: Any) -> list[str]:
        response = self.get(member, path, **params)
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json().get("objects", [])]

    def close(self) -> None:
        for c in self.clients.values():
            c.close()


@pytest.fixture
def hub(db: str) -> Iterator[Hub]:
    config, keys = make_config()
    with serve_in_thread(config, db) as running:
        h = Hub(running, keys)
        yield h
        h.close()


@pytest.fixture
def sqlite_hub(tmp_path: Path) -> Iterator[Hub]:
    config, keys = make_config()
    with serve_in_thread(config, str(tmp_path / "hub.db")) as running:
        h = Hub(running, keys)
        yield h
        h.close()


def stix(obj: Any) -> dict[str, Any]:
    return json.loads(obj.serialize())


def indicator(marking: str | None = GREEN, **extra: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"pattern": f"[autonomous-system:number = {uuid.uuid4().int % 60000}]",
                              "pattern_type": "stix", **extra}
    if marking:
        kwargs["object_marking_refs"] = [marking]
    return stix(stix2.Indicator(**kwargs))


def objects_path(cid: str = INDICATORS) -> str:
    return f"/intel/collections/{cid}/objects/"


# -- interoperability: taxii2-client and stix2 ------------------------------------------------------------------


def test_taxii2_client_and_stix2_publish_page_and_fetch(hub: Hub) -> None:
    server = Server(f"{hub.url}/taxii2/", user="alice", password=hub.keys["alice"])
    assert server.title == "test hub"
    root: ApiRoot = server.api_roots[0]
    assert root.title == "Distillation campaigns" and root.versions == [MEDIA_TAXII]
    assert root.max_content_length == 2_000_000
    collections = {c.alias: c for c in root.collections}
    assert set(collections) == {"indicators", "private"}
    collection = collections["indicators"]
    assert collection.id == INDICATORS and collection.can_read and collection.can_write
    assert collection.media_types == [MEDIA_STIX]

    identity = stix2.Identity(name="provider A", identity_class="organization", object_marking_refs=[GREEN])
    technique = stix2.AttackPattern(name="Harvest reasoning traces", created_by_ref=identity.id,
                                    object_marking_refs=[GREEN],
                                    external_references=[{"source_name": "mitre-atlas", "external_id": "AML.T0024"}])
    indicators = [stix2.Indicator(pattern=f"[autonomous-system:number = {64500 + i}]", pattern_type="stix",
                                  created_by_ref=identity.id, object_marking_refs=[GREEN]) for i in range(9)]
    behaviour = stix2.Indicator(pattern="cot_elicitation >= 0.8 AND templates >= 40",
                                pattern_type="x-distillguard-behaviour", object_marking_refs=[GREEN])
    link = stix2.Relationship(indicators[0], "indicates", technique, object_marking_refs=[GREEN])
    custom = {"type": "x-distillguard-campaign-signature", "spec_version": "2.1",
              "id": f"x-distillguard-campaign-signature--{uuid.uuid4()}", "created": "2026-11-02T00:00:00.000Z",
              "modified": "2026-11-02T00:00:00.000Z", "bands": ["a1b2", "c3d4"], "object_marking_refs": [GREEN],
              "extensions": {DISTILL_EXTENSION: {"extension_type": "new-sdo"}}}
    posted = [stix(o) for o in (identity, technique, *indicators, behaviour, link)] + [custom]
    status = collection.add_objects({"objects": posted})
    assert status.status == "complete" and status.success_count == len(posted) and status.failure_count == 0
    assert root.get_status(status.id).success_count == len(posted)

    seen: list[str] = []
    pages = list(as_pages(collection.get_objects, per_request=4))
    for page in pages:
        seen += [o["id"] for o in page.get("objects", [])]
    assert len(pages) == 4 and sorted(seen) == sorted(o["id"] for o in posted) and len(seen) == len(set(seen))
    manifest = [m["id"] for page in as_pages(collection.get_manifest, per_request=5) for m in page["objects"]]
    assert manifest == seen

    fetched = collection.get_object(technique.id)["objects"]
    assert len(fetched) == 1 and stix2.parse(fetched[0], allow_custom=True).name == "Harvest reasoning traces"
    assert {o["id"] for o in collection.get_objects(type="indicator")["objects"]} == \
        {i.id for i in (*indicators, behaviour)}
    assert [o["id"] for o in collection.get_objects(id=[link.id, custom["id"]])["objects"]] == [link.id, custom["id"]]
    assert "objects" not in collection.get_objects(spec_version="2.0")

    # A new version (stix2's versioning): the last is served by default, every version on request.
    revised = indicators[0].new_version(confidence=80)
    assert collection.add_objects({"objects": [stix(revised)]}).success_count == 1
    versions = collection.object_versions(revised.id)["versions"]
    assert versions == [stix(indicators[0])["modified"], stix(revised)["modified"]]
    assert [o.get("confidence") for o in collection.get_object(revised.id)["objects"]] == [80]
    assert len(collection.get_object(revised.id, version="all")["objects"]) == 2
    assert [o.get("confidence") for o in collection.get_object(revised.id, version="first")["objects"]] == [None]
    assert len(collection.get_objects()["objects"]) == len(posted)

    # stix2's own TAXII data store over the same collection.
    store = stix2.TAXIICollectionStore(hub.collection("bob"), allow_custom=True)
    assert store.get(technique.id).name == "Harvest reasoning traces"
    store.add(stix2.Indicator(pattern="[autonomous-system:number = 64999]", pattern_type="stix",
                              object_marking_refs=[GREEN]))
    found = store.query([stix2.Filter("type", "=", "indicator")])
    assert any(getattr(i, "pattern", "") == "[autonomous-system:number = 64999]" for i in found)

    # The date-added headers, the next token and deleting.
    response = hub.get("alice", objects_path(), limit=3)
    body = response.json()
    assert body["more"] is True and body["next"]
    assert response.headers["X-TAXII-Date-Added-First"] < response.headers["X-TAXII-Date-Added-Last"]
    following = hub.get("alice", objects_path(), limit=3, next=body["next"]).json()
    assert [o["id"] for o in body["objects"] + following["objects"]] == hub.ids("alice")[:6]
    collection.delete_object(custom["id"])
    assert custom["id"] not in hub.ids("alice")
    assert hub.get("alice", objects_path() + custom["id"] + "/").status_code == 404


def test_paging_with_added_after_and_limit_sees_every_object_once_while_others_add(hub: Hub) -> None:
    batches, per_batch = 12, 15
    written: list[str] = []
    done = threading.Event()

    def writer(member: str) -> None:
        for _ in range(batches // 2):
            objects = [indicator() for _ in range(per_batch)]
            assert hub.post(member, objects).status_code == 202
            written.extend(o["id"] for o in objects)
            time.sleep(0.005)

    threads = [threading.Thread(target=writer, args=(m,)) for m in ("alice", "bob")]
    for t in threads:
        t.start()

    def finish() -> None:
        for t in threads:
            t.join()
        done.set()

    threading.Thread(target=finish).start()
    by_header: list[str] = []
    by_next: list[str] = []
    after: str | None = None
    token: str | None = None
    reader = httpx.Client(base_url=hub.url, auth=("dave", hub.keys["dave"]), headers={"Accept": MEDIA_TAXII})
    while True:
        finished = done.is_set()
        # Reader 1: added_after = the previous page's X-TAXII-Date-Added-Last.
        response = reader.get(objects_path(), params={"limit": 7, **({"added_after": after} if after else {})})
        page = response.json().get("objects", [])
        by_header += [o["id"] for o in page]
        if page:
            after = response.headers["X-TAXII-Date-Added-Last"]
        # Reader 2: the envelope's next token while more is true, then added_after of what it has seen.
        params: dict[str, Any] = {"limit": 5}
        if token:
            params["next"] = token
        response2 = reader.get(objects_path(), params=params)
        envelope = response2.json()
        by_next += [o["id"] for o in envelope.get("objects", [])]
        token = envelope.get("next") if envelope.get("more") else (
            _token_after(response2.headers["X-TAXII-Date-Added-Last"]) if envelope.get("objects") else token)
        if finished and not page and not envelope.get("objects"):
            break
    reader.close()
    assert len(written) == batches * per_batch
    for seen in (by_header, by_next):
        counts = Counter(seen)
        assert not [i for i, n in counts.items() if n > 1], "an object was served twice"
        assert set(seen) == set(written), f"{len(set(written) - set(seen))} objects were never served"


def _token_after(timestamp: str) -> str:
    """A next token for 'after this date_added' (the hub's tokens are date_added positions)."""
    import base64

    from distillguard.share.hub.timestamps import parse_us

    return base64.urlsafe_b64encode(f"dg1:{parse_us(timestamp)}".encode()).decode().rstrip("=")


# -- TLP and sharing groups -------------------------------------------------------------------------------------


def test_tlp_amber_reaches_only_its_groups_red_never_leaves_and_groups_stay_hidden(hub: Hub) -> None:
    green = indicator(GREEN)
    amber = indicator(AMBER)  # shared with alice's groups (labs) by default
    strict = indicator(AMBER_STRICT)
    named = {**indicator(AMBER), "x_distillguard_sharing_groups": ["labs"]}
    unmarked = indicator(None)  # the hub's default_tlp: amber
    red = indicator(RED)
    response = hub.post("alice", [green, amber, strict, named, unmarked, red])
    status = response.json()
    assert response.status_code == 202 and status["success_count"] == 5 and status["failure_count"] == 1
    assert "TLP:RED" in status["failures"][0]["message"] and status["failures"][0]["id"] == red["id"]
    restricted = [amber["id"], strict["id"], named["id"], unmarked["id"]]

    # A new version marked AMBER of a GREEN object: outsiders keep seeing the GREEN version.
    green_v2 = stix(stix2.parse(green).new_version(object_marking_refs=[AMBER]))
    assert hub.post("alice", [green_v2]).json()["success_count"] == 1

    for member, expected in (("bob", [*restricted, green["id"]]), ("alice", [*restricted, green["id"]]),
                             ("carol", [green["id"]]), ("dave", [green["id"]])):
        assert hub.ids(member) == expected, member
        manifest = hub.get(member, f"/intel/collections/{INDICATORS}/manifest/").json().get("objects", [])
        assert [m["id"] for m in manifest] == expected, member
        all_versions = hub.ids(member, **{"match[version]": "all"})
        assert red["id"] not in all_versions and (member in ("bob", "alice")) == (amber["id"] in all_versions)
    assert hub.get("carol", objects_path() + green["id"] + "/").json()["objects"][0]["modified"] == green["modified"]
    assert hub.get("bob", objects_path() + green["id"] + "/").json()["objects"][0]["modified"] == green_v2["modified"]
    assert hub.get("carol", objects_path() + green["id"] + "/versions/").json()["versions"] == [green["modified"]]
    assert len(hub.get("bob", objects_path() + green["id"] + "/versions/").json()["versions"]) == 2

    # Outside the group, an AMBER object is exactly as absent as one that never existed.
    never = f"indicator--{uuid.uuid4()}"
    for path in ("/", "/versions/"):
        hidden = hub.get("carol", objects_path() + amber["id"] + path)
        missing = hub.get("carol", objects_path() + never + path)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["title"] == missing.json()["title"]
    assert hub.ids("carol", **{"match[id]": ",".join(restricted)}) == []
    assert hub.get("carol", f"/intel/status/{status['id']}/").status_code == 404

    # Nothing served names a group or says who is in one; RED is nowhere.
    for member in ("bob", "carol", "dave"):
        served = json.dumps([hub.get(member, objects_path(), **{"match[version]": "all"}).json(),
                             hub.get(member, f"/intel/collections/{INDICATORS}/manifest/").json(),
                             hub.get(member, "/intel/collections/").json(), hub.get(member, "/taxii2/").json()])
        assert "labs" not in served and "others" not in served and "x_distillguard" not in served
        assert red["id"] not in served
    # Collections a member has no right on do not exist for it.
    assert [c["alias"] for c in hub.get("dave", "/intel/collections/").json()["collections"]] == ["indicators"]
    assert hub.get("dave", f"/intel/collections/{PRIVATE}/").status_code == 404
    assert hub.get("dave", objects_path(PRIVATE)).status_code == 404

    # A producer cannot share with a group it is not in, nor AMBER without any group.
    refused = hub.post("carol", [{**indicator(AMBER), "x_distillguard_sharing_groups": ["labs"]}]).json()
    assert refused["http_status"] == "422" and "not a member of it" in json.dumps(refused)
    refused = hub.post("carol", [indicator(AMBER)], headers={"X-Distillguard-Sharing-Groups": "labs"}).json()
    assert "not a member of it" in json.dumps(refused)
    assert "you are in none" in json.dumps(hub.post("erin", [indicator(AMBER)]).json())


# -- authentication and rights ----------------------------------------------------------------------------------


def test_wrong_key_is_401_missing_right_is_403_and_keys_are_stored_hashed(sqlite_hub: Hub, tmp_path: Path) -> None:
    hub = sqlite_hub
    url = f"{hub.url}{objects_path()}"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url).headers["WWW-Authenticate"].startswith("Basic")
    assert httpx.get(url, auth=("alice", hub.keys["bob"])).status_code == 401  # bob's key, alice's name
    assert httpx.get(url, auth=("alice", hub.keys["alice"][:-2] + "xx")).status_code == 401
    assert httpx.get(url, auth=("alice", "not-a-key")).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {hub.keys['alice']}",
                                   "Accept": MEDIA_TAXII}).status_code == 200
    assert hub.post("dave", [indicator()]).status_code == 403  # read right only
    assert hub.get("erin", objects_path()).status_code == 403  # write right only
    assert hub.post("erin", [indicator()]).status_code == 202
    assert hub.post("bob", [indicator()], collection=PRIVATE).status_code == 404  # no right: not there

    raw = b"".join(p.read_bytes() for p in tmp_path.glob("hub.db*"))
    assert raw and not any(key.encode() in raw for key in hub.keys.values())
    config_text = yaml.safe_dump(hub.running.hub.config.to_dict())
    assert not any(key in config_text for key in hub.keys.values())
    assert hub.running.hub.config.members["alice"].key.key_hash in config_text


def test_rate_limit_answers_429_with_retry_after(sqlite_hub: Hub) -> None:
    codes = [hub_get.status_code for hub_get in (sqlite_hub.get("frank", objects_path()) for _ in range(4))]
    assert codes == [200, 200, 200, 429]
    refused = sqlite_hub.get("frank", objects_path())
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["title"] == "Too many requests"
    assert sqlite_hub.get("alice", objects_path()).status_code == 200  # buckets are per member


# -- anonymity ----------------------------------------------------------------------------------------------------


def test_anonymous_submission_is_reattributed_to_a_stable_pseudonym(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    me = {"type": "identity", "spec_version": "2.1", "id": BOB_IDENTITY, "created": "2026-01-01T00:00:00.000Z",
          "modified": "2026-01-01T00:00:00.000Z", "name": "Provider B", "identity_class": "organization"}
    signed = indicator(GREEN, created_by_ref=BOB_IDENTITY)
    sighting = stix(stix2.Sighting(sighting_of_ref=signed["id"], where_sighted_refs=[BOB_IDENTITY],
                                   created_by_ref=BOB_IDENTITY, object_marking_refs=[GREEN]))
    status = hub.post("bob", [me, signed, sighting], headers={"X-Distillguard-Anonymous": "1"}).json()
    assert status["success_count"] == 3 and "withheld" in status["successes"][0]["message"]
    later = indicator(GREEN)
    hub.post("bob", [later], headers={"X-Distillguard-Anonymous": "yes"})
    named = indicator(GREEN, created_by_ref=BOB_IDENTITY)
    hub.post("bob", [named])  # not anonymous: kept as submitted

    pseudonym = pseudonym_for(hub.running.store.pseudonym_secret(), "bob")
    served = {o["id"]: o for o in hub.get("carol", objects_path()).json()["objects"]}
    assert BOB_IDENTITY not in served
    assert served[signed["id"]]["created_by_ref"] == served[later["id"]]["created_by_ref"] == pseudonym
    assert served[sighting["id"]]["where_sighted_refs"] == [pseudonym]
    assert served[pseudonym]["identity_class"] == "unknown" and "Provider B" not in json.dumps(served[pseudonym])
    assert served[named["id"]]["created_by_ref"] == BOB_IDENTITY
    anonymous_bytes = json.dumps([served[i] for i in (signed["id"], sighting["id"], later["id"], pseudonym)])
    assert BOB_IDENTITY not in anonymous_bytes and "bob" not in anonymous_bytes.lower()
    # Each member has its own pseudonym; a member configured anonymous is always re-attributed.
    hub.post("frank", [frank_obj := indicator(GREEN)])
    frank_ref = hub.get("carol", objects_path() + frank_obj["id"] + "/").json()["objects"][0]["created_by_ref"]
    assert frank_ref == pseudonym_for(hub.running.store.pseudonym_secret(), "frank") != pseudonym
    # The operator's audit log still knows who it was.
    writes = [r for r in read_audit(hub.running.store) if r["method"] == "POST" and r["detail"].get("anonymous")]
    assert {r["member"] for r in writes} == {"bob", "frank"}


# -- audit ----------------------------------------------------------------------------------------------------------


def test_audit_log_records_reads_and_writes_and_refuses_change(hub: Hub) -> None:
    obj = indicator(GREEN)
    hub.post("alice", [obj])
    hub.get("dave", objects_path())
    hub.get("carol", objects_path() + obj["id"] + "/")
    httpx.get(f"{hub.url}/taxii2/", auth=("alice", "wrong"))
    rows = list(read_audit(hub.running.store))
    write = next(r for r in rows if r["method"] == "POST")
    assert write["member"] == "alice" and write["object_ids"] == [obj["id"]] and write["status"] == 202
    assert write["collection"] == INDICATORS and write["path"] == objects_path()
    read = next(r for r in rows if r["member"] == "dave")
    assert read["object_ids"] == [obj["id"]] and read["status"] == 200 and read["at"].endswith("Z")
    assert any(r["member"] == "carol" and r["object_ids"] == [obj["id"]] for r in rows)
    assert any(r["member"] is None and r["status"] == 401 for r in rows)
    assert all(hub.keys["alice"] not in json.dumps(r) for r in rows)
    # Append-only in the database itself, and not served to anyone.
    engine = hub.running.store.engine
    for statement in ("UPDATE hub_audit SET member = 'x'", "DELETE FROM hub_audit"):
        with pytest.raises((DBAPIError, sqlite3.DatabaseError)), engine.begin() as conn:
            conn.execute(text(statement))
    assert len(list(read_audit(hub.running.store))) >= len(rows)
    for path in ("/intel/audit/", "/audit/", "/intel/collections/audit/"):
        assert hub.get("alice", path).status_code == 404


# -- validation, media types, errors ------------------------------------------------------------------------------


def test_validation_stores_valid_objects_and_reports_each_invalid_one(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    good = indicator(GREEN)
    no_pattern = {k: v for k, v in indicator(GREEN).items() if k != "pattern"}
    old_spec = {**indicator(GREEN), "spec_version": "2.0"}
    bad_id = {**indicator(GREEN), "id": "indicator--not-a-uuid"}
    custom_without_created = {"type": "x-distillguard-signature", "spec_version": "2.1",
                              "id": f"x-distillguard-signature--{uuid.uuid4()}", "object_marking_refs": [GREEN]}
    bad_pattern = {**indicator(GREEN), "pattern": "[autonomous-system:number = "}
    response = hub.post("alice", [good, no_pattern, "not an object", old_spec, bad_id, custom_without_created,
                                  bad_pattern])
    status = response.json()
    assert response.status_code == 202 and status["success_count"] == 1 and status["failure_count"] == 6
    messages = [f["message"] for f in status["failures"]]
    assert messages[0].startswith(f"objects[1] ({no_pattern['id']}): indicator:") and "pattern" in messages[0]
    assert messages[1] == "objects[2]: expected a JSON object, got str"
    assert messages[2].startswith("objects[3]") and "2.1" in messages[2]
    assert messages[3].startswith("objects[4]") and "UUID" in messages[3]
    assert messages[4].startswith("objects[5]") and "'created'" in messages[4]
    assert messages[5].startswith("objects[6]") and "pattern" in messages[5]
    assert hub.ids("alice") == [good["id"]]

    nothing = hub.post("alice", [no_pattern, bad_id])
    assert nothing.status_code == 422
    assert [f["message"][:10] for f in nothing.json()["details"]["failures"]] == ["objects[0]", "objects[1]"]
    client = hub.client("alice")
    path = objects_path()
    assert client.post(path, content=b"{not json", headers={"Content-Type": MEDIA_TAXII}).status_code == 400
    assert client.post(path, content=b"[]", headers={"Content-Type": MEDIA_TAXII}).status_code == 400
    assert client.post(path, content=b'{"objects": []}', headers={"Content-Type": "application/json"}).status_code \
        == 415
    assert client.post(path, content=b'{"objects": []}',
                       headers={"Content-Type": "application/taxii+json;version=2.0"}).status_code == 415
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [indicator(GREEN)]}
    assert client.post(path, content=json.dumps(bundle), headers={"Content-Type": MEDIA_STIX}).status_code == 202
    assert client.post(path, content=b"x" * 2_000_001, headers={"Content-Type": MEDIA_TAXII}).status_code == 413
    assert client.get(path, headers={"Accept": "application/json"}).status_code == 406
    assert client.get(path, headers={"Accept": "application/taxii+json;version=2.0"}).status_code == 406
    assert client.get(path, headers={"Accept": "application/taxii+json"}).status_code == 200
    for params in ({"added_after": "yesterday"}, {"limit": "0"}, {"limit": "x"}, {"next": "bogus"},
                   {"match[version]": "newest"}):
        response = client.get(path, params=params)
        assert response.status_code == 400 and response.headers["content-type"] == MEDIA_TAXII, params
        assert response.json()["http_status"] == "400" and response.json()["description"]
    assert client.get("/intel/collections/nope/").status_code == 404
    assert client.get("/nowhere/").json()["title"] == "API root not found"
    assert client.put(path).status_code == 405


def test_validation_in_processes_keeps_each_objects_index(tmp_path: Path) -> None:
    config, keys = make_config(validation_processes=2)
    with serve_in_thread(config, str(tmp_path / "hub.db")) as running:
        hub = Hub(running, keys)
        objects = [indicator(GREEN) for _ in range(300)]
        objects[250] = {k: v for k, v in objects[250].items() if k != "pattern"}
        status = hub.post("alice", objects).json()
        assert status["success_count"] == 299 and status["failures"][0]["message"].startswith("objects[250] (")
        assert hub.ids("alice", limit=50) == [o["id"] for i, o in enumerate(objects) if i != 250][:50]
        hub.close()


def test_versions_belong_to_their_producer_and_resubmission_is_idempotent(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    obj = indicator(GREEN)
    assert hub.post("alice", [obj]).json()["success_count"] == 1
    again = hub.post("alice", [obj]).json()
    assert again["success_count"] == 1 and again["successes"][0]["message"].startswith("already present")
    changed = hub.post("alice", [{**obj, "name": "changed without a new modified"}]).json()
    assert changed["failure_count"] == 1 and "new 'modified'" in changed["failures"][0]["message"]
    hijack = stix(stix2.parse(obj).new_version(name="carol's version"))
    refused = hub.post("carol", [hijack]).json()
    assert "another producer" in json.dumps(refused)
    assert "another producer" in hub.post("carol", [obj]).json()["failures"][0]["message"]
    assert hub.client("carol").delete(objects_path() + obj["id"] + "/").status_code == 403
    assert hub.client("alice").delete(objects_path() + obj["id"] + "/").status_code == 200
    assert hub.ids("alice") == []
    assert len(hub.running.store.engine.connect().execute(text("SELECT pk FROM hub_objects")).all()) == 0


# -- the operator's commands ---------------------------------------------------------------------------------------


def test_cli_init_add_member_rotate_key_and_audit(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    runner = CliRunner()
    result = runner.invoke(main, ["hub", "--config", str(config), "init"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["hub", "--config", str(config), "add-member", "provider-a", "--group", "consortium",
                                  "--read", "*", "--write", "indicators"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("dgk_") and key not in config.read_text()
    loaded = HubConfig.from_yaml(config)
    member = loaded.members["provider-a"]
    assert member.groups == {"consortium"} and member.read == member.write == set(loaded.collections)
    assert runner.invoke(main, ["hub", "--config", str(config), "add-member", "provider-a"]).exit_code == 2
    assert runner.invoke(main, ["hub", "--config", str(config), "add-member", "x", "--read", "nope"]).exit_code == 2
    result = runner.invoke(main, ["hub", "--config", str(config), "rotate-key", "provider-a"])
    new = result.stdout.strip().splitlines()[-1]
    assert result.exit_code == 0 and new != key
    assert HubConfig.from_yaml(config).members["provider-a"].key.key_id != member.key.key_id
    with serve_in_thread(HubConfig.from_yaml(config), str(tmp_path / "hub.db")) as running:
        assert httpx.get(f"{running.url}/taxii2/", auth=("provider-a", new)).status_code == 200
        assert httpx.get(f"{running.url}/taxii2/", auth=("provider-a", key)).status_code == 401
    result = runner.invoke(main, ["hub", "--config", str(config), "audit", "--member", "provider-a"])
    assert result.exit_code == 0 and [json.loads(line)["status"] for line in result.stdout.splitlines()] == [200]
    everything = runner.invoke(main, ["hub", "--config", str(config), "audit"]).stdout.splitlines()
    last = json.loads(everything[-1])
    assert last["member"] is None and last["detail"] == {"claimed_member": "provider-a", "error": "Unauthorized"}


def test_hub_package_exports_resolve_lazily() -> None:
    import distillguard.share.hub as package

    for name in package.__all__:
        assert getattr(package, name) is not None, name
    with pytest.raises(AttributeError):
        _ = package.nothing_here
