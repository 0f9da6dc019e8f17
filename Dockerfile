# syntax=docker/dockerfile:1
#
# Production image of THE_BOT (see "Docker" under Deployment in README.rst).
#
#   docker build -t thebot .
#   docker build -t thebot --build-arg THEBOT_EXTRAS=postgresql,sentry .
#
# One image for every role; the command picks it:
#   pserve production.ini              web (the default)
#   thebot-migrate production.ini      migrations (run once per release, before the rest)
#   thebot-worker production.ini       background tasks
#   thebot-scheduler production.ini    periodic tasks (exactly one per deployment)
#   thebot-realtime production.ini     the WebSocket gateway (--listen 0.0.0.0:6544)
# Every setting comes from the environment (SECRET_KEY, ALLOWED_HOSTS, CORS_ALLOWED_ORIGINS,
# DATABASE_URL or DB_*, REDIS_URL, ...); /etc/thebot/production.ini is the packaged one.
# tests/test_docker_files.py checks this file statically.

# Pinned to an exact release and Debian suite: a rebuild gets the same interpreter. Move it on
# purpose (3.10-3.13 are supported), or pin a digest (python:3.12.12-slim-bookworm@sha256:...).
ARG PYTHON_IMAGE=python:3.12.12-slim-bookworm

# --- builder: the wheel from this checkout, installed with its dependencies in a venv ---
FROM ${PYTHON_IMAGE} AS builder

ARG THEBOT_EXTRAS=postgresql
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# What the wheel is built from (MANIFEST.in + setup.py decide what goes in it), in the
# checkout's layout: src/thebot/migrations links to ../../alembic and
# src/thebot/config_templates/*.ini link to the ini files at the top.
COPY setup.py MANIFEST.in README.rst development.ini production.ini ./
COPY src/ src/
COPY alembic/ alembic/

RUN python -m pip wheel --no-deps --wheel-dir /dist . \
 && python -m venv /opt/thebot \
 && /opt/thebot/bin/pip install "$(ls /dist/thebot-*.whl)[${THEBOT_EXTRAS}]" \
 && /opt/thebot/bin/pip uninstall --yes pip

# --- runtime: no compiler, no checkout, no pip cache; runs as an unprivileged user ---
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/thebot/bin:$PATH \
    MEDIA_ROOT=/var/lib/thebot/media \
    MAIL_DIR=/var/lib/thebot/mail \
    BACKUP_DIR=/var/lib/thebot/backups \
    LOG_DIR=/var/lib/thebot/logs

# The data directories exist, owned by the app user, before they become volumes: a new
# named volume is initialised from them and so is writable by uid 10001.
RUN groupadd --system --gid 10001 thebot \
 && useradd --system --uid 10001 --gid thebot --home-dir /var/lib/thebot \
        --no-create-home --shell /usr/sbin/nologin thebot \
 && mkdir -p /var/lib/thebot/media /var/lib/thebot/mail /var/lib/thebot/backups \
        /var/lib/thebot/logs \
 && chown -R thebot:thebot /var/lib/thebot

COPY --from=builder /opt/thebot /opt/thebot

# The packaged production.ini (thebot:config_templates), written the operator's way. It
# holds no secret; mount another one over it to change [server:main] (e.g. trusted_proxy).
RUN thebot-init-config /etc/thebot \
 && rm /etc/thebot/development.ini

WORKDIR /etc/thebot
USER 10001:10001

VOLUME ["/var/lib/thebot/media", "/var/lib/thebot/mail", "/var/lib/thebot/backups", \
        "/var/lib/thebot/logs"]
# http_port of production.ini ([server:main] port).
EXPOSE 6543

# Liveness, with the standard library only (no curl in a slim image). The gatekeeper checks
# the Host header on probes too, so send the first ALLOWED_HOSTS entry as the Host.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = (os.environ.get('ALLOWED_HOSTS', '').replace(',', ' ').split() or ['localhost'])[0]; h = 'healthcheck' + h[1:] if h.startswith('*.') else h.lstrip('.'); raise SystemExit(r.urlopen(r.Request('http://127.0.0.1:6543/api/system/health/live/', headers={'Host': h}), timeout=4).status != 200)"]

# pserve and the scheduler stop on KeyboardInterrupt; as PID 1 a process without a SIGTERM
# handler would ignore `docker stop` until it is killed.
STOPSIGNAL SIGINT

CMD ["pserve", "production.ini"]
