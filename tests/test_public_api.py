"""The public surface is a tested fact: what ``distillguard`` exports, and nothing by accident."""

import types

import distillguard
import distillguard.events
import distillguard.sim


def test_top_level_exports_are_exactly_all() -> None:
    public = {
        name
        for name in dir(distillguard)
        if not name.startswith("_") and not isinstance(getattr(distillguard, name), types.ModuleType)
    }
    assert public == set(distillguard.__all__) - {"__version__"}


def test_every_exported_name_resolves() -> None:
    for module in (distillguard, distillguard.events, distillguard.sim):
        assert len(set(module.__all__)) == len(module.__all__)
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
