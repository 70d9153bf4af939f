#!/usr/bin/env bash
# Network-separated hosts on one machine: Redis, two runners, the dashboard and an operator each in their own
# network namespace, joined by a bridge in a namespace of their own. A workload runs; mid-run the whole runner-1
# "host" is killed (every process in its namespace with SIGKILL, then the namespace deleted) and its work moves to
# runner-2. Prints the figures; exits non-zero if an invariant fails.
#
#   sudo bash scripts/netns-demo.sh          (or: pnpm demo:netns, as root)
#
# Needs root, iproute2 (`ip netns`), redis-server, redis-cli, curl, Node 20 and a built checkout (`pnpm build`).
# Not part of `npm test`: it needs root and network namespaces.
#
# What it touches: only what it creates. Namespaces tt-{net,redis,run1,run2,web,ctl}-<suffix> (a fresh suffix per
# run), their veth pairs and bridge (all inside those namespaces: nothing is added to the root namespace),
# addresses in ${DEMO_SUBNET}.0/24 inside them (no default route, no NAT: the hosts reach each other and nothing
# else), a temp dir /tmp/tt-netns-demo-<suffix> and an owner file in /run/tt-netns-demo/. Everything is removed on
# exit (EXIT/INT/TERM); leftovers of an earlier run whose owner process is gone are removed first.
#
# Settings (environment): DEMO_AGENTS (4), DEMO_TASKS (60), DEMO_SUBNET (10.231.0: a /24 in 10.231.0.0/16),
# DEMO_CUT_LINK_FIRST=1 (take runner-1's link down before the kill, as if its cable were pulled: Redis then sees no
# FIN from its connections), DEMO_KEEP_LOGS=1 (copy the logs to /tmp/tt-netns-demo-logs-<suffix> before cleanup).
set -Eeuo pipefail

IP=/usr/sbin/ip
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NODE=$(command -v node || true)
TT_JS=$ROOT/apps/cli/bin/tt.mjs
RUNNER_JS=$ROOT/apps/runner/bin/tt-runner.mjs
WEB_DIR=$ROOT/apps/web
WEB_SERVER=$WEB_DIR/server.mjs

AGENTS=${DEMO_AGENTS:-4}
TASKS=${DEMO_TASKS:-60}
SUBNET=${DEMO_SUBNET:-10.231.0}
STATE_DIR=/run/tt-netns-demo
ROLES=(net redis run1 run2 web ctl)
# Host part of each role's address (the bridge namespace has none).
declare -A HOSTNUM=([redis]=2 [run1]=11 [run2]=12 [web]=20 [ctl]=30)

log() { printf '%s  %s\n' "$(date +%T.%3N)" "$*"; }
die() { printf 'netns-demo: %s\n' "$*" >&2; exit 1; }
now_ms() { local t=${EPOCHREALTIME/./}; echo "${t:0:13}"; }

# ── preflight ─────────────────────────────────────────────────────────────────────────────────────────────────
[[ $(id -u) == 0 ]] || die "run as root (network namespaces need CAP_NET_ADMIN): sudo bash scripts/netns-demo.sh"
[[ -x $IP ]] || die "$IP not found: apt-get install iproute2"

# ── leftovers of earlier runs (only ours: our name pattern, and an owner process that is gone) ─────────────────
ns_re='^tt-(net|redis|run1|run2|web|ctl)-([0-9a-f]{6})$'

owner_alive() { # suffix → 0 when the run that owns it is still going
  local f=$STATE_DIR/$1.pid pid
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'netns-demo.sh'
}

kill_ns_procs() { # namespace → SIGKILL every process in it (bounded), 0 when none is left
  local ns=$1 i pids
  for ((i = 0; i < 50; i++)); do
    pids=$($IP netns pids "$ns" 2>/dev/null || true)
    [[ -z $pids ]] && return 0
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null || true
    sleep 0.1
  done
  return 1
}

remove_run() { # suffix → delete that run's namespaces (which takes their veths and bridge along) and files
  local sfx=$1 role ns
  for role in "${ROLES[@]}"; do
    ns=tt-$role-$sfx
    [[ -e /run/netns/$ns ]] || continue
    kill_ns_procs "$ns" || printf 'netns-demo: processes left in %s\n' "$ns" >&2
    $IP netns del "$ns" 2>/dev/null || printf 'netns-demo: could not delete namespace %s\n' "$ns" >&2
  done
  rm -rf "/tmp/tt-netns-demo-$sfx" "$STATE_DIR/$sfx.pid"
}

