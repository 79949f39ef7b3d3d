"""The hub's store: SQLAlchemy Core over SQLite (a file, the default) or PostgreSQL (by URL), one schema.

Tables:

- ``hub_objects``: one row per object version: collection, ``object_id``, ``type``, ``version`` (as given) and
  ``version_key`` (microseconds), ``spec_version``, ``date_added`` (microseconds), ``tlp``, ``producer`` (the
  submitting member; never served) and ``body`` (the object as JSON). Unique on (collection, object_id,
  version_key) and on (collection, date_added).
- ``hub_object_groups``: the sharing groups of each TLP:AMBER(+STRICT) row.
- ``hub_collections``: per collection, the last ``date_added`` handed out.
- ``hub_status``: status resources of submissions (served only to their submitter).
- ``hub_audit``: the append-only audit log (see ``audit.py``).
- ``hub_meta``: the hub secret behind pseudonyms.

``date_added`` is strictly increasing within a collection, and a later commit never carries an earlier
``date_added``: each submission first locks its collection's row in ``hub_collections`` (an UPDATE, which
takes a row lock in PostgreSQL and the write lock in SQLite), then gives each object
``max(now, last + 1 µs)``, and commits before the lock is released. A reader that has seen an object therefore
has seen every object added before it, and paging on ``date_added`` (``added_after``, ``next``, the
``X-TAXII-Date-Added-Last`` header) never loses or repeats an object while others are added.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.sql.elements import ColumnElement

from distillguard.errors import ConfigError
from distillguard.share.hub import tlp
from distillguard.share.hub.audit import AuditEntry
from distillguard.share.hub.ingest import PreparedObject
from distillguard.share.hub.timestamps import format_us, now_us

_Key = BigInteger().with_variant(Integer, "sqlite")  # an INTEGER PRIMARY KEY is SQLite's rowid

metadata = MetaData()

hub_meta = Table("hub_meta", metadata,
                 Column("key", String(64), primary_key=True),
                 Column("value", Text, nullable=False))

hub_collections = Table("hub_collections", metadata,
                        Column("id", String(36), primary_key=True),
                        Column("last_added", BigInteger, nullable=False))

hub_objects = Table(
    "hub_objects", metadata,
    Column("pk", _Key, primary_key=True, autoincrement=True),
    Column("collection", String(36), nullable=False),
    Column("object_id", String(300), nullable=False),
    Column("type", String(250), nullable=False),
    Column("version", String(64), nullable=False),
    Column("version_key", BigInteger, nullable=False),
    Column("spec_version", String(8), nullable=False),
    Column("date_added", BigInteger, nullable=False),
    Column("tlp", SmallInteger, nullable=False),
    Column("producer", String(200), nullable=False),
    Column("body", Text, nullable=False),
    UniqueConstraint("collection", "object_id", "version_key", name="uq_hub_objects_version"),
    UniqueConstraint("collection", "date_added", name="uq_hub_objects_added"),
    Index("ix_hub_objects_type", "collection", "type", "date_added"),
)

hub_object_groups = Table("hub_object_groups", metadata,
                          Column("object_pk", _Key, primary_key=True),
                          Column("group_name", String(200), primary_key=True))

hub_status = Table("hub_status", metadata,
                   Column("id", String(36), primary_key=True),
                   Column("member", String(200), nullable=False),
                   Column("created", BigInteger, nullable=False),
                   Column("body", Text, nullable=False))

hub_audit = Table("hub_audit", metadata,
                  Column("seq", _Key, primary_key=True, autoincrement=True),
                  Column("at", BigInteger, nullable=False),
                  Column("member", String(200)),
                  Column("method", String(10), nullable=False),
                  Column("path", Text, nullable=False),
                  Column("collection", String(36)),
                  Column("status", Integer, nullable=False),
                  Column("object_ids", Text, nullable=False),
                  Column("detail", Text, nullable=False),
                  Index("ix_hub_audit_member", "member", "at"))

_APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS hub_audit_no_update BEFORE UPDATE ON hub_audit "
    "BEGIN SELECT RAISE(ABORT, 'hub_audit is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS hub_audit_no_delete BEFORE DELETE ON hub_audit "
    "BEGIN SELECT RAISE(ABORT, 'hub_audit is append-only'); END",
]
_APPEND_ONLY_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION hub_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'hub_audit is append-only'; END $$",
    "DROP TRIGGER IF EXISTS hub_audit_no_change ON hub_audit",
    "CREATE TRIGGER hub_audit_no_change BEFORE UPDATE OR DELETE ON hub_audit "
    "FOR EACH ROW EXECUTE FUNCTION hub_audit_append_only()",
    "DROP TRIGGER IF EXISTS hub_audit_no_truncate ON hub_audit",
    "CREATE TRIGGER hub_audit_no_truncate BEFORE TRUNCATE ON hub_audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION hub_audit_append_only()",
]

_IN_CHUNK = 500  # ids per IN (...) list


def database_url(db: str) -> str:
    """``--db`` as given -> an SQLAlchemy URL: a URL passes through; anything else is an SQLite file path.
    ``postgresql://`` URLs use the psycopg (3) driver."""
    if "://" not in db:
        return f"sqlite:///{Path(db).expanduser().resolve()}"
    url = make_url(db)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


