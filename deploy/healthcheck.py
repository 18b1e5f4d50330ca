"""Container and staging health probes, standard library only (the slim image has no curl).

    python deploy/healthcheck.py [URL]      web: 200 from URL
    python deploy/healthcheck.py --broker   beat: the Celery broker answers

URL defaults to http://127.0.0.1:8000/health/. The request carries the first name of
ALLOWED_HOSTS as its Host (so a site that answers only to sms.example.org still passes)
and ``X-Forwarded-Proto: https`` (an HTTPS-only site would otherwise answer a redirect;
with SMS_PLAIN_HTTP=1 the header is not read). Anything but 200 is unhealthy, a 404
included: scripts/stage waits on /health/ through nginx with it.

Exit status 0 when healthy, 1 otherwise, with the reason on stderr.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
from urllib.parse import urlsplit

DEFAULT_URL = "http://127.0.0.1:8000/health/"


def host_header(default: str) -> str:
    for name in os.environ.get("ALLOWED_HOSTS", "").split(","):
        name = name.strip().lstrip(".")
        if name and name != "*":
            return name
    return default


def status_of(url: str, timeout: float) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request(
            "GET",
            parts.path or "/",
            headers={"Host": host_header(parts.netloc), "X-Forwarded-Proto": "https"},
        )
        return connection.getresponse().status
    finally:
        connection.close()


def check_web(url: str, timeout: float) -> str | None:
    """None when healthy, else why not."""
    try:
        status = status_of(url, timeout)
    except OSError as error:
        return f"{url}: {error}"
    return None if status == 200 else f"{url}: HTTP {status}"


def check_broker(timeout: float) -> str | None:
    import redis

    url = os.environ.get("REDIS_URL", "")
    if not url:
        return "REDIS_URL is not set"
    try:
        redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout).ping()
    except (redis.RedisError, OSError) as error:
        return f"broker: {error}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=DEFAULT_URL)
    parser.add_argument("--broker", action="store_true", help="ping REDIS_URL instead")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    problem = check_broker(args.timeout) if args.broker else check_web(args.url, args.timeout)
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
