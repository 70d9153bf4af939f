#!/usr/bin/env bash
# `npm test`: set up, then typecheck, lint and every test — unit, integration on real Redis, browser.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
export NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1
printf '\033[1m▸ typecheck, lint, unit and integration tests\033[0m\n'
pnpm exec turbo run typecheck lint test --output-logs=new-only --concurrency=2
if ls e2e/*.spec.ts >/dev/null 2>&1; then
  printf '\033[1m▸ browser tests (Playwright, Chromium)\033[0m\n'
  pnpm exec playwright test
fi
