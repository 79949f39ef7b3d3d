"""What every simulated behaviour shares: the Behavior interface, the Stream it builds, request helpers.

A behaviour is a parameterised class (parameters in ``__init__``, no logic there). ``build`` creates
the account(s) it drives and returns a :class:`Stream`: their request times, known up front, and a
generator that turns each time into a contract §1 record, in time order. The simulator merges all
streams by time, so a behaviour never has to know about any other.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from distillguard.sim.world import Account, World

Label = Literal["benign", "attack"]


@dataclass
class Stream:
    """The accounts a behaviour drives, their request times (sorted), and the records for those times."""

    accounts: list[Account]
    times: list[int]
    records: Iterator[dict[str, Any]]


class Behavior:
    """Base class: subclasses set ``name``, ``label`` and ``group`` and implement ``build``."""

    name: ClassVar[str]
    label: ClassVar[Label]
    group: ClassVar[bool] = False  # True: one build drives many accounts (a cluster / campaign)

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """The constructor parameters, for scenario.json. A parameter left at None (an optional feature not
        in use) is left out, so adding one does not change the scenario.json of scenarios that do not use it."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_") and v is not None}


# -- request helpers shared by behaviours ------------------------------------------------------------


def user(content: str) -> dict[str, Any]:
    return {"role": "user", "content": content}


def system(content: str) -> dict[str, Any]:
    return {"role": "system", "content": content}


def assistant(content: str) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


def pick_model(world: World, rng: random.Random, ts: int, weights: dict[str, float]) -> str:
    """A model by weight among those already released at ``ts``."""
    names = [m for m in weights if world.available(m, ts)]
    if not names:
        return "frontier-1"
    return rng.choices(names, weights=[weights[m] for m in names])[0]


def reasoning_tokens(rng: random.Random, effort: str | None, boost: float = 1.0) -> int:
    low, high = {"low": (40, 400), "medium": (200, 1500), "high": (800, 4500)}.get(effort or "", (100, 900))
    return int(rng.uniform(low, high) * boost)


def sdk_params(rng: random.Random) -> dict[str, Any]:
    """What ordinary SDK users send: mostly defaults, sometimes a temperature or a token cap."""
    params: dict[str, Any] = {}
    if rng.random() < 0.45:
        params["temperature"] = rng.choice((0.2, 0.5, 0.7, 0.7, 0.8, 1.0, 1))
    if rng.random() < 0.3:
        params["max_tokens"] = rng.choice((256, 512, 1024, 2048, 4096))
    if rng.random() < 0.25:
        params["stream"] = True
    if rng.random() < 0.15:
        params["reasoning_effort"] = rng.choice(("low", "medium", "high"))
    if rng.random() < 0.05:
        params["top_p"] = rng.choice((0.9, 0.95, 1.0))
    return params


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p
