"""TLP 2.0 on the hub: which level an object carries, and who may receive it.

The rule the hub enforces on every read (objects, an object by id, versions, manifest):

- ``clear`` / ``green`` (and TLP 1.0 ``white`` / ``green``): every member with read rights on the collection;
- ``amber`` / ``amber+strict`` (and TLP 1.0 ``amber``): only members of the sharing groups the object was
  shared with (named at submission, see ``docs/hub.md``; by default the producer's own groups), and the
  producer;
- ``red`` (TLP 2.0 or 1.0): never leaves the producer, so the hub refuses it at submission.

An object's level is the strictest TLP marking among its ``object_marking_refs`` and the ``marking_ref`` of
its ``granular_markings``; an object with none gets the hub's ``default_tlp``. The marking-definition
objects of TLP itself are public (``clear``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

# Levels in the order they tighten; stored as these integers.
CLEAR: Final = 0
GREEN: Final = 1
AMBER: Final = 2
AMBER_STRICT: Final = 3
RED: Final = 4

NAMES: Final[dict[str, int]] = {"clear": CLEAR, "white": CLEAR, "green": GREEN, "amber": AMBER,
                                "amber+strict": AMBER_STRICT, "red": RED}
LEVEL_NAMES: Final[dict[int, str]] = {CLEAR: "clear", GREEN: "green", AMBER: "amber",
                                      AMBER_STRICT: "amber+strict", RED: "red"}

TLP2_EXTENSION: Final = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

# The published marking-definition ids: TLP 2.0 (extension above) and TLP 1.0 (predefined by STIX 2.1).
MARKINGS: Final[dict[str, int]] = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": CLEAR,  # TLP:CLEAR
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": GREEN,  # TLP:GREEN
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": AMBER,  # TLP:AMBER
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": AMBER_STRICT,  # TLP:AMBER+STRICT
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": RED,  # TLP:RED
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": CLEAR,  # TLP 1.0 WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": GREEN,  # TLP 1.0 GREEN
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": AMBER,  # TLP 1.0 AMBER
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": RED,  # TLP 1.0 RED
}
MARKING_IDS: Final[dict[int, str]] = {
    CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

# Levels every member with read rights receives; above this, only the sharing groups (and the producer).
PUBLIC_MAX: Final = GREEN


def parse_level(name: str) -> int:
    """``"amber"`` -> AMBER; raises ValueError listing the accepted names."""
    try:
        return NAMES[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown TLP level {name!r}; expected one of {', '.join(NAMES)}") from None


def level_of(obj: Mapping[str, Any], default: int) -> int:
    """The strictest TLP level marked on ``obj`` (object and granular markings), or ``default`` when it has
    none. The TLP marking-definitions themselves are ``CLEAR``."""
    if obj.get("type") == "marking-definition" and obj.get("id") in MARKINGS:
        return CLEAR
    refs: list[Any] = list(obj.get("object_marking_refs") or [])
    for granular in obj.get("granular_markings") or []:
        if isinstance(granular, Mapping):
            refs.append(granular.get("marking_ref"))
    levels = [MARKINGS[r] for r in refs if isinstance(r, str) and r in MARKINGS]
    return max(levels) if levels else default
