"""The audit log: every request to the hub, read or write, as one row of ``hub_audit``.

A row holds the time (microseconds), the member (empty for a request that did not authenticate), the
method and path with its query, the collection, the HTTP status, the object ids read or written, and a
small detail record (the status id of a submission, failures, the reason of a refusal). Never a key, never
an object's content.

Append-only: the hub's code only ever INSERTs into ``hub_audit`` (there is no update or delete path), and the
database refuses UPDATE and DELETE on it (triggers; in PostgreSQL also TRUNCATE). No endpoint serves it to
members; the operator reads it with ``distillguard hub audit``. A write's audit row is committed in the same
transaction as the write itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from distillguard.share.hub.timestamps import format_us, now_us

if TYPE_CHECKING:
    from distillguard.share.hub.store import HubStore


@dataclass
class AuditEntry:
    """One row of the audit log."""

    member: str | None
    method: str
    path: str
    status: int
    collection: str | None = None
    object_ids: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    at: int = field(default_factory=now_us)

    def row(self) -> dict[str, Any]:
        return {"at": self.at, "member": self.member, "method": self.method, "path": self.path,
                "collection": self.collection, "status": self.status,
                "object_ids": json.dumps(self.object_ids), "detail": json.dumps(self.detail, sort_keys=True)}


def read_audit(store: HubStore, member: str | None = None, since: int | None = None,
               limit: int | None = None) -> Iterator[dict[str, Any]]:
    """The audit log in order, for the operator: one dict per row (``at`` as an RFC 3339 timestamp)."""
    from sqlalchemy import select

    from distillguard.share.hub.store import hub_audit

    statement = select(hub_audit).order_by(hub_audit.c.seq)
    if member is not None:
        statement = statement.where(hub_audit.c.member == member)
    if since is not None:
        statement = statement.where(hub_audit.c.at >= since)
    if limit is not None:
        statement = statement.limit(limit)
    with store.engine.connect() as conn:
        for row in conn.execute(statement).mappings():
            yield {"seq": row["seq"], "at": format_us(row["at"]), "member": row["member"], "method": row["method"],
                   "path": row["path"], "collection": row["collection"], "status": row["status"],
                   "object_ids": json.loads(row["object_ids"]), "detail": json.loads(row["detail"])}
