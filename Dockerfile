# syntax=docker/dockerfile:1
# Multi-stage: wheels are built in a throw-away stage; the runtime image has no compiler and runs as non-root.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /opt/venv && /opt/venv/bin/pip install -r /tmp/requirements.txt

FROM node:20-bookworm-slim AS node
WORKDIR /opt/chain
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=lykos.settings.production
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin lykos
COPY --from=build /opt/venv /opt/venv
COPY --from=node /opt/chain/node_modules /app/node_modules
WORKDIR /app
COPY --chown=lykos:lykos . /app
# collectstatic needs settings but no services: give it throw-away values for this one command only (it sends no
# SMS and scans no upload, hence the two opt-outs, which exist for this command alone).
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.db \
    REDIS_URL=redis://build CELERY_BROKER_URL=redis://build VAULT_ADDR=http://build VAULT_TOKEN=build \
    ALLOW_SMS_CODES_IN_LOGS=true ALLOW_UNSCANNED_UPLOADS=true \
    python manage.py collectstatic --noinput && rm -f /tmp/build.db
USER lykos
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status==200 else 1)"
CMD ["gunicorn", "lykos.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "30", "--access-logfile", "-"]
