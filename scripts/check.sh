#!/usr/bin/env bash
# Every check `make test` runs, stage by stage, with each stage's time.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
unset DATABASE_URL REDIS_URL DJANGO_SETTINGS_MODULE
export HYPOTHESIS_PROFILE=ci
PY=.venv/bin/python
failed=()
total_start=$(date +%s)

stage() {
  local name=$1; shift
  local start=$(date +%s)
  echo "=== $name"
  "$@"
  local rc=$?
  # pytest exits 5 when a selection is empty; an empty stage is not a failure.
  if [ $rc -ne 0 ] && [ $rc -ne 5 ]; then failed+=("$name"); fi
  echo "=== $name: $(( $(date +%s) - start ))s (exit $rc)"
}

deploy_check() {
  DEBUG=0 ALLOWED_HOSTS=alliance.example.org \
  SECRET_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')" \
  ALLIANCE_MASTER_KEYS="$($PY -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
    .venv/bin/alliance check --deploy --fail-level WARNING
}

PG_DB="alliance_ci_$$"
PG_URL="postgres://postgres@127.0.0.1:5432/${PG_DB}"

stage "ruff lint" ruff check .
stage "ruff format" ruff format --check .
stage "mypy" env DEBUG=1 mypy alliance
stage "engine boundary (import-linter)" lint-imports
stage "migrations are complete" env DEBUG=1 .venv/bin/alliance makemigrations --check --dry-run
stage "check --deploy (production settings)" deploy_check
stage "engine tests (no database)" $PY -m pytest -q tests/measures tests/matching -n 2
# Tests marked `postgresql` run in the PostgreSQL stage below; on SQLite each of their
# modules would only start a PostgreSQL run of its own (tests/conftest.py) to run them twice.
stage "database tests on SQLite" $PY -m pytest -q -n 2 -m "not browser and not live and not postgresql" \
  --ignore=tests/measures --ignore=tests/matching
stage "database tests on PostgreSQL" env DATABASE_URL="$PG_URL" $PY -m pytest -q -n 2 \
  -m "not browser and not live" --ignore=tests/measures --ignore=tests/matching
# Browser tests keep Playwright's event loop running for the session, so the multi-worker
# tests (which run their own asyncio loops) get a pytest run of their own.
stage "browser tests on PostgreSQL (Chromium)" env DATABASE_URL="$PG_URL" \
  $PY -m pytest -q -n 2 -m browser
stage "multi-worker tests on PostgreSQL and Redis" env DATABASE_URL="$PG_URL" REDIS_URL=redis://127.0.0.1:6379/0 \
  $PY -m pytest -q -m live

echo "=== total: $(( $(date +%s) - total_start ))s"
if [ ${#failed[@]} -ne 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all stages passed"
