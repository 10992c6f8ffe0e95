# syntax=docker/dockerfile:1
#
# postgate: one image for every role. The command picks the role:
#   postgate api      (default) HTTP API on POSTGATE_API_PORT (8000)
#   postgate worker   Temporal worker polling POSTGATE_TASK_QUEUE
#   postgate migrate  applies the Alembic migrations to POSTGATE_DATABASE_URL, then exits
#   postgate sandbox  the sandbox platform on POSTGATE_SANDBOX_PORT (8010)
# Configuration is only POSTGATE_* environment variables; see docs/deploy.md.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: install the project and its runtime dependencies (no dev extras) into a venv ---
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/postgate

WORKDIR /src
# .dockerignore keeps .git, virtualenvs, caches, tests and local data out of this copy.
COPY . .
RUN /opt/postgate/bin/pip install . \
 && /opt/postgate/bin/postgate --help > /dev/null

# --- runtime: the venv only, run as an unprivileged user ---
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="postgate" \
      org.opencontainers.image.description="Workflow-as-code approval engine for social media posts, on Temporal"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/postgate/bin:$PATH \
    POSTGATE_API_HOST=0.0.0.0 \
    POSTGATE_API_PORT=8000 \
    POSTGATE_DATA_DIR=/data

# Debian's Hunspell dictionaries for the brand engine's `spelling` check (brand/spelling.py).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends hunspell-en-us hunspell-id \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 postgate \
 && useradd --system --uid 10001 --gid postgate --home-dir /home/postgate --create-home \
        --shell /usr/sbin/nologin postgate \
 && install -d -o postgate -g postgate -m 0750 /data

COPY --from=build /opt/postgate /opt/postgate

WORKDIR /home/postgate
USER 10001:10001

EXPOSE 8000
CMD ["postgate", "api"]
