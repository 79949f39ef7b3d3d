"""Enforce: decide at request time (allow, throttle, degrade, block) from the scan's own signals and scores.

``Decider`` is the one decision path: the gateway calls it per request, ``distillguard replay`` drives it
over a recorded log in time order. See docs/enforce.md.
"""

from distillguard.enforce.decider import Decider
from distillguard.enforce.decision import ACTIONS, Decision
from distillguard.enforce.policy import Policy, load_policy

__all__ = ["ACTIONS", "Decider", "Decision", "Policy", "load_policy"]
