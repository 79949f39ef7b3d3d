"""The per-account arm: 50 accounts with their own keys and canaries; 3 harvest and train a student.
The watermark test and the canary test, corrected for 50 accounts, must each name exactly those 3."""

from __future__ import annotations

import pytest

from distillguard.forensics.experiment import AccountArm, ExperimentResult, World, account_arm, format_result


@pytest.fixture(scope="module")
def arm(world: World) -> AccountArm:
    result = account_arm(world)
    print("\n" + format_result(ExperimentResult(world.config, world.teacher.entropy_bits(), accounts=result)))
    return result


def test_fifty_accounts_three_harvesters(arm: AccountArm) -> None:
    assert len(arm.accounts) == 50 and len(set(arm.harvesters)) == 3


def test_the_watermark_test_names_exactly_the_harvesters(arm: AccountArm) -> None:
    assert set(arm.named_by_watermark) == set(arm.harvesters)
    assert max(arm.watermark_pvalues[a] for a in arm.harvesters) < 1e-10


def test_the_canary_test_names_exactly_the_harvesters(arm: AccountArm) -> None:
    assert set(arm.named_by_canaries) == set(arm.harvesters)


def test_innocent_accounts_look_like_the_null(arm: AccountArm) -> None:
    innocent = [a for a in arm.accounts if a not in arm.harvesters]
    below = sum(arm.watermark_pvalues[a] < 0.05 for a in innocent)
    assert below <= 7  # about 2.35 expected of 47 under the null
    assert min(arm.canary_pvalues[a] for a in innocent) > arm.alpha / len(arm.accounts)
