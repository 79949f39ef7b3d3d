"""The attack arm reports where detection fails. It asserts nothing about the figures; it prints them."""

from __future__ import annotations

from distillguard.forensics.experiment import ExperimentResult, World, attack_arm, format_result


def test_attack_arm_reports_where_detection_fails(world: World) -> None:
    rows = attack_arm(world)
    print("\n" + format_result(ExperimentResult(world.config, world.teacher.entropy_bits(), attacks=rows)))
    attacks = {r.attack for r in rows}
    assert {"none", "substitution", "paraphrase stand-in", "mixing", "bias subtraction"} <= attacks
    for r in rows:
        assert 0.0 <= r.open_pvalue <= 1.0 and 0.0 <= r.closed_pvalue <= 1.0
