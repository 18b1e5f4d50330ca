"""kill -9 of a real Celery worker in the middle of applying a large import: nothing is
written, the next worker to start marks the job failed with the reason, and applying it
again writes every row. A real Redis (broker, cache, leases) and a real SQLite file.

The 100,000-row run with its figures is ``benchmarks/faults.py --scenario kill-apply``.
"""

import pytest

from tests.support.jobsite import Site, kill_hard, resume, stop, wait_until

pytestmark = pytest.mark.redis

ROWS = 20_000
INTERRUPTED = "The worker stopped while applying; nothing was written. Apply again."


@pytest.fixture(scope="module")
def site(redis_url, tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("fault-site") / "var", redis_url, lease_seconds=2)
    assert site.prepare(ROWS) == ROWS
    return site


@pytest.fixture
def workers(site):
    started = []

    def start():
        started.append(site.start_worker())
        return started[-1]

    yield start
    for process in started:
        stop(process)


def test_kill_9_during_apply_writes_nothing_then_recovery_and_retry_apply_every_row(site, workers):
    grades_before = site.grade_count()
    first = workers()
    job_id, status, error = site.upload_and_confirm(pause=first)
    assert status == "applying", error or site.worker_log()

    resume(first)
    # Kill once the rows are being written (the second half of the progress).
    seen = wait_until(lambda: site.progress(job_id), lambda p: p is not None and p >= 55, 120)
    kill_hard(first)
    left = site.job(job_id)

    assert site.grade_count() == grades_before
    assert site.change_count(job_id) == 0
    assert left["status"] == "applying", f"the apply ended before the kill (progress {seen})"

    workers()
    failed = site.wait_for_status(job_id, {"failed"}, timeout=90)

    assert failed["error_message"] == INTERRUPTED
    assert site.grade_count() == grades_before

    assert site.confirm(job_id) == "applying"
    applied = site.wait_for_status(job_id, {"applied", "failed"}, timeout=180)

    assert applied["status"] == "applied", applied["error_message"] or site.worker_log()
    assert site.grade_count() == grades_before + ROWS
    assert site.change_count(job_id) == ROWS