remove_leftovers() {
  local sfx ns
  declare -A seen=()
  while read -r ns _; do
    [[ $ns =~ $ns_re ]] && seen[${BASH_REMATCH[2]}]=1
  done < <($IP netns list 2>/dev/null || true)
  for f in "$STATE_DIR"/*.pid /tmp/tt-netns-demo-*; do
    [[ -e $f ]] || continue
    sfx=$(basename "$f" .pid); sfx=${sfx#tt-netns-demo-}
    [[ $sfx =~ ^[0-9a-f]{6}$ ]] && seen[$sfx]=1
  done
  for sfx in "${!seen[@]}"; do
    owner_alive "$sfx" && continue
    log "removing leftovers of an interrupted run ($sfx)"
    remove_run "$sfx"
  done
}

# ── this run ──────────────────────────────────────────────────────────────────────────────────────────────────
SFX=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
WORK=/tmp/tt-netns-demo-$SFX
declare -A NS ADDR
for role in "${ROLES[@]}"; do NS[$role]=tt-$role-$SFX; done
for role in "${!HOSTNUM[@]}"; do ADDR[$role]=$SUBNET.${HOSTNUM[$role]}; done
REDIS_URL=redis://${ADDR[redis]}:6379
WEB_URL=http://${ADDR[web]}:3000
declare -A PID=()
FAILED=0
CLEANED=0

cleanup() {
  local rc=$? name
  ((CLEANED)) && return
  CLEANED=1
  trap - INT TERM
  # A signal may arrive while a wait_for condition runs with its output sent to /dev/null: speak again.
  exec 1>&"$STDOUT" 2>&"$STDERR"
  if ((rc != 0)) && [[ -d $WORK/logs ]]; then
    for name in runner-1 runner-2 web redis; do
      [[ -s $WORK/logs/$name.log ]] || continue
      printf '\n── last lines of %s.log ──\n' "$name" >&2
      tail -n 15 "$WORK/logs/$name.log" >&2 || true
    done
  fi
  if [[ ${DEMO_KEEP_LOGS:-} == 1 && -d $WORK/logs ]]; then
    cp -r "$WORK/logs" "/tmp/tt-netns-demo-logs-$SFX" && log "logs kept in /tmp/tt-netns-demo-logs-$SFX"
  fi
  # Our processes by pid: a gentle stop first, then SIGKILL; then whatever is left in our namespaces.
  [[ -n ${ASSIGNER:-} ]] && kill -TERM "$ASSIGNER" 2>/dev/null || true
  for name in web runner-2 runner-1 redis; do
    [[ -n ${PID[$name]:-} ]] && kill -TERM "${PID[$name]}" 2>/dev/null || true
  done
  for ((i = 0; i < 30; i++)); do
    local alive=0
    for name in "${!PID[@]}"; do kill -0 "${PID[$name]}" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for name in "${!PID[@]}"; do kill -9 "${PID[$name]}" 2>/dev/null || true; done
  remove_run "$SFX"
  log "cleaned up (namespaces *-$SFX, $WORK)"
  exit "$rc"
}

exec {STDOUT}>&1 {STDERR}>&2
mkdir -p "$STATE_DIR"
remove_leftovers
for c in redis-server redis-cli curl; do command -v "$c" >/dev/null || die "$c not found: apt-get install redis-server curl"; done
[[ -n $NODE ]] || die "node not found (Node 20 is needed)"
[[ -f $ROOT/apps/cli/dist/tt.js && -f $ROOT/apps/runner/dist/index.js && -f $WEB_DIR/.next/BUILD_ID && -f $WEB_DIR/dist/server.js ]] ||
  die "the checkout is not built: run \`pnpm install && pnpm build\` first"
[[ $SUBNET =~ ^10\.231\.([0-9]{1,3})$ ]] && ((BASH_REMATCH[1] <= 255)) || die "DEMO_SUBNET must be 10.231.<0-255> (the demo's own range), not $SUBNET"
[[ $AGENTS =~ ^[1-9][0-9]?$ && $TASKS =~ ^[1-9][0-9]{0,3}$ ]] && ((TASKS >= 2 * AGENTS && TASKS <= 1000)) ||
  die "DEMO_AGENTS (1-99) and DEMO_TASKS (2×agents … 1000) must be numbers"
echo $$ >"$STATE_DIR/$SFX.pid" # before anything is created, so an interrupted run is always recognised
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$WORK"/{logs,redis,hosts/ctl,hosts/run1,hosts/run2,hosts/web}

wait_for() { # timeout (s), description, command… → polls every 0.2 s until the command succeeds
  local limit=$1 what=$2 deadline
  shift 2
  deadline=$(($(now_ms) + limit * 1000))
  until "$@" >/dev/null 2>&1; do
    (($(now_ms) < deadline)) || die "timed out after ${limit}s waiting for $what"
    sleep 0.2
  done
}

in_ns() { local role=$1; shift; $IP netns exec "${NS[$role]}" "$@"; }
# The operator's `tt`, run from the ctl namespace against the ctl host's copy of the town.
tt() { in_ns ctl timeout 30 "$NODE" "$TT_JS" --town "$WORK/hosts/ctl" "$@"; }

# ── 1. the network ────────────────────────────────────────────────────────────────────────────────────────────
log "suffix $SFX: namespaces ${NS[*]}"
for role in "${ROLES[@]}"; do
  $IP netns add "${NS[$role]}"
  $IP -n "${NS[$role]}" link set lo up
done
$IP -n "${NS[net]}" link add br0 type bridge
$IP -n "${NS[net]}" link set br0 up
for role in redis run1 run2 web ctl; do
  # Both ends are created inside our namespaces: the root namespace gets no interface, address or route.
  $IP -n "${NS[net]}" link add "v-$role" type veth peer name eth0 netns "${NS[$role]}"
  $IP -n "${NS[net]}" link set "v-$role" master br0 up
  $IP -n "${NS[$role]}" addr add "${ADDR[$role]}/24" dev eth0
  $IP -n "${NS[$role]}" link set eth0 up
done

# ── 2. Redis, the town, the runners, the dashboard ────────────────────────────────────────────────────────────
# Daemons are started with `ip netns exec` directly (it execs the command), so $! is the daemon's own pid.
$IP netns exec "${NS[redis]}" redis-server --bind "${ADDR[redis]}" --port 6379 --protected-mode no --appendonly yes --appendfsync everysec \
  --save "" --dir "$WORK/redis" --logfile "$WORK/logs/redis.log" --daemonize no {STDOUT}>&- {STDERR}>&- &
PID[redis]=$!
disown "${PID[redis]}" # no "Killed" job notices from bash; cleanup kills by pid
redis_up() { [[ $(in_ns ctl timeout 2 redis-cli -h "${ADDR[redis]}" ping 2>/dev/null) == PONG ]]; }
wait_for 15 "Redis at ${ADDR[redis]} from the ctl host" redis_up
log "redis-server (pid ${PID[redis]}) answers on $REDIS_URL, AOF on"

cat >"$WORK/fixture-agent.mjs" <<'EOF'
// A stand-in coding agent: works for 300-500 ms, prints what it did, exits 0.
const ms = 300 + Math.floor(Math.random() * 201);
console.log(`agent ${process.env.TT_AGENT} working on ${process.env.TT_TASK} for ${ms} ms`);
setTimeout(() => console.log("done"), ms);
EOF

(cd "$WORK/hosts/ctl" && tt init demo --redis-url "$REDIS_URL" >/dev/null)
"$NODE" -e '
  const fs = require("node:fs");
  const [file, node, fixture] = process.argv.slice(1);
  const cfg = JSON.parse(fs.readFileSync(file, "utf8"));
  cfg.models = { ...cfg.models, fixture: { command: node, args: [fixture], prompt: "stdin" } };
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2) + "\n");
' "$WORK/hosts/ctl/tinytown.json" "$NODE" "$WORK/fixture-agent.mjs"
# Each host has its own copy of the town's config: Redis is the only thing the hosts share.
for role in run1 run2 web; do cp "$WORK/hosts/ctl/tinytown.json" "$WORK/hosts/$role/"; done
log "town demo initialised (tt init demo --redis-url $REDIS_URL); custom model \`fixture\` = node fixture-agent.mjs"

# The dashboard listens on its host's address, beyond loopback: it requires sign-in (the page answers 307 → /login).
(cd "$WEB_DIR" && exec $IP netns exec "${NS[web]}" env NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 \
  TT_TOWN_DIR="$WORK/hosts/web" REDIS_URL="$REDIS_URL" "$NODE" "$WEB_SERVER" --host "${ADDR[web]}" --port 3000) >"$WORK/logs/web.log" 2>&1 {STDOUT}>&- {STDERR}>&- &
PID[web]=$!
disown "${PID[web]}"


json() { # a JS expression over `d` (stdin, parsed as JSON) → printed (arrays one item per line)
  "$NODE" -e 'let s="";process.stdin.on("data",(c)=>(s+=c)).on("end",()=>{const d=JSON.parse(s);const r=('"$1"');if(r!==undefined)console.log(Array.isArray(r)?r.join("\n"):String(r))})'
}
status_json() { tt --json status; }
both_runners_up() { [[ $(status_json | json 'd.runners.filter((r)=>r.alive).map((r)=>r.id).sort().join(" ")') == "runner-1 runner-2" ]]; }
web_up() { in_ns ctl curl -sf --max-time 3 "$WEB_URL/api/trpc/health.ping" | grep -q '"ok":true'; }

wait_for 90 "the dashboard at $WEB_URL" web_up
if $IP route show | grep -q "^${SUBNET}\.0/24 "; then
  page=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$WEB_URL/" || true)
  where="the root namespace"
else
  # By design the root namespace has no route into the demo network: ask from the operator's host instead.
  page=$(in_ns ctl curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$WEB_URL/" || true)
  where="the ctl host (the root namespace has no route to ${SUBNET}.0/24)"
fi
log "dashboard (pid ${PID[web]}) answers on $WEB_URL from $where: health.ping ok, GET / → HTTP $page"
[[ $page =~ ^(200|307|308)$ ]] || { printf '  ✗ the dashboard page answered HTTP %s\n' "$page"; FAILED=1; }

echo
echo "Topology (addresses inside the demo's namespaces; bridge br0 in ${NS[net]}):"
for role in redis run1 run2 web ctl; do
  printf '  %-6s %-18s %s\n' "$role" "${NS[$role]}" "$($IP -n "${NS[$role]}" -br -4 addr show dev eth0 | awk '{print $3}')  routes: $($IP -n "${NS[$role]}" route show | paste -sd ';')"
done
echo

# ── 3. the workload ───────────────────────────────────────────────────────────────────────────────────────────
for n in 1 2; do
  $IP netns exec "${NS[run$n]}" env TT_RUNNER_ID="runner-$n" TT_TOWN_DIR="$WORK/hosts/run$n" "$NODE" "$RUNNER_JS" >"$WORK/logs/runner-$n.log" 2>&1 {STDOUT}>&- {STDERR}>&- &
  PID[runner-$n]=$!
  disown "${PID[runner-$n]}"
done
wait_for 30 "both runners to register with the town" both_runners_up
log "runner-1 (pid ${PID[runner-1]}, ${ADDR[run1]}) and runner-2 (pid ${PID[runner-2]}, ${ADDR[run2]}) are serving the town"

for ((i = 1; i <= AGENTS; i++)); do tt spawn "w$i" --model fixture >/dev/null; done
agents_idle() { [[ $(status_json | json 'd.agents.idle') == "$AGENTS" ]]; }
wait_for 30 "$AGENTS agents to become idle" agents_idle
log "$AGENTS agents spawned (model fixture), idle"

# Tasks arrive while the runners work (4 `tt assign` at a time, round-robin over the agents) and keep arriving
# after the kill. Each task goes to whichever runner's worker takes it from the agent's queue, so both get work.
# (Queued all up front, they would not: BullMQ hands an agent's next job to the worker that finished its previous
# one, so the runner that starts first keeps every busy queue.)
assign_all() {
  local i p batch=()
  for ((i = 1; i <= TASKS; i++)); do
    tt assign "w$(((i - 1) % AGENTS + 1))" "demo task $i" >/dev/null &
    batch+=($!)
    if ((${#batch[@]} == 4 || i == TASKS)); then
      for p in "${batch[@]}"; do wait "$p" || return 1; done
      batch=()
    fi
  done
}
T_ASSIGN=$(now_ms)
assign_all &
ASSIGNER=$!
log "assigning $TASKS tasks (background, pid $ASSIGNER)"

# Kill runner-1's host once a fifth of the work is done, at the moment it starts its next task: that task's
# process (300-500 ms of work) is surely in flight.
completed() { status_json | json 'd.tasks.completed'; }
enough_done() { (($(completed) >= TASKS / 5)); }
wait_for 120 "$((TASKS / 5)) tasks to complete" enough_done
exec 3< <(exec timeout 30 tail -n0 -F "$WORK/logs/runner-1.log" 2>/dev/null)
TAIL=$!
started=$(grep -m1 -oE 'task [0-9a-f]{8} started on [^ ]+' <&3) || die "runner-1 started no task within 30 s (is it getting any work?)"
# From here to the SIGKILL only builtins and one `ip`, so the kill lands within milliseconds.
KILL_AT=${EPOCHREALTIME/./} KILL_AT=${KILL_AT:0:13}
[[ ${DEMO_CUT_LINK_FIRST:-} == 1 ]] && $IP -n "${NS[run1]}" link set eth0 down
victims=($($IP netns pids "${NS[run1]}"))
described=()
for p in "${victims[@]}"; do
  mapfile -d '' -t argv 2>/dev/null <"/proc/$p/cmdline" || argv=("?")
  described+=("${argv[-1]##*/} $p")
