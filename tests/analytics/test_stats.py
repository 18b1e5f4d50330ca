"""The number helpers behind the course figures (``apps/analytics/stats.py``)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from apps.analytics import stats

finals = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)


@given(st.lists(finals, max_size=60))
def test_the_summary_of_plain_values_equals_that_of_pairs_counted_once(values):
    """The course list summarises ~85,000 finals through ``summarise_values``; the course
    report and the statistics through ``summarise`` over (value, count) pairs. Every
    figure must come out the same, to the last float digit, or the two pages disagree."""
    as_floats = [float(value) for value in values]

    assert stats.summarise_values(as_floats) == stats.summarise([(v, 1) for v in as_floats])
    assert stats.summarise_values(values) == stats.summarise([(v, 1) for v in values])


def test_the_summary_of_four_finals():
    summary = stats.summarise_values([Decimal("40"), 90.0, 60.5, 70.25])

    assert summary == {
        "count": 4,
        "mean": 65.19,
        "median": 65.38,  # between 60.5 and 70.25
        "stdev": 18.01,  # population
        "min": 40.0,
        "max": 90.0,
        "p25": 55.38,
        "p75": 75.19,
    }
