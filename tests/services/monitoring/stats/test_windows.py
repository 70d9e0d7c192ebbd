import numpy as np
import pytest
from scipy import stats

from slipway.services.monitoring.stats.windows import Reservoir, StreamingStats, Window


def test_reservoir_is_bounded_and_keeps_rows_aligned():
    reservoir = Reservoir(100, seed=1)
    for start in range(0, 10_000, 700):
        ids = np.arange(start, min(start + 700, 10_000))
        reservoir.add_batch({"id": ids, "label": np.array([f"r{i}" for i in ids], dtype=object)})
    sample = reservoir.sample()
    assert reservoir.seen == 10_000
    assert len(reservoir) == 100
    assert len(sample["id"]) == 100
    assert len(set(sample["id"].tolist())) == 100  # no row twice
    assert [f"r{int(i)}" for i in sample["id"]] == sample["label"].tolist()


def test_reservoir_is_uniform():
    # Over many seeded runs each of 50 items ends in a 10-slot reservoir about 1/5 of the time.
    hits = np.zeros(50)
    for seed in range(400):
        reservoir = Reservoir(10, seed=seed)
        reservoir.add_batch({"x": np.arange(20)})
        reservoir.add_batch({"x": np.arange(20, 50)})
        hits[reservoir.sample()["x"].astype(int)] += 1
    assert hits.sum() == 4000
    assert stats.chisquare(hits).pvalue > 0.001
    assert hits[:20].mean() == pytest.approx(hits[20:].mean(), rel=0.1)


def test_reservoir_with_fewer_rows_than_capacity_keeps_them_all():
    reservoir = Reservoir(10, seed=0)
    reservoir.add_batch({"x": np.array([1.0, np.nan, 3.0])})
    np.testing.assert_array_equal(reservoir.sample()["x"], [1.0, np.nan, 3.0])


def test_reservoir_refuses_ragged_batches():
    with pytest.raises(ValueError, match="length"):
        Reservoir(5).add_batch({"a": np.arange(3), "b": np.arange(4)})


def test_streaming_stats_equal_numpy_on_the_concatenation():
    rng = np.random.default_rng(2)
    batches = [rng.normal(5, 3, size=n) for n in (1, 17, 1000, 3, 250)]
    batches[2][::7] = np.nan
    batches[3][0] = np.inf
    column = StreamingStats()
    for batch in batches:
        column.add(batch)
    everything = np.concatenate(batches)
    present = everything[np.isfinite(everything)]
    assert column.count == len(present)
    assert column.missing_count == len(everything) - len(present)
    assert column.mean == pytest.approx(present.mean(), rel=1e-12)
    assert column.variance == pytest.approx(present.var(ddof=1), rel=1e-10)
    assert column.std == pytest.approx(present.std(ddof=1), rel=1e-10)
    assert column.min == present.min()
    assert column.max == present.max()


def test_category_counts_are_capped():
    column = StreamingStats(max_categories=3)
    column.add(np.array(["a", "a", "b", None, "c", "d"], dtype=object))
    column.add(np.array(["a", "e", "e", "b"]))
    assert column.categories == {"a": 3, "b": 2, "c": 1}
    assert column.other_count == 3  # d, e, e
    assert column.count == 9
    assert column.missing_count == 1


def test_whole_numbers_are_categories_without_a_decimal_point():
    column = StreamingStats()
    column.add(np.array([1.0, 1.0, 2.5, 0.0]))
    assert column.categories == {"1": 2, "0": 1, "2.5": 1}


def test_count_window_closes_after_n_records_and_splits_batches():
    window = Window(max_records=100, reservoir_size=10, seed=3)
    assert window.add_batch({"x": np.arange(60)}) == []
    closed = window.add_batch({"x": np.arange(60, 310)})
    assert [w.count for w in closed] == [100, 100, 100]
    assert closed[0].stats["x"].max == 99
    assert closed[1].stats["x"].min == 100
    assert len(closed[0].sample["x"]) == 10
    assert window.count == 10


def test_time_window_closes_after_t_seconds():
    now = [0.0]
    window = Window(max_seconds=60, clock=lambda: now[0])
    window.add_batch({"x": np.ones(5)})
    now[0] = 30.0
    assert window.add_batch({"x": np.ones(5)}) == []
    assert window.poll() is None
    now[0] = 61.0
    closed = window.add_batch({"x": np.zeros(3)})
    assert len(closed) == 1
    assert closed[0].count == 10
    assert (closed[0].opened, closed[0].closed) == (0.0, 61.0)
    assert window.count == 3
    now[0] = 130.0
    expired = window.poll()
    assert expired is not None
    assert expired.count == 3


def test_window_memory_does_not_grow_with_traffic():
    window = Window(max_records=1_000_000, reservoir_size=50, max_categories=20, seed=4)
    rng = np.random.default_rng(4)
    for _ in range(20):
        window.add_batch({"x": rng.normal(size=5000), "c": rng.integers(0, 1000, 5000)})
    snapshot = window.close()
    assert snapshot.count == 100_000
    assert len(snapshot.sample["x"]) == 50
    assert len(snapshot.stats["c"].categories) == 20
    assert snapshot.stats["c"].count == 100_000


def test_window_needs_a_limit():
    with pytest.raises(ValueError, match="max_records"):
        Window()