done
kill -9 "${victims[@]}" 2>/dev/null || true
KILL_SENT=${EPOCHREALTIME/./} KILL_SENT=${KILL_SENT:0:13}
kill_ns_procs "${NS[run1]}" || die "processes survived SIGKILL in ${NS[run1]}"
KILL_DONE=$(now_ms)
kill "$TAIL" 2>/dev/null || true
exec 3<&-
[[ ${DEMO_CUT_LINK_FIRST:-} == 1 ]] && log "runner-1's link was taken down first"
printf -v desc '%s, ' "${described[@]}"
desc=${desc%, }
$IP netns del "${NS[run1]}"
unset 'PID[runner-1]'
log "runner-1: $started → SIGKILL sent to every process in ${NS[run1]} ($desc) $((KILL_SENT - KILL_AT)) ms later; all gone after $((KILL_DONE - KILL_AT)) ms; namespace deleted"

assigner_done() { ! kill -0 "$ASSIGNER" 2>/dev/null; }
wait_for 300 "the assignments to finish" assigner_done
wait "$ASSIGNER" || die "a \`tt assign\` failed"
log "$TASKS tasks assigned in $(($(now_ms) - T_ASSIGN)) ms"

settled() { # → 0 once every task is completed, or as soon as one failed or was cancelled (the report says which)
  local c
  c=$(status_json | json '`${d.tasks.completed} ${d.tasks.failed + d.tasks.cancelled}`')
  [[ ${c#* } == 0 ]] || return 0
  [[ ${c% *} == "$TASKS" ]]
}
wait_for 120 "every task to complete after the kill" settled
log "the workload has settled"

runner1_dead() { [[ $(status_json | json 'String(d.runners.find((r)=>r.id==="runner-1")?.alive ?? "gone")') != true ]]; }
wait_for 40 "the town to see runner-1 as dead" runner1_dead
log "the town reports runner-1 dead (no heartbeat for RUNNER_ALIVE_MS)"
web_after=ok
web_up || web_after=down

tt --json events -n 10000 >"$WORK/events.jsonl"
tt --json tasks -n 1000 >"$WORK/tasks.json"
status_json >"$WORK/status.json"

cat >"$WORK/report.mjs" <<'EOF'
// Figures and invariants of the run, from the town's own records: the event stream, the tasks, the status.
import { readFileSync } from "node:fs";
const [dir, killAt, killDone, nTasks, nAgents, webAfter] = process.argv.slice(2);
const KILL_AT = Number(killAt), KILL_DONE = Number(killDone), TASKS = Number(nTasks), AGENTS = Number(nAgents);
const events = readFileSync(`${dir}/events.jsonl`, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const tasks = JSON.parse(readFileSync(`${dir}/tasks.json`, "utf8")).items;
const status = JSON.parse(readFileSync(`${dir}/status.json`, "utf8"));
const R1 = "runner:runner-1", R2 = "runner:runner-2";

let failed = false;
const check = (what, ok) => { console.log(`  ${ok ? "✓" : "✗"} ${what}`); if (!ok) failed = true; };
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

const byTask = new Map(tasks.map((t) => [t.id, []]));
for (const e of events) if (e.taskId && byTask.has(e.taskId)) byTask.get(e.taskId).push(e);
const of = (id, type, by) => byTask.get(id).filter((e) => e.type === type && (!by || e.by === by));

// In flight on runner-1 when it died: the task's last change before the kill was runner-1 starting it.
const inFlight = tasks.filter((t) => byTask.get(t.id).filter((e) => e.at <= KILL_DONE).at(-1)?.type === "task.started" && byTask.get(t.id).filter((e) => e.at <= KILL_DONE).at(-1)?.by === R1);
const requeued = tasks.filter((t) => of(t.id, "task.requeued").length > 0);
const completions = events.filter((e) => e.type === "task.completed");
const perRunner = {};
for (const e of completions) perRunner[e.by] = (perRunner[e.by] ?? 0) + 1;
const firstMoved = Math.min(...requeued.map((t) => of(t.id, "task.requeued")[0].at));
const reruns = requeued.map((t) => of(t.id, "task.started").at(-1));
const firstRerun = Math.min(...reruns.map((e) => e.at));
const lastRerunDone = Math.max(...requeued.map((t) => of(t.id, "task.completed")[0]?.at ?? Infinity));
const lastDone = Math.max(...completions.map((e) => e.at));
const T0 = Math.min(...events.filter((e) => e.type === "task.started").map((e) => e.at));
const r1 = status.runners.find((r) => r.id === "runner-1");
const r2 = status.runners.find((r) => r.id === "runner-2");
const lostReason = requeued.map((t) => of(t.id, "task.requeued")[0].error ?? "").find(Boolean);

console.log("\nInvariants");
check(`${TASKS} tasks exist, all completed (states: ${JSON.stringify(status.tasks)})`, tasks.length === TASKS && tasks.every((t) => t.state === "completed"));
check("each task completed exactly once (one task.completed event per task)", tasks.every((t) => of(t.id, "task.completed").length === 1));
check(`runner-1 had work in flight when its host was killed (${inFlight.length} task(s))`, inFlight.length >= 1);
check("exactly the tasks in flight on runner-1 were moved, each once, by runner-2, after the kill",
  requeued.length === inFlight.length && inFlight.every((t) => { const q = of(t.id, "task.requeued"); return q.length === 1 && q[0].by === R2 && q[0].at >= KILL_AT; }));
check("each moved task ran again on runner-2 as attempt 2 and completed there",
  requeued.every((t) => t.attempts === 2 && of(t.id, "task.started").at(-1).by === R2 && of(t.id, "task.completed")[0]?.by === R2));
check("every other task ran once (attempts = 1)", tasks.filter((t) => !requeued.includes(t)).every((t) => t.attempts === 1));
check("nothing was done by runner-1 after the kill", !events.some((e) => e.by === R1 && e.at > KILL_DONE));
check(`runner-1 stopped heartbeating at the kill (last heartbeat ${r1 ? s(KILL_AT - r1.lastSeen) + " before it" : "-"}; alive: ${r1?.alive ?? "unregistered"})`, !r1 || (r1.lastSeen <= KILL_DONE && !r1.alive));
check(`runner-2 is alive (last seen ${r2 ? s(Date.now() - r2.lastSeen) : "-"} ago)`, Boolean(r2?.alive));
check(`all ${AGENTS} agents idle at the end (${JSON.stringify(status.agents)})`, status.agents.idle === AGENTS);
check(`the dashboard still answers after the kill (${webAfter})`, webAfter === "ok");

console.log("\nFigures");
const rows = [
  ["tasks", `${TASKS} on ${AGENTS} agents (fixture model, 300-500 ms each)`],
  ["completed", `${completions.length}: runner-1 ${perRunner[R1] ?? 0}, runner-2 ${perRunner[R2] ?? 0}`],
  ["completed before the kill", `${completions.filter((e) => e.at <= KILL_AT).length}`],
  ["in flight on runner-1 at the kill", `${inFlight.length} (${inFlight.map((t) => t.id.slice(0, 8)).join(", ")})`],
  ["re-runs (attempt 2, on runner-2)", `${requeued.length}${lostReason ? ` — "${lostReason}"` : ""}`],
  ["kill → first task moved", requeued.length ? s(firstMoved - KILL_AT) : "-"],
  ["kill → first re-run started", requeued.length ? s(firstRerun - KILL_AT) : "-"],
  ["kill → last re-run completed", requeued.length ? s(lastRerunDone - KILL_AT) : "-"],
  ["kill → whole workload done", s(lastDone - KILL_AT)],
  ["total (first task started → last done)", `${s(lastDone - T0)} (${(TASKS / ((lastDone - T0) / 1000)).toFixed(1)} tasks/s)`],
];
for (const [k, v] of rows) console.log(`  ${k.padEnd(40)} ${v}`);
process.exit(failed ? 1 : 0);
EOF
echo
"$NODE" "$WORK/report.mjs" "$WORK" "$KILL_AT" "$KILL_DONE" "$TASKS" "$AGENTS" "$web_after" || FAILED=1
echo
if ((FAILED)); then
  log "FAILED: an invariant does not hold (see ✗ above)"
  exit 1
fi
log "passed: runner-1's host was killed mid-run and its work moved to runner-2; nothing lost"
