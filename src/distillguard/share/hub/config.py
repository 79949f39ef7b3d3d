"""The hub's configuration: one YAML file with the API roots and collections, the sharing groups and the
members (their key hashes, groups and rights). ``distillguard hub init`` writes a starting file and
``distillguard hub add-member`` adds a member and prints its key once.

    title: Distillation threat-intelligence hub
    contact: hub-ops@example.org
    default_tlp: amber            # level of an object that carries no TLP marking
    page_size: 1000               # default and largest page (the limit parameter)
    max_content_length: 10485760  # largest POST body, bytes
    rate_limit: {requests_per_second: 20, burst: 100}   # per member; a member may override it
    validation_processes: 0       # >1: validate large envelopes in that many processes (STIX validation is
                                  # most of the cost of ingest); 0 or 1: in the server process
    api_roots:
      intel:                      # served at /intel/
        title: Distillation campaigns
        collections:
          indicators:             # the collection's alias
            id: 6e2f5ad3-51f0-4c6f-9a39-3a55a4ef7e41
            title: Indicators of adversarial distillation
    groups:
      frontier-labs: Providers of frontier models   # name: description
    members:
      provider-a:
        groups: [frontier-labs]
        read: ["*"]               # collection aliases or ids, or "*"
        write: [indicators]
        anonymous: false          # true: every submission is re-attributed to the member's pseudonym
        identity: identity--...   # optional: the member's own STIX identity (replaced in anonymous submissions)
        key_id: 3f9a0c1d2e4b
        key_salt: ...
        key_hash: ...
        client_cert_sha256: [9c1e...]   # optional: the member must also present one of these client
                                        # certificates (mTLS; SHA-256 of the DER certificate, see tls.py)

``HubConfig.from_yaml(path)`` checks it: an unknown key, a wrong type, an unknown group or collection raises
ConfigError naming the file and the key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from distillguard.errors import ConfigError
from distillguard.share.hub import tlp
from distillguard.share.hub.auth import KeyRecord
from distillguard.share.hub.certs import normalise_fingerprint

DEFAULT_PAGE_SIZE = 1000
DEFAULT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: ``requests_per_second`` refill, up to ``burst`` requests at once."""

    requests_per_second: float = 20.0
    burst: int = 100


@dataclass(frozen=True)
class CollectionConfig:
    id: str
    alias: str
    title: str
    api_root: str
    description: str = ""


@dataclass(frozen=True)
class ApiRootConfig:
    name: str
    title: str
    description: str = ""
    collections: tuple[CollectionConfig, ...] = ()


@dataclass(frozen=True)
class MemberConfig:
    name: str
    key: KeyRecord | None = None
    groups: frozenset[str] = frozenset()
    read: frozenset[str] = frozenset()  # collection ids (resolved from aliases and "*")
    write: frozenset[str] = frozenset()
    anonymous: bool = False
    identity: str | None = None
    rate_limit: RateLimit | None = None
    client_certs: frozenset[str] = frozenset()  # SHA-256 fingerprints; when any, a request must present one


