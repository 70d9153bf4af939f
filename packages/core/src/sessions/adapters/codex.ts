/**
 * OpenAI Codex's `codex exec --json`: one JSON event per line. Three generations are read:
 * - current (openai/codex `codex-rs/exec/src/exec_events.rs`, 2025-10 onwards): `thread.started {thread_id}`,
 *   `turn.started`, `item.started|updated|completed {item:{id,type,…}}` with item types `agent_message`,
 *   `reasoning`, `command_execution {command,aggregated_output,exit_code,status}`, `file_change {changes:[{path,kind,
 *   diff?}],status}`, `mcp_tool_call {server,tool,arguments,result,error,status}`, `web_search {query}`, `todo_list`,
 *   `plan`, `collab_tool_call`, `error {message}`; `turn.completed {usage:{input_tokens,cached_input_tokens,
 *   output_tokens,reasoning_output_tokens?}}`, `turn.failed {error:{message}}`, `error {message}`;
 * - 2025-09-30 (openai/codex PR #4525): the same events with `item.item_type` and `assistant_message`;
 * - before (`{"id","msg":{"type":…}}`, openai/codex `protocol.rs` EventMsg): `session_configured`, `agent_message`,
 *   `agent_reasoning`, `exec_command_begin|end`, `patch_apply_begin|end`, `mcp_tool_call_begin|end`,
 *   `token_count {info:{total_token_usage}}`, `task_complete`, `error`, `stream_error`.
 * `usage` is the thread's running total (openai/codex `event_processor_with_jsonl_output.rs` emits
 * `ThreadTokenUsage.total`; issue #17539), so each figure is turned into what it adds; `input_tokens` includes the
 * cached ones. Codex reports no cost: tokens are priced with the town's table. Resuming is `codex exec resume <id>`.
 */
import { ACTIVITY_LIMITS, clip, subTokens, type Tokens } from "../activity";
import { StructuredAdapter } from "./base";
import type { AdapterOptions } from "./types";
import {
  compactJson,
  contentText,
  count,
  diffCounts,
  isObj,
  lineCount,
  oneLine,
  parseObject,
  str,
  type Obj,
} from "./util";

type LegacyPatch = { path: string; change: "add" | "update" | "delete"; added: number; removed: number }[];

export class CodexJsonAdapter extends StructuredAdapter<LegacyPatch | null> {
  readonly protocol = "codex-json" as const;
  private baseline: Tokens | null;

  constructor(opts: AdapterOptions = {}) {
    super(opts);
    this.baseline = opts.baseline ?? null;
  }

  protected line(line: string): void {
    if (!line.trim()) return;
    const ev = parseObject(line);
    if (!ev) return this.raw(line);
    if (isObj(ev.msg) && typeof ev.msg.type === "string") return this.legacy(ev.msg);
    if (typeof ev.type !== "string") return this.raw(line);
    switch (ev.type) {
      case "thread.started":
      case "thread.resumed":
        return this.session(ev.thread_id);
      case "session.created":
        return this.session(ev.session_id);
      case "item.started":
      case "item.completed": {
        const item = ev.item;
        if (!isObj(item)) return this.malformed(ev.type, "no item object");
        return this.item(item, ev.type === "item.started");
      }
      case "turn.completed":
        this.cumulative(ev.usage);
        this.endTurn();
        this.state.finished = true;
        return;
      case "turn.failed": {
        const message = (isObj(ev.error) ? str(ev.error.message) : undefined) ?? "turn failed";
        this.endTurn();
        this.state.finished = true;
        this.state.failed = true;
        this.limitFromText(message);
        return this.error(`the turn failed: ${message}`, true);
      }
      case "error": {
        const message = str(ev.message) ?? "error";
        this.limitFromText(message);
        return this.error(message);
      }
      default:
        this.state.skipped++;
    }
  }

