import numpy as np
import pytest

from slipway.services.monitoring.stats.concept import Adwin, PageHinkley


def _errors(seed, before, after, n_before=1000, n_after=1000):
    rng = np.random.default_rng(seed)
    stream = np.concatenate([rng.random(n_before) < before, rng.random(n_after) < after])
    return stream.astype(float)


def _detections(detector, stream):
    return [i for i, value in enumerate(stream) if detector.update(float(value))]


@pytest.mark.parametrize("seed", range(5))
def test_page_hinkley_detects_an_error_rate_jump_within_a_bounded_delay(seed):
    stream = _errors(seed, 0.1, 0.5)
    hits = _detections(PageHinkley(), stream)
    assert hits
    assert all(i >= 1000 for i in hits[:1])
    assert hits[0] - 1000 < 300


@pytest.mark.parametrize("seed", range(5))
def test_page_hinkley_is_silent_on_a_stationary_stream(seed):
    stream = _errors(seed, 0.1, 0.1, 1500, 1500)
    assert _detections(PageHinkley(), stream) == []


@pytest.mark.parametrize("seed", range(5))
def test_adwin_detects_an_error_rate_jump_within_a_bounded_delay(seed):
    detector = Adwin()
    hits = _detections(detector, _errors(seed, 0.1, 0.5))
    assert hits
    assert hits[0] >= 1000
    assert hits[0] - 1000 < 200
    assert detector.mean == pytest.approx(0.5, abs=0.1)  # the window forgot the old regime


@pytest.mark.parametrize("seed", range(5))
def test_adwin_is_silent_on_a_stationary_stream(seed):
    detector = Adwin()
    assert _detections(detector, _errors(seed, 0.2, 0.2, 2000, 2000)) == []
    assert detector.width == 4000


def test_adwin_memory_is_logarithmic_and_statistics_are_exact():
    detector = Adwin()
    rng = np.random.default_rng(11)
    values = rng.random(5000)
    for value in values:
        detector.update(float(value))
    assert detector.width == 5000
    assert detector.bucket_count <= 5 * (np.log2(5000) + 1)
    assert detector.mean == pytest.approx(values.mean())
    assert detector.variance / detector.width == pytest.approx(values.var())


def test_adwin_ignores_a_fall_unless_asked():
    falling = _errors(3, 0.5, 0.05)
    assert _detections(Adwin(), falling) == []
    assert _detections(Adwin(detect_decrease=True), falling)


def test_reset_clears_state():
    detector = PageHinkley()
    for _ in range(10):
        detector.update(1.0)
    detector.reset()
    assert detector.count == 0
    adwin = Adwin()
    adwin.update(1.0)
    adwin.reset()
    assert adwin.width == 0
    assert adwin.bucket_count == 0


def test_invalid_parameters_are_refused():
    with pytest.raises(ValueError, match="delta"):
        Adwin(delta=2)
    with pytest.raises(ValueError, match="threshold"):
        PageHinkley(threshold=0)


def test_page_hinkley_keeps_the_statistic_that_crossed_its_threshold_until_the_next_value():
    detector = PageHinkley(threshold=5.0, min_samples=5)
    stream = [0.0] * 50 + [1.0] * 50
    hits = _detections(detector, stream)
    assert hits
    fresh = PageHinkley(threshold=5.0, min_samples=5)
    for value in stream[: hits[0] + 1]:
        fresh.update(value)
    # Right after a detection the statistic is the one that crossed (a report says it), ...
    assert fresh.cumulative > fresh.threshold
    # ... and the next value starts from a reset detector, as before.
    fresh.update(1.0)
    assert fresh.count == 1
    assert fresh.cumulative == 0.0