@dataclass(frozen=True)
class HubConfig:
    title: str = "distillguard threat-intelligence hub"
    description: str = ""
    contact: str = ""
    default_tlp: int = tlp.AMBER
    page_size: int = DEFAULT_PAGE_SIZE
    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH
    rate_limit: RateLimit = field(default_factory=RateLimit)
    validation_processes: int = 0
    api_roots: tuple[ApiRootConfig, ...] = ()
    groups: dict[str, str] = field(default_factory=dict)
    members: dict[str, MemberConfig] = field(default_factory=dict)
    # Member rights as written (aliases, ids, "*"), kept so that to_dict() writes back what was read.
    raw_rights: dict[str, dict[str, list[str]]] = field(default_factory=dict, repr=False)

    @property
    def collections(self) -> dict[str, CollectionConfig]:
        """Every collection by id."""
        return {c.id: c for root in self.api_roots for c in root.collections}

    def member_by_key_id(self, key_id: str) -> MemberConfig | None:
        for member in self.members.values():
            if member.key is not None and member.key.key_id == key_id:
                return member
        return None

    @classmethod
    def from_yaml(cls, path: Path) -> HubConfig:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the hub config: {exc.strerror or exc}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str = "<config>") -> HubConfig:
        r = _Reader(source)
        top = r.mapping(data, "")
        r.known(top, "", {"title", "description", "contact", "default_tlp", "page_size", "max_content_length",
                          "rate_limit", "validation_processes", "api_roots", "groups", "members"})
        try:
            default_tlp = tlp.parse_level(r.string(top.get("default_tlp", "amber"), "default_tlp"))
        except ValueError as exc:
            raise ConfigError(f"{source}: default_tlp: {exc}") from None
        if default_tlp == tlp.RED:
            raise ConfigError(f"{source}: default_tlp: red is not accepted (TLP:RED never leaves the producer)")
        roots: list[ApiRootConfig] = []
        aliases: dict[str, str] = {}
        for name, root in r.mapping(top.get("api_roots", {}), "api_roots").items():
            where = f"api_roots.{name}"
            if not isinstance(name, str) or not name.replace("-", "").replace("_", "").isalnum() or name == "taxii2":
                raise ConfigError(f"{source}: {where}: an API root name is letters, digits, - and _ (not taxii2)")
            root = r.mapping(root, where)
            r.known(root, where, {"title", "description", "collections"})
            collections = []
            for alias, coll in r.mapping(root.get("collections", {}), f"{where}.collections").items():
                cwhere = f"{where}.collections.{alias}"
                coll = r.mapping(coll, cwhere)
                r.known(coll, cwhere, {"id", "title", "description"})
                cid = r.string(coll.get("id"), f"{cwhere}.id")
                try:
                    cid = str(uuid.UUID(cid))
                except ValueError:
                    raise ConfigError(f"{source}: {cwhere}.id: {cid!r} is not a UUID") from None
                if str(alias) in aliases or cid in aliases.values():
                    raise ConfigError(f"{source}: {cwhere}: the alias and id must be unique in the hub")
                aliases[str(alias)] = cid
                collections.append(CollectionConfig(id=cid, alias=str(alias), api_root=name,
                                                    title=r.string(coll.get("title", alias), f"{cwhere}.title"),
                                                    description=r.string(coll.get("description", ""),
                                                                         f"{cwhere}.description")))
            roots.append(ApiRootConfig(name=name, title=r.string(root.get("title", name), f"{where}.title"),
                                       description=r.string(root.get("description", ""), f"{where}.description"),
                                       collections=tuple(collections)))
        groups = {str(k): str(v or "") for k, v in r.mapping(top.get("groups", {}), "groups").items()}
        ids = set(aliases.values())
        members: dict[str, MemberConfig] = {}
        raw_rights: dict[str, dict[str, list[str]]] = {}
        for name, m in r.mapping(top.get("members", {}), "members").items():
            where = f"members.{name}"
            m = r.mapping(m, where)
            r.known(m, where, {"groups", "read", "write", "anonymous", "identity", "rate_limit", "key_id",
                               "key_salt", "key_hash", "client_cert_sha256"})
            member_groups = r.strings(m.get("groups", []), f"{where}.groups")
            for g in member_groups:
                if g not in groups:
                    raise ConfigError(f"{source}: {where}.groups: unknown group {g!r} (declare it under groups:)")
            rights = {}
            resolved = {}
            for right in ("read", "write"):
                names = r.strings(m.get(right, []), f"{where}.{right}")
                rights[right] = names
                chosen: set[str] = set()
                for n in names:
                    if n == "*":
                        chosen |= ids
                    elif n in aliases:
                        chosen.add(aliases[n])
                    elif n in ids:
                        chosen.add(n)
                    else:
                        raise ConfigError(f"{source}: {where}.{right}: unknown collection {n!r}")
                resolved[right] = frozenset(chosen)
            key = None
            if any(k in m for k in ("key_id", "key_salt", "key_hash")):
                key = KeyRecord(key_id=r.string(m.get("key_id"), f"{where}.key_id"),
                                key_salt=r.string(m.get("key_salt"), f"{where}.key_salt"),
                                key_hash=r.string(m.get("key_hash"), f"{where}.key_hash"))
            identity = m.get("identity")
            if identity is not None and not (isinstance(identity, str) and identity.startswith("identity--")):
                raise ConfigError(f"{source}: {where}.identity: expected a STIX identity id (identity--...)")
            members[str(name)] = MemberConfig(
                name=str(name), key=key, groups=frozenset(member_groups), read=resolved["read"],
                write=resolved["write"], anonymous=r.boolean(m.get("anonymous", False), f"{where}.anonymous"),
                identity=identity,
                rate_limit=r.rate_limit(m["rate_limit"], f"{where}.rate_limit") if "rate_limit" in m else None,
                client_certs=r.fingerprints(m.get("client_cert_sha256", []), f"{where}.client_cert_sha256"))
            raw_rights[str(name)] = rights
        key_ids = [m.key.key_id for m in members.values() if m.key is not None]
        if len(key_ids) != len(set(key_ids)):
            raise ConfigError(f"{source}: members: two members share a key_id")
        return cls(
            title=r.string(top.get("title", cls.title), "title"),
            description=r.string(top.get("description", ""), "description"),
            contact=r.string(top.get("contact", ""), "contact"),
            default_tlp=default_tlp,
            page_size=r.positive_int(top.get("page_size", DEFAULT_PAGE_SIZE), "page_size"),
            max_content_length=r.positive_int(top.get("max_content_length", DEFAULT_MAX_CONTENT_LENGTH),
                                              "max_content_length"),
            rate_limit=r.rate_limit(top.get("rate_limit", {}), "rate_limit"),
            validation_processes=r.count(top.get("validation_processes", 0), "validation_processes"),
            api_roots=tuple(roots), groups=groups, members=members, raw_rights=raw_rights)

    def to_dict(self) -> dict[str, Any]:
        """The YAML-ready form (what from_dict reads back)."""
        members: dict[str, Any] = {}
        for name, m in self.members.items():
            rights = self.raw_rights.get(name, {})
            entry: dict[str, Any] = {"groups": sorted(m.groups), "read": rights.get("read", []),
                                     "write": rights.get("write", [])}
            if m.anonymous:
                entry["anonymous"] = True
            if m.identity:
                entry["identity"] = m.identity
            if m.rate_limit is not None:
                entry["rate_limit"] = {"requests_per_second": m.rate_limit.requests_per_second,
                                       "burst": m.rate_limit.burst}
            if m.key is not None:
                entry.update(key_id=m.key.key_id, key_salt=m.key.key_salt, key_hash=m.key.key_hash)
            if m.client_certs:
                entry["client_cert_sha256"] = sorted(m.client_certs)
            members[name] = entry
        return {
            "title": self.title, "description": self.description, "contact": self.contact,
            "default_tlp": tlp.LEVEL_NAMES[self.default_tlp], "page_size": self.page_size,
            "max_content_length": self.max_content_length,
            "rate_limit": {"requests_per_second": self.rate_limit.requests_per_second,
                           "burst": self.rate_limit.burst},
            "validation_processes": self.validation_processes,
            "api_roots": {root.name: {"title": root.title, "description": root.description,
                                      "collections": {c.alias: {"id": c.id, "title": c.title,
                                                                "description": c.description}
                                                      for c in root.collections}}
                          for root in self.api_roots},
            "groups": dict(self.groups),
            "members": members,
        }

    def save(self, path: Path) -> None:
        """Write the config (atomically: a temporary file renamed over the old one)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True))
        tmp.replace(path)

    def with_member(self, member: MemberConfig, read: list[str], write: list[str]) -> HubConfig:
        """A copy with ``member`` added or replaced (rights given as written: aliases, ids or "*")."""
        data = self.to_dict()
        entry: dict[str, Any] = {"groups": sorted(member.groups), "read": read, "write": write}
        if member.anonymous:
            entry["anonymous"] = True
        if member.identity:
            entry["identity"] = member.identity
        if member.key is not None:
            entry.update(key_id=member.key.key_id, key_salt=member.key.key_salt, key_hash=member.key.key_hash)
        if member.client_certs:
            entry["client_cert_sha256"] = sorted(member.client_certs)
        data["members"][member.name] = entry
        return HubConfig.from_dict(data)

    def with_key(self, name: str, key: KeyRecord) -> HubConfig:
        """A copy where member ``name`` has the new key ``key`` (the old one stops working)."""
        members = dict(self.members)
        members[name] = replace(members[name], key=key)
        return replace(self, members=members)

    def with_client_certs(self, name: str, fingerprints: frozenset[str]) -> HubConfig:
        """A copy where member ``name`` must present one of these client certificates (none: key alone)."""
        members = dict(self.members)
        members[name] = replace(members[name], client_certs=fingerprints)
        return replace(self, members=members)


def starter_config(title: str = "distillguard threat-intelligence hub") -> HubConfig:
    """A first config: one API root ``intel`` with one collection ``indicators`` and one group."""
    return HubConfig.from_dict({
        "title": title,
        "api_roots": {"intel": {"title": "Distillation campaigns", "collections": {
            "indicators": {"id": str(uuid.uuid4()), "title": "Indicators of adversarial distillation",
                           "description": "Campaigns, infrastructure, behaviour signatures and sightings"}}}},
        "groups": {"consortium": "Every provider in the consortium"},
    })


class _Reader:
    """Typed reads from parsed YAML that name the file and key on error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {where or 'top level'}: {message}")

    def mapping(self, value: Any, where: str) -> dict[Any, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {type(value).__name__}")
        return value

    def known(self, value: dict[Any, Any], where: str, keys: set[str]) -> None:
        unknown = sorted(str(k) for k in value if k not in keys)
        if unknown:
            raise self.fail(where, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(keys))})")

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, got {type(value).__name__}")
        return value

    def strings(self, value: Any, where: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(where, "expected a list of strings")
        return list(value)

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, "expected true or false")
        return value

    def positive_int(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.fail(where, "expected a positive integer")
        return value

    def count(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(where, "expected an integer >= 0")
        return value

    def fingerprints(self, value: Any, where: str) -> frozenset[str]:
        found = set()
        for item in self.strings(value, where):
            try:
                found.add(normalise_fingerprint(item))
            except ValueError as exc:
                raise self.fail(where, str(exc)) from None
        return frozenset(found)

    def rate_limit(self, value: Any, where: str) -> RateLimit:
        value = self.mapping(value, where)
        self.known(value, where, {"requests_per_second", "burst"})
        rate = value.get("requests_per_second", RateLimit.requests_per_second)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
            raise self.fail(f"{where}.requests_per_second", "expected a positive number")
        return RateLimit(requests_per_second=float(rate),
                         burst=self.positive_int(value.get("burst", RateLimit.burst), f"{where}.burst"))
