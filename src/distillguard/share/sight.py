"""Feedback on peers' indicators: "we see it too" (a STIX sighting) and "this is a false positive" (an opinion).

A sighting refreshes the indicator's decay clock in every member's store (``IndicatorStore.indicators``
counts age from the latest sighting); an opinion of ``disagree`` / ``strongly-disagree`` tells the
publisher and the other members that the indicator misfired here. Neither carries anything about our
accounts beyond a count and a time window.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from distillguard.errors import ConfigError
from distillguard.share.publish import NAMESPACE, stix_time, tlp_marking

OPINIONS: Final = ("strongly-disagree", "disagree", "neutral", "agree", "strongly-agree")


def sighting_bundle(indicator_id: str, *, publisher: str, count: int, first_seen: str | None = None,
                    last_seen: str | None = None, opinion: str | None = None, explanation: str = "",
                    tlp: str = "amber") -> dict[str, Any]:
    """A bundle with our identity, a sighting of ``indicator_id`` (when ``count`` > 0) and an optional opinion."""
    if not indicator_id.startswith("indicator--"):
        raise ConfigError(f"{indicator_id!r} is not an indicator id (indicator--<uuid>)")
    if opinion is not None and opinion not in OPINIONS:
        raise ConfigError(f"opinion must be one of {', '.join(OPINIONS)}, got {opinion!r}")
    if count < 0:
        raise ConfigError(f"count must be >= 0, got {count}")
    now = stix_time()
    marking = tlp_marking(tlp)
    identity = f"identity--{uuid.uuid5(NAMESPACE, publisher)}"
    common = {"spec_version": "2.1", "created": now, "modified": now, "created_by_ref": identity,
              "object_marking_refs": [marking["id"]]}
    objects: list[dict[str, Any]] = [marking, {"type": "identity", "id": identity, "name": publisher,
                                               "identity_class": "organization", **common}]
    if count > 0:
        sighting: dict[str, Any] = {"type": "sighting", "id": f"sighting--{uuid.uuid4()}",
                                    "sighting_of_ref": indicator_id, "count": count,
                                    "where_sighted_refs": [identity], **common}
        sighting["first_seen"] = first_seen or now
        sighting["last_seen"] = last_seen or now
        objects.append(sighting)
    if opinion is not None:
        op: dict[str, Any] = {"type": "opinion", "id": f"opinion--{uuid.uuid4()}", "opinion": opinion,
                              "object_refs": [indicator_id], **common}
        if explanation:
            op["explanation"] = explanation
        objects.append(op)
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
