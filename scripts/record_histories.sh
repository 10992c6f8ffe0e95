#!/usr/bin/env bash
# Re-record the workflow histories under tests/histories/ from the lifecycle tests.
# Do this only for a NEW path: a history recorded by released code must stay as it is, so the replay test
# proves the current code can still run workflows that started on the old one.
set -euo pipefail
cd "$(dirname "$0")/.."
POSTGATE_RECORD_HISTORIES=1 .venv/bin/pytest -q tests/workflows/test_lifecycle.py
ls -l tests/histories/