@dataclass(frozen=True)
class Viewer:
    """Who reads: the member and its sharing groups (decides what is visible, see tlp.py)."""

    member: str
    groups: frozenset[str]


@dataclass(frozen=True)
class ObjectQuery:
    """The filters of a TAXII read."""

    collection: str
    ids: tuple[str, ...] | None = None
    types: tuple[str, ...] | None = None
    versions: tuple[str | int, ...] = ("last",)  # "last", "first", "all" or version keys (µs)
    spec_versions: tuple[str, ...] | None = None
    after: int | None = None  # date_added strictly after (µs)
    limit: int = 1000


@dataclass(frozen=True)
class Row:
    object_id: str
    type: str
    version: str
    spec_version: str
    date_added: int
    body: str | None


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    more: bool


@dataclass(frozen=True)
class Outcome:
    """What happened to one submitted object."""

    index: int
    id: str
    version: str
    stored: bool  # False: a failure
    message: str | None = None


class HubStore:
    """The hub's tables behind an SQLAlchemy engine. Thread-safe (a connection per call)."""

    def __init__(self, db: str) -> None:
        self.url = database_url(db)
        url = make_url(self.url)
        self.dialect = url.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ConfigError(f"--db: {self.dialect} is not supported; give an SQLite path or a postgresql:// URL")
        kwargs: dict[str, Any] = {}
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"timeout": 60, "check_same_thread": False}
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    def close(self) -> None:
        self.engine.dispose()

    # -- schema ----------------------------------------------------------------------------------------------

    def create(self, collection_ids: Iterable[str]) -> None:
        """Create the tables (if missing), the append-only triggers, the collections' rows and the hub secret."""
        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            for statement in _APPEND_ONLY_SQLITE if self.dialect == "sqlite" else _APPEND_ONLY_POSTGRESQL:
                conn.execute(text(statement))
        with self.engine.begin() as conn:
            known = set(conn.execute(select(hub_collections.c.id)).scalars())
            for cid in collection_ids:
                if cid not in known:
                    conn.execute(insert(hub_collections).values(id=cid, last_added=0))
            if conn.execute(select(hub_meta.c.value).where(hub_meta.c.key == "pseudonym_secret")).first() is None:
                conn.execute(insert(hub_meta).values(key="pseudonym_secret", value=secrets.token_hex(32)))

    def pseudonym_secret(self) -> bytes:
        with self.engine.connect() as conn:
            value = conn.execute(select(hub_meta.c.value).where(hub_meta.c.key == "pseudonym_secret")).scalar_one()
        return bytes.fromhex(value)

    # -- writes ----------------------------------------------------------------------------------------------

    def add_objects(self, collection: str, producer: str, items: Sequence[PreparedObject],
                    audit: AuditEntry, also: Sequence[PreparedObject] = ()) -> list[Outcome]:
        """Store ``items`` (and ``also``, silently: the pseudonym's identity) in one transaction, with the audit
        entry. Returns one outcome per item: stored, already present, or a failure (an id that belongs to
        another producer, or a version already stored with other content)."""
        outcomes: list[Outcome] = []
        with self.engine.begin() as conn:
            # Lock the collection first (see the module docstring), then read where its clock stands.
            conn.execute(update(hub_collections).where(hub_collections.c.id == collection)
                         .values(last_added=hub_collections.c.last_added))
            last = conn.execute(select(hub_collections.c.last_added)
                                .where(hub_collections.c.id == collection)).scalar_one()
            everything = [*also, *items]
            existing = self._existing(conn, collection, {p.id for p in everything})
            rows: list[dict[str, Any]] = []
            groups: list[tuple[int, str]] = []  # (date_added, group)
            now = now_us()
            for item in everything:
                silent = item.index < 0
                owner_versions = existing.get(item.id)
                version_key = item.version_key
                if owner_versions is not None:
                    owner, versions = owner_versions
                    if owner != producer:
                        if not silent:
                            outcomes.append(Outcome(item.index, item.id, item.version or "", False,
                                                    f"objects[{item.index}] ({item.id}): this id belongs to "
                                                    "another producer's object in this collection; only its "
                                                    "producer can add versions of it"))
                        continue
                    same = versions.get(version_key) if version_key is not None else next(iter(versions.values()))
                    if same is not None:
                        if not silent:
                            if json.loads(same) == item.obj:
                                outcomes.append(Outcome(item.index, item.id, item.version or "", True,
                                                        "already present; not stored again"))
                            else:
                                outcomes.append(Outcome(
                                    item.index, item.id, item.version or "", False,
                                    f"objects[{item.index}] ({item.id}): version {item.version or '(unversioned)'}"
                                    " is already stored with different content; a changed object needs a new "
                                    "'modified'"))
                        continue
                last = max(now, last + 1)
                body = item.body
                version = item.version or format_us(last)
                key = version_key if version_key is not None else last
                rows.append({"collection": collection, "object_id": item.id, "type": item.type, "version": version,
                             "version_key": key, "spec_version": item.spec_version, "date_added": last,
                             "tlp": item.tlp, "producer": producer, "body": body})
                groups.extend((last, g) for g in sorted(item.groups))
                existing.setdefault(item.id, (producer, {}))[1][key] = body
                if not silent:
                    outcomes.append(Outcome(item.index, item.id, version, True))
            if rows:
                conn.execute(insert(hub_objects), rows)
                conn.execute(update(hub_collections).where(hub_collections.c.id == collection)
                             .values(last_added=last))
            if groups:
                added = sorted({d for d, _ in groups})
                found = conn.execute(select(hub_objects.c.date_added, hub_objects.c.pk).where(
                    hub_objects.c.collection == collection, hub_objects.c.date_added >= added[0],
                    hub_objects.c.date_added <= added[-1]))
                pks = {date_added: pk for date_added, pk in found}
                conn.execute(insert(hub_object_groups), [{"object_pk": pks[d], "group_name": g} for d, g in groups])
            audit.object_ids = [o.id for o in outcomes]
            conn.execute(insert(hub_audit), audit.row())
        return outcomes

    def _existing(self, conn: Connection, collection: str,
                  ids: set[str]) -> dict[str, tuple[str, dict[int, str]]]:
        """id -> (producer, {version_key: body}) for the ids already in the collection."""
        found: dict[str, tuple[str, dict[int, str]]] = {}
        ordered = sorted(ids)
        for start in range(0, len(ordered), _IN_CHUNK):
            chunk = ordered[start:start + _IN_CHUNK]
            result = conn.execute(select(hub_objects.c.object_id, hub_objects.c.producer, hub_objects.c.version_key,
                                         hub_objects.c.body)
                                  .where(hub_objects.c.collection == collection, hub_objects.c.object_id.in_(chunk)))
            for object_id, producer, version_key, body in result:
                found.setdefault(object_id, (producer, {}))[1][version_key] = body
        return found

    def delete_object(self, collection: str, object_id: str, member: str, versions: tuple[str | int, ...],
                      spec_versions: tuple[str, ...] | None, audit: AuditEntry) -> int:
        """Delete the member's own versions of ``object_id`` that match the filters; returns how many."""
        with self.engine.begin() as conn:
            q = ObjectQuery(collection=collection, ids=(object_id,), versions=versions, spec_versions=spec_versions)
            condition = and_(self._filters(hub_objects, q, Viewer(member, frozenset())),
                             hub_objects.c.producer == member)
            pks = list(conn.execute(select(hub_objects.c.pk).where(condition)).scalars())
            for start in range(0, len(pks), _IN_CHUNK):
                chunk = pks[start:start + _IN_CHUNK]
                conn.execute(delete(hub_object_groups).where(hub_object_groups.c.object_pk.in_(chunk)))
                conn.execute(delete(hub_objects).where(hub_objects.c.pk.in_(chunk)))
            audit.object_ids = [object_id] if pks else []
            audit.detail["deleted_versions"] = len(pks)
            conn.execute(insert(hub_audit), audit.row())
        return len(pks)

    def save_status(self, status_id: str, member: str, body: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(hub_status).values(id=status_id, member=member, created=now_us(),
                                                   body=json.dumps(body)))

    def get_status(self, status_id: str, member: str) -> dict[str, Any] | None:
        """The status resource, only for the member who submitted it."""
        with self.engine.connect() as conn:
            body = conn.execute(select(hub_status.c.body).where(hub_status.c.id == status_id,
                                                                hub_status.c.member == member)).scalar()
        return json.loads(body) if body is not None else None

    def append_audit(self, entry: AuditEntry) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(hub_audit), entry.row())

    # -- reads -----------------------------------------------------------------------------------------------

    def _visible(self, table: Any, viewer: Viewer) -> ColumnElement[bool]:
        """TLP on read (tlp.py): public levels to everyone; the rest to the producer and the shared groups."""
        conditions: list[ColumnElement[bool]] = [table.c.tlp <= tlp.PUBLIC_MAX, table.c.producer == viewer.member]
        if viewer.groups:
            conditions.append(exists().where(hub_object_groups.c.object_pk == table.c.pk,
                                             hub_object_groups.c.group_name.in_(sorted(viewer.groups))))
        return or_(*conditions)

    def _filters(self, table: Any, q: ObjectQuery, viewer: Viewer) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = [table.c.collection == q.collection, self._visible(table, viewer)]
        if q.ids is not None:
            conditions.append(table.c.object_id.in_(q.ids))
        if q.types is not None:
            conditions.append(table.c.type.in_(q.types))
        if q.spec_versions is not None:
            conditions.append(table.c.spec_version.in_(q.spec_versions))
        if "all" not in q.versions:
            choices: list[ColumnElement[bool]] = []
            keys = [v for v in q.versions if isinstance(v, int)]
            if keys:
                choices.append(table.c.version_key.in_(keys))
            for edge in ("last", "first"):
                if edge in q.versions:
                    other = hub_objects.alias("other")
                    beyond = other.c.version_key > table.c.version_key if edge == "last" else \
                        other.c.version_key < table.c.version_key
                    peer = [other.c.collection == table.c.collection, other.c.object_id == table.c.object_id,
                            beyond, self._visible(other, viewer)]
                    if q.spec_versions is not None:
                        peer.append(other.c.spec_version.in_(q.spec_versions))
                    choices.append(~exists().where(*peer))
            conditions.append(or_(*choices))
        return and_(*conditions)

    def query(self, q: ObjectQuery, viewer: Viewer, with_body: bool = True) -> Page:
        """The visible rows matching ``q``, in date_added order, at most ``q.limit`` (and whether more follow)."""
        t = hub_objects
        columns = [t.c.object_id, t.c.type, t.c.version, t.c.spec_version, t.c.date_added]
        if with_body:
            columns.append(t.c.body)
        condition = self._filters(t, q, viewer)
        if q.after is not None:
            condition = and_(condition, t.c.date_added > q.after)
        statement = select(*columns).where(condition).order_by(t.c.date_added).limit(q.limit + 1)
        with self.engine.connect() as conn:
            result = conn.execute(statement).all()
        rows = [Row(r[0], r[1], r[2], r[3], r[4], r[5] if with_body else None) for r in result[:q.limit]]
        return Page(rows=rows, more=len(result) > q.limit)

    def visible_exists(self, collection: str, object_id: str, viewer: Viewer) -> bool:
        """Whether any version of ``object_id`` is visible to ``viewer`` (otherwise it is a 404 to them)."""
        t = hub_objects
        with self.engine.connect() as conn:
            return conn.execute(select(t.c.pk).where(t.c.collection == collection, t.c.object_id == object_id,
                                                     self._visible(t, viewer)).limit(1)).first() is not None

    def owner_of(self, collection: str, object_id: str) -> str | None:
        t = hub_objects
        with self.engine.connect() as conn:
            return conn.execute(select(t.c.producer).where(t.c.collection == collection,
                                                           t.c.object_id == object_id).limit(1)).scalar()

    def count(self, collection: str | None = None) -> int:
        """Stored object versions (in one collection, or in all)."""
        statement = select(func.count()).select_from(hub_objects)
        if collection is not None:
            statement = statement.where(hub_objects.c.collection == collection)
        with self.engine.connect() as conn:
            return int(conn.execute(statement).scalar_one())


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()
