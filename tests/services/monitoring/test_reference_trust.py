"""Whose row counts a reference believes, in the domain: the training rows a reference file and
a version's profile claim are the reference's size only for a version whose lineage the registry
verified; any other stands for the rows its file holds (``build_reference``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slipway.ml.profiles import write_reference
from slipway.services.monitoring.domain.reference import FeatureRef, VersionFacts, build_reference

FEATURE = FeatureRef("x", "numeric", "FP64", frozenset(), None, None, 0.0)


# Both splits are the data reference: 500 of 4000 training rows (1 in 8) and 200 of 1000
# holdout rows, thinned to 125 (1 in 8 too).
@pytest.mark.parametrize(("verified", "rows"), [(True, 5_000), (False, 625)])
def test_claimed_row_counts_count_only_for_a_verified_version(
    tmp_path: Path, verified: bool, rows: int
) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "reference.parquet"
    write_reference(
        path,
        {"x": rng.normal(size=500)},
        rng.normal(size=500),
        row_count=4_000,
        holdout_columns={"x": rng.normal(size=200)},
        holdout_target=rng.normal(size=200),
        holdout_row_count=1_000,
    )
    facts = VersionFacts(
        name="models/m/versions/1",
        task="regression",
        class_labels=(),
        features=(FEATURE,),
        artifact_sha256="",
        artifact_format="skops",
        framework_versions={},
        holdout_metrics={},
        training_job="trainingJobs/j",
        profile_row_count=4_000,
        verified=verified,
    )
    reference = build_reference(facts, sample_file=path, model_file=None)
    assert (reference.row_count, reference.sample_rows) == (rows, 625)