  private item(item: Obj, started: boolean): void {
    const id = str(item.id) ?? "";
    const type = str(item.type) ?? str(item.item_type);
    switch (type) {
      case "agent_message":
      case "assistant_message":
      case "plan":
        if (!started) this.text(str(item.text));
        return;
      case "reasoning":
        if (!started) this.text(str(item.text), { reasoning: true });
        return;
      case "command_execution":
        return this.call(id, started, "shell", oneLine(str(item.command) ?? ""), () => {
          const exit = typeof item.exit_code === "number" ? item.exit_code : undefined;
          const ok = item.status !== "failed" && item.status !== "declined" && (exit === undefined || exit === 0);
          return { ok, output: contentText(item.aggregated_output), exitCode: exit };
        });
      case "mcp_tool_call":
        return this.call(
          id,
          started,
          `${str(item.server) ?? "mcp"}.${str(item.tool) ?? "tool"}`,
          compactJson(item.arguments ?? {}),
          () => {
            const err = isObj(item.error) ? str(item.error.message) : undefined;
            const result = isObj(item.result) ? contentText(item.result.content) : "";
            return { ok: item.status !== "failed" && !err, output: err ?? result };
          },
        );
      case "collab_tool_call":
        return this.call(id, started, `collab.${str(item.tool) ?? "tool"}`, oneLine(str(item.prompt) ?? ""), () => ({
          ok: item.status !== "failed",
          output: "",
        }));
      case "web_search":
        return this.call(id, started, "web_search", oneLine(str(item.query) ?? ""), () => ({ ok: true, output: "" }));
      case "file_change":
        if (!started) this.fileChange(item);
        return;
      case "error":
        if (!started) this.error(str(item.message) ?? "error");
        return;
      default:
        this.state.skipped++;
    }
  }

  /** A tool-like item: the call when it starts (or completes unseen), the result when it completes. */
  private call(
    id: string,
    started: boolean,
    name: string,
    summary: string,
    result: () => { ok: boolean; output: string; exitCode?: number },
  ): void {
    const callId = id ? { callId: clip(id, ACTIVITY_LIMITS.id) } : {};
    const known = id !== "" && this.open.has(id);
    if (!known && (started || id !== ""))
      this.out.push({ kind: "tool_call", ...callId, name: clip(name, ACTIVITY_LIMITS.name), summary });
    if (started) {
      if (id) this.openCall(id, null);
      return;
    }
    this.closeCall(id);
    const r = result();
    this.out.push({
      kind: "tool_result",
      ...callId,
      ok: r.ok,
      output: clip(r.output, ACTIVITY_LIMITS.output),
      ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    });
  }

  private fileChange(item: Obj): void {
    const changes = Array.isArray(item.changes) ? item.changes.filter(isObj) : [];
    if (item.status === "failed") {
      const paths = changes.map((c) => str(c.path) ?? "?").join(", ");
      return this.error(`a patch failed${paths ? `: ${paths}` : ""}`);
    }
    for (const c of changes) {
      const path = str(c.path);
      if (!path) continue;
      const kind = c.kind === "add" || c.kind === "delete" ? c.kind : "update";
      const diff = str(c.diff);
      this.out.push({
        kind: "file_edit",
        path: clip(path, ACTIVITY_LIMITS.path),
        change: kind,
        ...(diff !== undefined ? diffCounts(diff.split("\n")) : {}),
      });
    }
  }

  /** A running total for the thread → what it adds to this run's sums. */
  private cumulative(usage: unknown): void {
    if (!isObj(usage)) return;
    const cached = count(usage.cached_input_tokens);
    const total: Tokens = {
      input: Math.max(0, count(usage.input_tokens) - cached),
      output: count(usage.output_tokens),
      cacheRead: cached,
      cacheWrite: 0,
    };
    this.state.cumulative = total;
    const b = this.baseline;
    if (b && (total.input < b.input || total.output < b.output || total.cacheRead < b.cacheRead)) this.baseline = null;
    const run = this.baseline ? subTokens(total, this.baseline) : total;
    const d = subTokens(run, this.state.tokens);
    // Codex never corrects itself downwards: a smaller figure is a new count, nothing to take back.
    this.estimate(this.state.model ?? this.opts.providerModel, {
      input: Math.max(0, d.input),
      output: Math.max(0, d.output),
      cacheRead: Math.max(0, d.cacheRead),
      cacheWrite: 0,
    });
  }

