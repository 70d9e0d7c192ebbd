"""Drift verdicts on cases with a known answer, against the ground truth and against Evidently.

The cases (``support.drift_cases``) cover no drift, a mean shift in 3 of 20 features, variance
changes, a categorical frequency change, unseen categories, missing values, a current window of
50 rows, 200,000 rows with a tiny shift, concept drift with unchanged inputs, a majority of
features drifted, and a correlation change with unchanged marginals. Evidently's default
verdicts come from ``support.evidently_oracle``, a restatement of Evidently 0.7's default data
drift preset with scipy; ``bench/drift_verdicts.py`` runs the same cases through the real
Evidently 0.7.23 and compares it with that oracle.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from slipway.services.monitoring.stats.concept import Adwin, PageHinkley
from slipway.services.monitoring.stats.drift import (
    DatasetDrift,
    DriftConfig,
    dataset_drift,
    feature_drift,
)
from slipway.services.monitoring.stats.multivariate import ReconstructionDrift
from support.drift_cases import (
    CASE_NAMES,
    CONTINGENCY,
    MISSING_SHARE,
    case,
    categories,
)
from support.evidently_oracle import DatasetVerdict, column_verdict, dataset_verdict

BOTH = frozenset({CONTINGENCY, MISSING_SHARE})

# Slipway's method names and Evidently's for the same test.
EVIDENTLY_METHOD = {
    "ks": "ks",
    "ztest": "z",
    "chisquare": "chisquare",
    "wasserstein": "wasserstein",
    "jensenshannon": "jensenshannon",
}


@functools.cache
def ours(name: str) -> DatasetDrift:
    built = case(name)
    return dataset_drift(built.reference, built.current)


@functools.cache
def evidently(name: str, deviations: frozenset[str] = frozenset()) -> DatasetVerdict:
    built = case(name)
    return dataset_verdict(built.reference, built.current, deviations)


def verdicts(result: DatasetDrift) -> dict[str, bool]:
    return {f.name: f.drifted for f in result.features}


# The 200k-row case takes seconds per test; it runs with the slow tests.
CASE_PARAMS = [
    pytest.param(name, marks=pytest.mark.slow) if name.startswith("large_") else name
    for name in CASE_NAMES
]


@pytest.mark.parametrize("name", CASE_PARAMS)
def test_feature_and_dataset_verdicts_match_the_ground_truth(name: str) -> None:
    built = case(name)
    result = ours(name)
    assert verdicts(result) == {f: f in built.drifted for f in built.features}, built.note
    assert result.drifted is built.dataset_drifted


@pytest.mark.parametrize("name", CASE_PARAMS)
def test_the_evidently_oracle_gives_the_verdicts_the_case_expects_of_evidently(name: str) -> None:
    built = case(name)
    verdict = evidently(name)
    assert verdict.drifted_features == built.evidently_drifted
    assert verdict.drifted is built.evidently_dataset_drifted


@pytest.mark.parametrize("name", CASE_PARAMS)
def test_verdicts_differ_from_evidently_only_where_a_documented_difference_is_the_reason(
    name: str,
) -> None:
    built = case(name)
    mine = verdicts(ours(name))
    theirs = evidently(name)
    differing = {f for f, drifted in mine.items() if drifted != theirs.columns[f].drifted}
    assert differing == set(built.evidently_differs)
    for feature, deviation in built.evidently_differs.items():
        # That documented difference alone turns Evidently's verdict into ours; the other alone
        # does not. So the difference is exactly the one the case names.
        assert evidently(name, frozenset({deviation})).columns[feature].drifted is mine[feature]
        assert evidently(name, BOTH - {deviation}).columns[feature].drifted is not mine[feature]
    # With both documented differences switched on, the oracle gives every one of our verdicts.
    explained = evidently(name, BOTH)
    assert {f: v.drifted for f, v in explained.columns.items()} == mine
    assert explained.drifted is ours(name).drifted


@pytest.mark.parametrize("name", CASE_PARAMS)
def test_the_same_test_is_chosen_as_by_evidently_and_scores_agree(name: str) -> None:
    theirs = evidently(name)
    for feature in ours(name).features:
        other = theirs.columns[feature.name]
        assert EVIDENTLY_METHOD[feature.method] == other.method, feature.name
        if feature.method in ("ks", "ztest"):
            # Evidently's z-test p-value is 1 - cdf, which rounds to 0 below about 1e-16.
            assert feature.p_value == pytest.approx(other.score, rel=1e-9, abs=1e-15)
        elif feature.method == "wasserstein" or feature.method == "jensenshannon":
            assert feature.statistic == pytest.approx(other.score, rel=1e-9, abs=1e-12)
        # chisquare: a different test by design (the contingency difference), p-values differ.


@pytest.mark.slow  # 200k rows
def test_a_tiny_shift_in_200k_rows_is_statistically_real_but_not_drift() -> None:
    built = case("large_tiny_shift")
    result = {f.name: f for f in ours("large_tiny_shift").features}
    for name in ("score", "amount"):
        p = stats.ks_2samp(built.reference[name], built.current[name]).pvalue
        assert p < 1e-3  # a p-value test would call it drift
        assert result[name].method == "wasserstein"
        assert result[name].statistic == pytest.approx(0.02, abs=0.002)
        assert not result[name].drifted
    # Forcing the p-value test on a large reference flags the negligible shift: the reason the
    # defaults use distances there.
    forced = DriftConfig(feature_methods={"score": "ks", "amount": "ks"})
    for name in ("score", "amount"):
        assert feature_drift(
            name, built.reference[name], built.current[name], config=forced
        ).drifted


def test_concept_drift_leaves_the_data_unchanged_and_the_error_detectors_see_it() -> None:
    built = case("concept_drift_unchanged_inputs")
    assert built.concept is not None
    assert ours(built.name).drifted_features == ()
    errors = built.concept.errors
    change = built.concept.change_at
    assert errors[:change].mean() == pytest.approx(0.05, abs=0.02)
    assert errors[change:].mean() == pytest.approx(0.5, abs=0.05)
    for detector in (PageHinkley(), Adwin()):
        alarms = [i for i, error in enumerate(errors) if detector.update(float(error))]
        assert alarms, type(detector).__name__
        assert alarms[0] >= change, type(detector).__name__  # silent before the change
        assert alarms[0] - change < 300, type(detector).__name__


def test_jensen_shannon_verdict_matches_evidently_near_the_threshold() -> None:
    # In base 2 this change measures 0.103 (drift); in Evidently's natural logarithm 0.086.
    rng = np.random.default_rng(7)
    reference = categories(["a", "b"], [0.5, 0.5])(rng, 5_000)
    current = categories(["a", "b"], [0.62, 0.38])(rng, 2_000)
    mine = feature_drift("share", reference, current)
    theirs = column_verdict("share", reference, current)
    assert (mine.method, theirs.method) == ("jensenshannon", "jensenshannon")
    assert mine.statistic == pytest.approx(0.0856, abs=1e-3)
    assert mine.statistic == pytest.approx(theirs.score, rel=1e-12)
    assert mine.drifted == theirs.drifted


def test_a_correlation_change_is_seen_jointly_and_by_no_feature() -> None:
    built = case("correlation_change")
    assert built.multivariate_drifted
    assert not any(verdicts(ours("correlation_change")).values())
    fitted = ReconstructionDrift.fit(built.reference, frozenset())
    flipped = fitted.measure(built.current)
    assert flipped.drifted, flipped
    assert flipped.error > flipped.upper
    unchanged = fitted.measure({name: values[:1000] for name, values in built.reference.items()})
    assert not unchanged.drifted, unchanged


@pytest.mark.parametrize("name", CASE_PARAMS)
def test_cases_are_reproducible_and_shaped_as_documented(name: str) -> None:
    built = case(name)
    again = case.__wrapped__(name)  # a fresh build from the same seed, past the cache
    assert list(built.reference) == list(built.current)
    assert built.drifted <= set(built.features)
    for side, fresh in ((built.reference, again.reference), (built.current, again.current)):
        for column, values in side.items():
            assert values.ndim == 1
            if values.dtype.kind == "f":
                np.testing.assert_array_equal(values, fresh[column])
            else:
                assert values.dtype == object
                assert all(v is None or isinstance(v, str) for v in values.tolist())
                assert values.tolist() == fresh[column].tolist()


def test_the_case_module_imports_in_a_plain_script_with_numpy_only() -> None:
    tests = Path(__file__).resolve().parents[3]
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from support.drift_cases import build_cases; cases = build_cases(); "
        "bad = {'pytest', 'scipy', 'slipway'} & {m.split('.')[0] for m in sys.modules}; "
        "assert not bad, bad; print(len(cases))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run(
        [sys.executable, "-c", script, str(tests)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(len(CASE_NAMES))
