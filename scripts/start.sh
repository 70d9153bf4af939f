#!/usr/bin/env bash
# `npm start`: set up, then run the whole stack — the town's managed Redis, a runner, and the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node scripts/start.mjs "$@"
