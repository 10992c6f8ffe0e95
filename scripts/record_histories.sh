#!/usr/bin/env bash
# Record workflow histories under tests/histories/ for lifecycle paths that have none yet.
# Existing histories are never rewritten: they were made by older code, and the replay test proves the
# current code can still run workflows that started on it.
set -euo pipefail
cd "$(dirname "$0")/.."
POSTGATE_RECORD_HISTORIES=1 .venv/bin/pytest -q tests/workflows
ls -l tests/histories/
