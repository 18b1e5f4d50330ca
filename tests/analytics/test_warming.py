"""After a rebuild or a deploy, the default views are computed before anyone asks."""

from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.analytics import caching
from apps.analytics.tasks import WARMING_LOCK, warm_figures
from apps.analytics.warming import users_to_warm, warm_common_figures
from tests.factories import AdminFactory, TeacherFactory

DASHBOARD = "/api/v1/analytics/dashboard/"
COMPARED = DASHBOARD + "?compare=previous"


def _queries_for(client, user, url: str) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_warming_serves_a_teachers_first_dashboard_from_the_cache(school, client):
    cold = _queries_for(client, school.teacher, DASHBOARD)
    caching.bump_generation()  # a write elsewhere: every cached figure is gone
    warm_common_figures()

    first_after_warming = _queries_for(client, school.teacher, DASHBOARD)

    assert first_after_warming < cold
    assert first_after_warming == _queries_for(client, school.teacher, DASHBOARD)


def test_warming_also_serves_the_cards_comparison_with_last_month(school, client):
    cold = _queries_for(client, school.teacher, COMPARED)
    caching.bump_generation()
    warm_common_figures()

    first_after_warming = _queries_for(client, school.teacher, COMPARED)

    assert first_after_warming < cold
    assert first_after_warming == _queries_for(client, school.teacher, COMPARED)


def test_warming_covers_one_admin_and_the_most_recently_active_teachers(db):
    admins = [AdminFactory(), AdminFactory()]
    idle, recent = TeacherFactory(), TeacherFactory()
    recent.last_login = "2026-11-30T08:00:00Z"
    recent.save(update_fields=["last_login"])

    chosen = users_to_warm(limit=2)

    assert chosen == [admins[0], recent]
    assert idle not in chosen


def test_rebuild_command_warms_unless_told_not_to(school, capsys):
    call_command("rebuild_analytics")
    assert "Warmed the default view of" in capsys.readouterr().out

    call_command("rebuild_analytics", "--no-warm")
    assert "Warmed" not in capsys.readouterr().out


def test_warming_task_runs_once_while_another_run_holds_the_lock(school):
    cache.add(WARMING_LOCK, 1, 60)
    assert warm_figures() == 0

    cache.delete(WARMING_LOCK)
    assert warm_figures() >= 1
