# One image for the runner and the dashboard (the `tt` CLI is in it too).
# Untested in CI here (no Docker engine on the build machines); the same steps are what scripts/setup.sh runs.
FROM node:20-bookworm-slim AS build
ENV NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1
RUN npm install -g pnpm@12.21.0
WORKDIR /app
COPY . .
RUN pnpm install --frozen-lockfile && pnpm exec turbo run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
RUN npm install -g pnpm@12.21.0 && apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
RUN ln -s /app/apps/cli/bin/tt.mjs /usr/local/bin/tt
# The town lives in /town (mount a volume or a project checkout there). The default command is a runner; the
# dashboard is `node /app/apps/web/server.mjs --host 0.0.0.0 --port 3000 --town /town` (see docker-compose.yml).
WORKDIR /town
CMD ["node", "/app/apps/runner/bin/tt-runner.mjs", "--town", "/town"]
