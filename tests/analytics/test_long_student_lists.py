"""A scope with many students wholly in it (a semester of the large demo: ~8,000) reads
the stored rows of the whole scope and keeps them by id, instead of sending the ids as
parameters (``ranged.reading.LISTED_STUDENTS``). Lowered to 0 here, so that the small
school takes that path: its figures must stay the live engine's."""

import pytest

from apps.academics.filtering import RecordFilters
from apps.analytics import results
from apps.analytics.reports import compute_report
from apps.analytics.selectors import AnalyticsContext


@pytest.fixture
def long_lists(monkeypatch):
    monkeypatch.setattr("apps.analytics.ranged.reading.LISTED_STUDENTS", 0)


@pytest.mark.postgres
@pytest.mark.parametrize("report", ["students", "courses", "dashboard"])
def test_a_semester_read_without_its_student_ids_equals_the_live_engine(
    school, admin_user, long_lists, report
):
    """Semester B is physics: Chloe is wholly in it (her mathematics is dropped), Ana is
    not (she also takes mathematics), so Ana's level and row must be the scope's own."""
    results.flush_pending()
    filters = RecordFilters(semester="B")
    assert AnalyticsContext(admin_user, filters).wholly_in_scope == {school.chloe.pk}

    stored = compute_report(report, admin_user, filters)
    live = compute_report(report, admin_user, filters, live=True)
    stored.pop("generated_at"), live.pop("generated_at")

    assert stored == live
