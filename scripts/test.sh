#!/usr/bin/env bash
# `npm test`: set up, then typecheck, lint and every test — unit, integration on real Redis (a single server,
# then core and runner again on a 3-master Redis Cluster), browser.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
export NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1
printf '\033[1m▸ typecheck, lint, unit and integration tests\033[0m\n'
pnpm exec turbo run typecheck lint test --output-logs=new-only --concurrency=2
printf '\033[1m▸ core and runner integration tests on a 3-master Redis Cluster\033[0m\n'
pnpm test:cluster
if ls e2e/*.spec.ts >/dev/null 2>&1; then
  printf '\033[1m▸ browser tests (Playwright, Chromium)\033[0m\n'
  pnpm exec playwright test
fi
