# syntax=docker/dockerfile:1
# One image for the web server (daphne), the Celery worker and Celery beat; the `proxy`
# target adds nginx with the collected static files in front of the web processes.

FROM python:3.11-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SMS_VAR_DIR=/app/var

# WeasyPrint's libraries (PDF), fonts that cover Greek, gettext for the translations.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-dejavu-core fonts-liberation2 gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN if ls locale/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
        DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py compilemessages; fi \
    && DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput -v 0 \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin sms \
    && mkdir -p /app/var/media /app/var/mail \
    && chown -R sms:sms /app/var/media /app/var/mail

USER sms
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "sms.asgi:application"]


FROM nginx:1.27-alpine AS proxy
COPY deploy/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=app /app/var/staticfiles /srv/static
