"""One simulated world for the forensics tests (session-scoped: built once, seconds)."""

from __future__ import annotations

import pytest

from distillguard.forensics.experiment import ExperimentConfig, World, build_world


@pytest.fixture(scope="session")
def world() -> World:
    return build_world(ExperimentConfig())
