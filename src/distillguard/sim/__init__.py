"""The labelled traffic simulator: realistic benign and attack behaviours built on real prompt corpora.

Use ``simulate`` (or ``distillguard simulate``); behaviours live in ``benign`` and ``attacks``, each a
documented, parameterised class; ``scenario`` says which run and how many.
"""

from distillguard.sim.attacks import ATTACKS
from distillguard.sim.benign import BENIGN
from distillguard.sim.scenario import BENCH_SCENARIOS, SCENARIOS, Cohort, Scenario, SimulationResult, simulate

__all__ = ["ATTACKS", "BENCH_SCENARIOS", "BENIGN", "SCENARIOS", "Cohort", "Scenario", "SimulationResult",
           "simulate"]
