"""The hub's rules for a submitted object, between STIX validation and the store: its TLP level, who it is
shared with, and (for an anonymous submission) its re-attribution to the member's pseudonym.

Sharing groups. A TLP:AMBER or AMBER+STRICT object is shared with the groups named, in this order, by
the object's ``x_distillguard_sharing_groups`` property (a list of group names; the hub removes it before
storing, so recipients never see the audience), by the request header ``X-Distillguard-Sharing-Groups``
(comma-separated), or else by the producer's own groups. A producer can only name groups it belongs to.

Anonymity. With the request header ``X-Distillguard-Anonymous: 1``, or always for a member configured with
``anonymous: true``, the hub

- sets ``created_by_ref`` of every object that has ``created`` (SDOs, SROs, marking-definitions, custom
  objects) to the member's pseudonymous identity;
- replaces every ``*_ref`` / ``*_refs`` value equal to the member's configured ``identity`` with the pseudonym
  (so a sighting's ``where_sighted_refs`` does not name it either);
- withholds the member's own identity object, if the envelope carries it (reported as a success with a
  message, not stored);
- stores a bare identity object for the pseudonym (``identity_class: unknown``, TLP:CLEAR) so references
  resolve.

The pseudonym is ``identity--<uuid>`` where the UUID is the first 16 bytes of
HMAC-SHA256(hub secret, "distillguard-hub pseudonym v1" || member name), with the version-4 bits set. The
hub secret is 32 random bytes made when the database is created and kept in it (table ``hub_meta``), never
served. So a member's pseudonym is stable (the same for every anonymous submission, to every collection,
for the life of the database), and no one without the secret can tell whose it is or link it to the
member's named submissions. The audit log keeps the real member, for the hub operator only.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

from distillguard.share.hub import tlp
from distillguard.share.hub.config import MemberConfig
from distillguard.share.hub.timestamps import parse_us
from distillguard.share.hub.validate import InvalidObject, ValidObject

SHARING_GROUPS_PROPERTY = "x_distillguard_sharing_groups"
ANONYMOUS_HEADER = "X-Distillguard-Anonymous"
SHARING_GROUPS_HEADER = "X-Distillguard-Sharing-Groups"
PSEUDONYM_CREATED = "2020-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class Submission:
    """Who submits, and how."""

    member: MemberConfig
    anonymous: bool
    header_groups: tuple[str, ...] | None  # from X-Distillguard-Sharing-Groups
    default_tlp: int
    pseudonym: str  # the member's pseudonymous identity id (used only when anonymous)


@dataclass(frozen=True)
class PreparedObject:
    """An object ready for the store."""

    index: int
    id: str
    type: str
    version: str | None
    version_key: int | None
    spec_version: str
    tlp: int
    groups: frozenset[str]
    obj: dict[str, Any]

    @property
    def body(self) -> str:
        return json.dumps(self.obj, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class WithheldObject:
    """Accepted but deliberately not stored (the member's own identity in an anonymous submission)."""

    index: int
    id: str
    version: str
    message: str


def pseudonym_for(secret: bytes, member: str) -> str:
    """The member's stable pseudonymous identity id (see the module docstring)."""
    digest = hmac.new(secret, b"distillguard-hub pseudonym v1\x00" + member.encode(), hashlib.sha256).digest()
    return f"identity--{uuid.UUID(bytes=digest[:16], version=4)}"


def pseudonym_identity(pseudonym: str) -> PreparedObject:
    """The bare identity object stored for a pseudonym (public: it says nothing about the member)."""
    obj = {"type": "identity", "spec_version": "2.1", "id": pseudonym, "created": PSEUDONYM_CREATED,
           "modified": PSEUDONYM_CREATED, "name": f"anonymous member {pseudonym[10:18]}", "identity_class": "unknown",
           "object_marking_refs": [tlp.MARKING_IDS[tlp.CLEAR]]}
    return PreparedObject(index=-1, id=pseudonym, type="identity", version=PSEUDONYM_CREATED,
                          version_key=parse_us(PSEUDONYM_CREATED), spec_version="2.1", tlp=tlp.CLEAR,
                          groups=frozenset(), obj=obj)


def prepare(valid: ValidObject, submission: Submission) -> PreparedObject | WithheldObject | InvalidObject:
    """Apply the hub's rules to one valid object: TLP level, audience, anonymity."""
    member = submission.member
    where = f"objects[{valid.index}] ({valid.id})"
    version = valid.version or ""

    def fail(message: str) -> InvalidObject:
        return InvalidObject(valid.index, valid.id, version, f"{where}: {message}")

    level = tlp.level_of(valid.obj, submission.default_tlp)
    if level == tlp.RED:
        return fail("marked TLP:RED, which never leaves the producer: the hub does not accept it")
    obj = copy.deepcopy(valid.obj)
    named = obj.pop(SHARING_GROUPS_PROPERTY, None)
    if named is not None and (not isinstance(named, list) or not all(isinstance(g, str) for g in named)):
        return fail(f"{SHARING_GROUPS_PROPERTY} must be a list of group names")
    groups: frozenset[str] = frozenset()
    if level > tlp.PUBLIC_MAX:
        chosen = named if named is not None else submission.header_groups
        if chosen is None:
            chosen = sorted(member.groups)
        for g in chosen:
            if g not in member.groups:
                return fail(f"cannot share with group {g!r}: you are not a member of it (or it does not exist)")
        if not chosen:
            return fail(f"TLP:{tlp.LEVEL_NAMES[level].upper()} is shared with sharing groups, and you are in none; "
                        "mark it TLP:GREEN or CLEAR, or ask the hub operator to add you to a group")
        groups = frozenset(chosen)
    if submission.anonymous:
        if member.identity is not None and valid.id == member.identity:
            return WithheldObject(valid.index, valid.id, version,
                                  "withheld: your own identity is not stored with an anonymous submission")
        if member.identity is not None:
            obj = _replace_refs(obj, member.identity, submission.pseudonym)
        if "created" in obj:
            obj["created_by_ref"] = submission.pseudonym
    return PreparedObject(index=valid.index, id=valid.id, type=valid.type, version=valid.version,
                          version_key=valid.version_key, spec_version=valid.spec_version, tlp=level,
                          groups=groups, obj=obj)


def _replace_refs(value: Any, old: str, new: str) -> Any:
    """Replace ``old`` with ``new`` in every ``*_ref`` / ``*_refs`` property, at any depth."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k.endswith("_ref") and v == old:
                out[k] = new
            elif k.endswith("_refs") and isinstance(v, list):
                out[k] = [new if item == old else _replace_refs(item, old, new) for item in v]
            else:
                out[k] = _replace_refs(v, old, new)
        return out
    if isinstance(value, list):
        return [_replace_refs(v, old, new) for v in value]
    return value
