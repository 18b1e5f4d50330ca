"""The stored results' category breakdowns live in their own table (migration 0006): one
student's report shows them as the engine computes them, before and after the migration
moves those already stored."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.academics.filtering import RecordFilters
from apps.analytics import results
from apps.analytics.models import EnrollmentBreakdown, EnrollmentResult
from apps.analytics.reports import compute_report
from tests.analytics.conftest import build_school

BEFORE = [("analytics", "0005_rollup_foreign_key_indexes")]
AFTER = [("analytics", "0006_enrollment_breakdown")]


def _breakdowns(user, student) -> dict:
    report = compute_report("student", user, RecordFilters(), student.pk)
    return {course["course_id"]: course["category_breakdown"] for course in report["courses"]}


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_a_student_report_shows_the_engine_breakdowns_from_their_table(school, admin_user):
    results.flush_pending()
    stored = _breakdowns(admin_user, school.ana)
    live = compute_report("student", admin_user, RecordFilters(), school.ana.pk, live=True)

    assert stored == {c["course_id"]: c["category_breakdown"] for c in live["courses"]}
    assert stored[school.math.pk]["final"]["average"] == 90.0
    assert EnrollmentBreakdown.objects.count() == EnrollmentResult.objects.count()


def test_a_refresh_replaces_a_student_breakdowns_with_the_results(school, admin_user):
    results.flush_pending()
    math = school.math.pk
    school.math.delete()  # Ana's and Ben's mathematics no longer count
    results.flush_pending()

    assert set(_breakdowns(admin_user, school.ana)) == {school.physics.pk}
    assert not EnrollmentBreakdown.objects.filter(course_id=math).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_migration_moves_the_stored_breakdowns_both_ways(admin_user):
    school = build_school()
    results.flush_pending()
    before = _breakdowns(admin_user, school.ana)
    try:
        _migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM analytics_enrollmentresult WHERE category_breakdown"
                " IS NOT NULL AND category_breakdown <> '{}'"
            )
            assert cursor.fetchone()[0] == 4  # Ana: two courses, Ben and Chloe: one each
        _migrate(AFTER)

        assert _breakdowns(admin_user, school.ana) == before
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
