"""The sharing policy: an allowlist every bundle passes before it leaves. Default: threat data only.

A bundle is refused, with the offending path named (``objects[3].x_price``), when it holds

- an object type or a property the allowlist does not name (prices, customer names, revenue, account
  ids... have no property to travel in);
- an extension other than distillguard's own, or a property inside it that is not listed;
- anywhere in any string: an email address, an IPv4 or IPv6 address (those are matched only by private
  set intersection, never published), or any text the caller declares private (e.g. every raw prompt
  of the scanned logs, customer names);
- a free-text value (name, description, ...) longer than ``max_text_chars``.

The allowlist can be narrowed or widened in YAML (``types: {indicator: [name, pattern, ...]}``,
``max_text_chars``, ``deny_terms``); widening is the sharing group's decision, in writing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from distillguard.errors import DistillguardError

COMMON: Final = frozenset({"type", "spec_version", "id", "created", "modified", "created_by_ref",
                           "object_marking_refs", "labels", "confidence", "external_references", "revoked",
                           "lang", "extensions"})

DEFAULT_TYPES: Final[dict[str, frozenset[str]]] = {
    "identity": frozenset({"name", "identity_class", "description"}),
    "attack-pattern": frozenset({"name", "description", "aliases", "kill_chain_phases"}),
    "campaign": frozenset({"name", "description", "aliases", "first_seen", "last_seen", "objective"}),
    "intrusion-set": frozenset({"name", "description", "aliases", "first_seen", "last_seen", "goals",
                                "resource_level", "primary_motivation"}),
    "infrastructure": frozenset({"name", "description", "infrastructure_types", "first_seen", "last_seen"}),
    "indicator": frozenset({"name", "description", "indicator_types", "pattern", "pattern_type",
                            "pattern_version", "valid_from", "valid_until", "kill_chain_phases"}),
    "relationship": frozenset({"relationship_type", "source_ref", "target_ref", "description", "start_time",
                               "stop_time"}),
    "sighting": frozenset({"sighting_of_ref", "count", "first_seen", "last_seen", "observed_data_refs",
                           "where_sighted_refs", "summary", "description"}),
    "opinion": frozenset({"opinion", "explanation", "object_refs", "authors"}),
    "observed-data": frozenset({"first_observed", "last_observed", "number_observed", "object_refs"}),
    "autonomous-system": frozenset({"number", "name", "rir"}),
    "marking-definition": frozenset({"name", "definition_type", "definition"}),
    "extension-definition": frozenset({"name", "description", "schema", "version", "extension_types",
                                       "extension_properties"}),
}
#: Properties distillguard's extension may carry on an indicator (see share/publish.py).
EXTENSION_PROPERTIES: Final = frozenset({"extension_type", "kind", "key_id", "digests", "bands", "accounts",
                                         "signature", "atlas", "decay_days", "first_seen", "last_seen"})
#: The STIX TLP 2.0 extension: allowed on marking-definition objects, with only its own property.
TLP_EXTENSION_ID: Final = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
FREE_TEXT: Final = frozenset({"name", "description", "summary", "explanation", "objective"})

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])")
# Full form (6-8 groups) or the compressed form with "::" and at least one group; not clock times (00:00:00).
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:(?:[0-9A-Fa-f]{1,4}:){5,7}[0-9A-Fa-f]{1,4}"
                   r"|(?:[0-9A-Fa-f]{1,4}:)*[0-9A-Fa-f]{1,4}::(?:[0-9A-Fa-f]{1,4}:)*[0-9A-Fa-f]{0,4}"
                   r"|::[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)(?![0-9A-Fa-f:])")


class SharingRefused(DistillguardError):
    """A bundle broke the sharing policy; ``path`` names the offending place."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"refused to share: {path}: {reason}")


@dataclass(frozen=True)
class SharingPolicy:
    types: dict[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULT_TYPES))
    extension_id: str | None = None  # distillguard's extension-definition id, the only extension allowed
    max_text_chars: int = 300
    deny_terms: frozenset[str] = frozenset()  # e.g. customer names, product code names (case-insensitive)


