"""Exports under faults: a full disk, a time limit, a worker that died. The job fails with
the reason, no partial file is kept, and the download never serves an unfinished file.

The full disk is simulated here (the file's writes raise ENOSPC after some bytes); a real
full file system is in benchmarks/faults.py.
"""

import errno
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

from apps.bulkio import export_jobs, exporting, leases, tasks
from apps.bulkio.models import ExportJob
from tests.factories import StudentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


class FullDisk:
    """A file whose writes fail with ENOSPC once ``room`` bytes are on disk."""

    def __init__(self, path, mode, room: int):
        self.handle = open(path, mode)  # noqa: SIM115 - closed by __exit__
        self.room = room

    def write(self, data: bytes) -> int:
        if len(data) > self.room:
            self.handle.write(data[: self.room])
            self.handle.flush()
            self.room = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return self.handle.write(data)

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


@pytest.fixture
def export(admin_api, django_capture_on_commit_callbacks):
    """Ask for a background export (run at once: Celery is eager here); its job as read."""

    def run(fmt: str = "csv") -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            created = admin_api.post("/api/v1/exports/", {"resource": "students", "format": fmt})
        assert created.status_code == 202
        return admin_api.get(f"/api/v1/exports/{created.json()['id']}/").json()

    return run


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_on_a_full_disk_fails_with_the_reason_and_keeps_no_file(
    admin_api, export, media_root, monkeypatch, fmt
):
    StudentFactory.create_batch(30)
    written = []

    def open_on_full_disk(path, mode="r", *args, **kwargs):
        written.append(Path(path))
        return FullDisk(path, mode, room=100)

    monkeypatch.setattr(export_jobs, "open", open_on_full_disk, raising=False)

    job = export(fmt)
    download = admin_api.get(f"/api/v1/exports/{job['id']}/download/")

    assert written, "the export never reached the disk"
    assert job["status"] == "failed"
    assert "disk is full" in job["error_message"]
    assert "/" not in job["error_message"]  # no server path in what users read
    assert _files_under(Path(media_root) / "exports") == []
    assert download.status_code == 409
    assert ExportJob.objects.get(pk=job["id"]).file.name in ("", None)


def test_export_write_error_names_the_cause_without_paths(export, media_root, monkeypatch):
    StudentFactory()

    def open_read_only(path, mode="r", *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(export_jobs, "open", open_read_only, raising=False)

    job = export()

    assert job["status"] == "failed"
    assert job["error_message"] == (
        "The export could not be written (Permission denied); no file was kept."
    )


def test_export_file_appears_whole_under_its_name_and_no_partial_is_left(
    admin_api, export, media_root
):
    StudentFactory.create_batch(5)

    job = export()
    download = admin_api.get(job["download_url"])

    files = _files_under(Path(media_root) / "exports")
    assert job["status"] == "ready"
    assert len(files) == 1
    assert files[0].suffix == ".csv"
    assert ".partial" not in files[0].parts
    assert b"".join(download.streaming_content) == files[0].read_bytes()
    assert files[0].stat().st_size == job["size"]


def test_export_soft_time_limit_fails_with_the_reason(export, media_root, monkeypatch):
    StudentFactory()

    def out_of_time(*args, **kwargs):
        yield b"student_id\r\n"
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(exporting, "stream_csv", out_of_time)

    job = export()

    assert job["status"] == "failed"
    assert job["error_message"].startswith("The export took longer than its time limit (")
    assert _files_under(Path(media_root) / "exports") == []


def test_download_never_serves_the_file_of_an_unfinished_job(admin_api, admin_user, media_root):
    job = ExportJob.objects.create(
        user=admin_user, resource="students", format="csv", status="running"
    )
    job.file.save("half.csv", __import__("io").BytesIO(b"student_id\r\nS0"), save=True)

    download = admin_api.get(f"/api/v1/exports/{job.pk}/download/")

    assert download.status_code == 409


def _running_export(admin_user, media_root) -> tuple[ExportJob, Path]:
    job = ExportJob.objects.create(
        user=admin_user, resource="students", format="csv", status="running"
    )
    folder = Path(media_root) / export_jobs.PARTIAL_DIR
    folder.mkdir(parents=True)
    part = folder / f"{job.pk}-deadbeef.part"
    part.write_bytes(b"student_id\r\nS0")
    return job, part


def test_recover_fails_an_export_whose_worker_died_and_removes_its_partial_file(
    admin_user, media_root
):
    running, part = _running_export(admin_user, media_root)
    queued = ExportJob.objects.create(user=admin_user, resource="students", format="csv")
    StudentFactory()

    outcome = export_jobs.recover_interrupted()

    running.refresh_from_db()
    queued.refresh_from_db()
    assert outcome == {"requeued": [queued.pk], "failed": [running.pk]}
    assert running.status == "failed"
    assert running.error_message == (
        "The worker stopped while writing this export; no file was kept. Request it again."
    )
    assert not part.exists()
    assert (queued.status, queued.row_count) == ("ready", 1)


def test_recover_leaves_a_running_export_with_a_live_lease(admin_user, media_root):
    running, part = _running_export(admin_user, media_root)
    assert leases.claim("export", running.pk, "live-task")

    outcome = export_jobs.recover_interrupted()

    running.refresh_from_db()
    assert outcome == {"requeued": [], "failed": []}
    assert running.status == "running"
    assert part.exists()


def test_hard_time_limit_fails_the_killed_export(admin_user, media_root):
    running, part = _running_export(admin_user, media_root)
    assert leases.claim("export", running.pk, "killed-task")

    tasks.run_export.on_failure(TimeLimitExceeded(660), "killed-task", (running.pk,), {}, None)

    running.refresh_from_db()
    assert running.status == "failed"
    assert running.error_message.startswith("The export took longer than its time limit (")
    assert not part.exists()


def test_download_of_a_ready_export_whose_file_was_removed_is_404(admin_api, export, media_root):
    StudentFactory.create_batch(3)
    job = export("csv")
    assert job["status"] == "ready"
    Path(ExportJob.objects.get(pk=job["id"]).file.path).unlink()

    download = admin_api.get(f"/api/v1/exports/{job['id']}/download/")

    assert download.status_code == 404
    assert "no longer available" in download.json()["detail"]
