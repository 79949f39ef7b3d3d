"""STIX 2.1 validation of what members submit.

Every object of an envelope is checked on its own, so one bad object never sinks the others:

- the ``stix2`` library parses it (``allow_custom=True``, STIX 2.1), which checks the required properties,
  types, identifiers, timestamps and STIX patterns of every type the specification defines;
- an object of a type ``stix2`` does not know (a custom object, usually declared by an extension-definition
  with ``extension_type`` ``new-sdo`` / ``new-sro`` / ``new-sco``) must still have a valid ``type``, an ``id``
  of that type, ``spec_version`` ``2.1`` and, unless it is a new SCO, ``created`` and ``modified``
  timestamps with ``modified`` not before ``created``.

A problem is reported as ``objects[<index>] (<id>): <what is wrong>``.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from distillguard.share.hub.timestamps import parse_us

_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
_SCO_EXTENSION_TYPES = {"new-sco"}


class EnvelopeError(Exception):
    """The request body as a whole is not a TAXII envelope (or STIX bundle); carries the HTTP status."""

    def __init__(self, status: int, title: str, description: str) -> None:
        super().__init__(f"{title}: {description}")
        self.status = status
        self.title = title
        self.description = description


@dataclass(frozen=True)
class ValidObject:
    index: int
    obj: dict[str, Any]
    id: str
    type: str
    version: str | None  # modified, else created; None for an unversioned object (most SCOs)
    version_key: int | None  # the version in microseconds since the epoch
    spec_version: str


@dataclass(frozen=True)
class InvalidObject:
    index: int
    id: str
    version: str
    message: str


def read_envelope(body: bytes) -> list[Any]:
    """The ``objects`` of a TAXII envelope (or of a STIX bundle, which some clients send). Raises
    EnvelopeError (400) when the body is not JSON or not such an object."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EnvelopeError(400, "Request body is not JSON", str(exc)) from None
    if not isinstance(data, dict):
        raise EnvelopeError(400, "Request body is not a TAXII envelope",
                            f"expected a JSON object with an 'objects' list, got {type(data).__name__}")
    objects = data.get("objects", [])
    if not isinstance(objects, list):
        raise EnvelopeError(400, "Request body is not a TAXII envelope", "'objects' must be a list")
    return objects


def validate_object(index: int, obj: Any) -> ValidObject | InvalidObject:
    """Check one submitted object; the result says what is wrong, naming the index and the id."""
    import stix2
    from stix2.registry import class_for_type

    if not isinstance(obj, dict):
        return InvalidObject(index, "", "", f"objects[{index}]: expected a JSON object, got {type(obj).__name__}")
    raw_id = obj.get("id")
    shown_id = raw_id if isinstance(raw_id, str) else ""
    shown_version = obj.get("modified") or obj.get("created") or ""
    shown_version = shown_version if isinstance(shown_version, str) else ""

    def fail(message: str) -> InvalidObject:
        where = f"objects[{index}] ({shown_id})" if shown_id else f"objects[{index}]"
        return InvalidObject(index, shown_id, shown_version, f"{where}: {message}")

    stix_type = obj.get("type")
    if not isinstance(stix_type, str) or not stix_type:
        return fail("missing required property 'type'")
    if not isinstance(raw_id, str) or not raw_id:
        return fail(f"{stix_type}: missing required property 'id'")
    if stix_type == "bundle":
        return fail("a bundle cannot be stored as an object; send its objects")
    problem = _check_id(stix_type, raw_id)
    if problem:
        return fail(f"{stix_type}: {problem}")
    known = class_for_type(stix_type, "2.1") is not None
    if known:
        try:
            stix2.parse(obj, allow_custom=True, version="2.1")
        except Exception as exc:  # the stix2 library raises many kinds; each message names the property
            return fail(f"{stix_type}: {exc}")
    else:
        problem = _check_custom(stix_type, obj)
        if problem:
            return fail(f"{stix_type}: {problem}")
    spec_version = obj.get("spec_version", "2.1")
    if spec_version != "2.1":
        return fail(f"{stix_type}: spec_version must be '2.1', got {spec_version!r}")
    version = obj.get("modified") or obj.get("created")
    version_key = None
    if isinstance(version, str):
        try:
            version_key = parse_us(version)
        except ValueError as exc:
            return fail(f"{stix_type}: version: {exc}")
    return ValidObject(index=index, obj=obj, id=raw_id, type=stix_type,
                       version=version if isinstance(version, str) else None, version_key=version_key,
                       spec_version="2.1")


def _check_id(stix_type: str, object_id: str) -> str | None:
    prefix, sep, rest = object_id.partition("--")
    if not sep or prefix != stix_type:
        return f"id {object_id!r} must start with '{stix_type}--'"
    try:
        uuid.UUID(rest)
    except ValueError:
        return f"id {object_id!r} must end in a UUID"
    return None


def _check_custom(stix_type: str, obj: dict[str, Any]) -> str | None:
    """Required properties of an object of a type the stix2 library does not define."""
    if not _TYPE.match(stix_type):
        return "a type is 3 to 250 characters of a-z, 0-9 and '-'"
    if "spec_version" not in obj:
        return "missing required property 'spec_version'"
    extension_types = {ext.get("extension_type") for ext in (obj.get("extensions") or {}).values()
                       if isinstance(ext, dict)}
    if extension_types & _SCO_EXTENSION_TYPES:
        return None
    stamps: dict[str, int] = {}
    for name in ("created", "modified"):
        value = obj.get(name)
        if value is None:
            return f"missing required property {name!r} (required of every object that is not a new SCO)"
        if not isinstance(value, str):
            return f"{name!r} must be a timestamp string"
        try:
            stamps[name] = parse_us(value)
        except ValueError as exc:
            return f"{name!r}: {exc}"
    if stamps["modified"] < stamps["created"]:
        return "'modified' must not be earlier than 'created'"
    return None
