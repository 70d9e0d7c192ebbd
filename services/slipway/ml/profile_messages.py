"""Feature statistics as ``slipway.common.v1`` messages: what training registers with a version's
reference profile and what monitoring reports for a window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slipway.common.v1 import feature_pb2
from slipway.ml.profiles import FeatureStats, Kind

KINDS: dict[str, feature_pb2.FeatureKind.ValueType] = {
    "numeric": feature_pb2.FEATURE_KIND_NUMERIC,
    "categorical": feature_pb2.FEATURE_KIND_CATEGORICAL,
    "binary": feature_pb2.FEATURE_KIND_BINARY,
}
KIND_NAMES: dict[int, Kind] = {
    feature_pb2.FEATURE_KIND_NUMERIC: "numeric",
    feature_pb2.FEATURE_KIND_CATEGORICAL: "categorical",
    feature_pb2.FEATURE_KIND_BINARY: "binary",
}


def feature_stats_to_pb(stats: FeatureStats | Mapping[str, Any]) -> feature_pb2.FeatureStatistics:
    """``stats`` (a ``FeatureStats`` or its ``to_dict``) as a message; NaN numbers stay unset."""
    data = stats.to_dict() if isinstance(stats, FeatureStats) else stats
    message = feature_pb2.FeatureStatistics(
        name=str(data.get("name", "")),
        kind=KINDS.get(str(data.get("kind")), feature_pb2.FEATURE_KIND_UNSPECIFIED),
    )
    for key in ("count", "missing_count", "distinct_count"):
        setattr(message, key, int(data.get(key) or 0))
    for key in ("mean", "std", "min", "max"):
        value = data.get(key)
        if isinstance(value, int | float) and value == value:
            setattr(message, key, float(value))
    for probability, value in data.get("quantiles") or ():
        message.quantiles.add(probability=float(probability), value=float(value))
    histogram = data.get("histogram")
    if isinstance(histogram, Mapping) and histogram.get("bin_edges"):
        message.histogram.bin_edges.extend(float(e) for e in histogram["bin_edges"])
        message.histogram.counts.extend(int(c) for c in histogram["counts"])
    for value, count in data.get("categories") or ():
        message.categories.add(value=str(value), count=int(count))
    return message
