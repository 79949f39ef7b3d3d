"""The scoring model: shipped weights match the feature list; fitting and evidence behave."""

import numpy as np

from distillguard.scoring.model import MODEL_FEATURES, SENTENCES, ScoringModel, evidence, fit


def test_shipped_weights_cover_exactly_the_model_features() -> None:
    model = ScoringModel.load()
    assert [(t.feature, t.transform) for t in model.terms] == list(MODEL_FEATURES)
    assert model.trained_on["seeds"] and "shipped sample" in model.trained_on["corpora"]


def test_fit_learns_the_direction_of_a_separating_feature_and_ranks_evidence() -> None:
    rng = np.random.default_rng(0)
    n = 400
    y = (rng.random(n) < 0.2).astype(float)
    features = {name: rng.random(n) for name, _ in MODEL_FEATURES}
    features["cot_coercion_share"] = np.where(y > 0, 0.8, 0.05) + rng.normal(0, 0.05, n)
    features["multi_turn_share"] = np.where(y > 0, 0.0, 0.4) + rng.normal(0, 0.05, n)
    features["requests"] = np.full(n, 100.0)
    model = fit(features, y)
    weights = {t.feature: t.weight for t in model.terms}
    assert weights["cot_coercion_share"] > 0.5 and weights["multi_turn_share"] < -0.5
    scores, contrib = model.score(features)
    assert scores[y > 0].min() > scores[y == 0].max()
    top = evidence(model, features, contrib, int(np.flatnonzero(y > 0)[0]))
    assert top and top[0]["signal"] in {"cot_coercion_share", "multi_turn_share"}
    assert all(e["detail"] == SENTENCES[e["signal"]](e["value"], 100.0) for e in top)


def test_missing_features_contribute_nothing() -> None:
    model = ScoringModel.load()
    nan = {name: np.array([np.nan]) for name, _ in MODEL_FEATURES}
    _, contrib = model.score(nan)
    assert np.all(contrib == 0)