  private legacy(msg: Obj): void {
    const id = str(msg.call_id) ?? "";
    switch (msg.type) {
      case "session_configured":
        return this.session(msg.session_id, str(msg.model));
      case "agent_message":
        return this.text(str(msg.message));
      case "agent_reasoning":
        return this.text(str(msg.text), { reasoning: true });
      case "exec_command_begin": {
        const cmd = Array.isArray(msg.command) ? msg.command.filter((c): c is string => typeof c === "string") : [];
        // `["bash", "-lc", "<script>"]`: the script is the command.
        const shown = cmd.length === 3 && cmd[1] === "-lc" ? cmd[2]! : cmd.join(" ");
        return this.call(id, true, "shell", oneLine(shown), () => ({ ok: false, output: "" }));
      }
      case "exec_command_end": {
        const exit = typeof msg.exit_code === "number" ? msg.exit_code : undefined;
        const output =
          str(msg.aggregated_output) ??
          str(msg.formatted_output) ??
          [str(msg.stdout), str(msg.stderr)].filter(Boolean).join("\n");
        return this.call(id, false, "shell", "", () => ({ ok: exit === 0, output, exitCode: exit }));
      }
      case "patch_apply_begin":
        if (id) this.openCall(id, legacyPatch(msg.changes));
        return;
      case "patch_apply_end": {
        const patch = this.closeCall(id);
        if (msg.success === false) return this.error(`a patch failed: ${oneLine(str(msg.stderr) ?? "")}`);
        for (const p of patch ?? [])
          this.out.push({ kind: "file_edit", ...p, path: clip(p.path, ACTIVITY_LIMITS.path) });
        return;
      }
      case "mcp_tool_call_begin": {
        const inv = isObj(msg.invocation) ? msg.invocation : {};
        const name = `${str(inv.server) ?? "mcp"}.${str(inv.tool) ?? "tool"}`;
        return this.call(id, true, name, compactJson(inv.arguments ?? {}), () => ({ ok: false, output: "" }));
      }
      case "mcp_tool_call_end": {
        const r = isObj(msg.result) ? msg.result : {};
        const ok = "Ok" in r && !(isObj(r.Ok) && r.Ok.isError === true);
        const output = "Err" in r ? String(r.Err) : isObj(r.Ok) ? contentText(r.Ok.content) : "";
        return this.call(id, false, "mcp", "", () => ({ ok, output }));
      }
      case "token_count": {
        const info = isObj(msg.info) ? msg.info : undefined;
        return this.cumulative(info ? info.total_token_usage : msg);
      }
      case "task_complete":
        this.endTurn();
        this.state.finished = true;
        return;
      case "error":
      case "stream_error": {
        const message = str(msg.message) ?? "error";
        this.limitFromText(message);
        return this.error(message);
      }
      default:
        this.state.skipped++;
    }
  }
}

/** `{ "<path>": { add: {content} } | { delete: {} } | { update: { unified_diff } } }` → file edits. */
function legacyPatch(changes: unknown): LegacyPatch {
  if (!isObj(changes)) return [];
  return Object.entries(changes).flatMap(([path, c]): LegacyPatch => {
    if (!isObj(c)) return [];
    if (isObj(c.add)) return [{ path, change: "add" as const, added: lineCount(str(c.add.content)), removed: 0 }];
    if ("delete" in c) return [{ path, change: "delete" as const, added: 0, removed: 0 }];
    const diff = isObj(c.update) ? str(c.update.unified_diff) : undefined;
    return [{ path, change: "update" as const, ...diffCounts((diff ?? "").split("\n")) }];
  });
}