def load_sharing_policy(path: str | Path | None) -> SharingPolicy:
    """Read a YAML sharing policy (None: the default allowlist)."""
    from distillguard.errors import ConfigError

    if path is None:
        return SharingPolicy()
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{p}: cannot read the sharing policy: {exc}") from exc
    unknown = set(data) - {"types", "max_text_chars", "deny_terms"}
    if unknown:
        raise ConfigError(f"{p}: unknown key(s) {', '.join(sorted(unknown))}; known: types, max_text_chars, "
                          f"deny_terms")
    types = data.get("types", DEFAULT_TYPES)
    if not isinstance(types, dict) or not all(isinstance(v, list | frozenset) for v in types.values()):
        raise ConfigError(f"{p}: types must map an object type to a list of property names")
    return SharingPolicy(types={k: frozenset(v) for k, v in types.items()},
                         max_text_chars=int(data.get("max_text_chars", 300)),
                         deny_terms=frozenset(str(t).lower() for t in data.get("deny_terms", [])))


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def check_bundle(bundle: dict[str, Any], policy: SharingPolicy, *, private_texts: Iterable[str] = (),
                 private_hashes: set[int] | None = None) -> None:
    """Raise SharingRefused at the first thing ``bundle`` may not carry; return None when it may leave.

    ``private_texts`` are strings that must not appear; ``private_hashes`` the same as
    ``hash_strings(texts, width=128)`` values (how a scan's millions of raw prompts are declared private
    without holding them): a bundle string hashing to one of them is refused."""
    if bundle.get("type") != "bundle" or not isinstance(bundle.get("objects"), list):
        raise SharingRefused("bundle", "not a STIX bundle with an objects list")
    unknown_top = set(bundle) - {"type", "id", "objects"}
    if unknown_top:
        raise SharingRefused(f"bundle.{sorted(unknown_top)[0]}", "not a bundle property")
    private = {t for t in private_texts if len(t) >= 8}
    for i, obj in enumerate(bundle["objects"]):
        where = f"objects[{i}]"
        kind = obj.get("type")
        allowed = policy.types.get(kind)
        if allowed is None:
            raise SharingRefused(f"{where}.type", f"object type {kind!r} is not on the sharing allowlist")
        for prop in obj:
            if prop not in COMMON and prop not in allowed:
                raise SharingRefused(f"{where}.{prop}", f"property not on the allowlist for {kind}")
        for ext_id, ext in (obj.get("extensions") or {}).items():
            if ext_id == TLP_EXTENSION_ID and kind == "marking-definition" and set(ext) <= {"extension_type",
                                                                                           "tlp_2_0"}:
                continue
            if ext_id != policy.extension_id:
                raise SharingRefused(f"{where}.extensions.{ext_id}", "only distillguard's extension may travel")
            for prop in ext:
                if prop not in EXTENSION_PROPERTIES:
                    raise SharingRefused(f"{where}.extensions.{ext_id}.{prop}", "not an extension property")
        strings = list(_strings(obj, where))
        if private_hashes:
            from distillguard.signals.fingerprint import hash_strings

            hashed = hash_strings(pa.array([t for _, t in strings], pa.string()), width=128).tolist()
            for (path, _), h in zip(strings, hashed, strict=True):
                if h in private_hashes:
                    raise SharingRefused(path, "contains text declared private (a raw prompt of the scanned logs)")
        for path, text in strings:
            prop = path.rsplit(".", 1)[-1]
            if prop in FREE_TEXT and len(text) > policy.max_text_chars:
                raise SharingRefused(path, f"free text longer than {policy.max_text_chars} characters")
            if EMAIL.search(text):
                raise SharingRefused(path, "contains an email address")
            if prop not in ("id", "created_by_ref", "source_ref", "target_ref", "sighting_of_ref") and (
                    _IPV4.search(text) or _IPV6.search(text)):
                raise SharingRefused(path, "contains an IP address (matched only by private set intersection)")
            lowered = text.lower()
            if text in private or any(term in lowered for term in policy.deny_terms):
                raise SharingRefused(path, "contains text declared private (a raw prompt or a denied term)")
