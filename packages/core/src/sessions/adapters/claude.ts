/**
 * Claude Code's `claude --print --output-format stream-json --verbose`: one JSON object per line.
 * Format (checked against https://code.claude.com/docs/en/headless, the Agent SDK's message types
 * https://code.claude.com/docs/en/agent-sdk/typescript and cost guide
 * https://code.claude.com/docs/en/agent-sdk/cost-tracking, and anthropics/claude-code issues #49640, #87303):
 * - `{"type":"system","subtype":"init","session_id","model","tools",…}` first;
 * - `{"type":"assistant","message":{"id","model","content":[text|thinking|tool_use…],"usage"},"parent_tool_use_id",
 *   "error"?}` — one line per content block: lines of one API response share `message.id` and repeat its usage, so
 *   usage counts once per id (keeping the largest figures seen: the early ones are placeholders);
 * - `{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id","content","is_error"}]},
 *   "tool_use_result"?}`;
 * - `{"type":"rate_limit_event","rate_limit_info":{"status":"allowed|allowed_warning|rejected","resetsAt"(s),
 *   "rateLimitType"}}` — informational on every turn, `rejected` when a plan's quota is spent;
 * - `{"type":"result","subtype":"success|error_…","is_error","result","total_cost_usd","usage","modelUsage",
 *   "num_turns","session_id","errors"?}` — `total_cost_usd`, `usage` and `modelUsage` are running totals for the
 *   process (older versions: `cost_usd`).
 * Costs: during a turn, each new response's tokens × the price table (`estimated`); the result's figures then
 * settle them (`reported`): the run's sum is exactly what claude reported.
 */
import { ACTIVITY_LIMITS, clip, type Tokens } from "../activity";
import { StructuredAdapter, toMicros } from "./base";
import type { AdapterOptions } from "./types";
import {
  compactJson,
  contentText,
  count,
  diffCounts,
  isObj,
  lineCount,
  num,
  oneLine,
  parseObject,
  str,
  type Obj,
} from "./util";

/** What an edit tool call will change, kept until its result says it worked. */
interface EditCall {
  path?: string;
  change?: "add" | "update";
  added: number;
  removed: number;
}

/** Responses whose usage was counted, remembered to skip their repeated lines; older ones are forgotten. */
const MAX_SEEN_RESPONSES = 256;

export class ClaudeStreamAdapter extends StructuredAdapter<EditCall | null> {
  readonly protocol = "claude-stream-json" as const;
  private readonly seen = new Map<string, Tokens>();

  constructor(opts: AdapterOptions = {}) {
    super(opts);
  }

  protected line(line: string): void {
    if (!line.trim()) return;
    const ev = parseObject(line);
    if (!ev || typeof ev.type !== "string") return this.raw(line);
    switch (ev.type) {
      case "system":
        if (ev.subtype === "init") this.session(ev.session_id, str(ev.model));
        else this.state.skipped++;
        return;
      case "assistant":
        return this.assistant(ev);
      case "user":
        return this.user(ev);
      case "rate_limit_event":
        return this.rateLimitEvent(ev);
      case "result":
        return this.result(ev);
      default:
        this.state.skipped++;
    }
  }

  private assistant(ev: Obj): void {
    const msg = ev.message;
    if (!isObj(msg)) return this.malformed("assistant", "no message object");
    this.session(ev.session_id, str(msg.model));
    const model = str(msg.model) === "<synthetic>" ? undefined : str(msg.model);
    const parent = str(ev.parent_tool_use_id);
    const extra = parent ? { parent: clip(parent, ACTIVITY_LIMITS.id) } : {};
    const texts: string[] = [];
    for (const b of Array.isArray(msg.content) ? msg.content : []) {
      if (!isObj(b)) continue;
      if (b.type === "text") {
        this.text(str(b.text), extra);
        texts.push(str(b.text) ?? "");
      } else if (b.type === "thinking") this.text(str(b.thinking), { reasoning: true, ...extra });
      else if (b.type === "tool_use" || b.type === "server_tool_use" || b.type === "mcp_tool_use")
        this.toolUse(b, extra);
    }
    this.responseUsage(str(msg.id), model, msg.usage);
    const error = str(ev.error);
    if (error === "rate_limit") this.limitFromText(`rate limit ${texts.join(" ")}`);
    else if (error) this.error(`${error}: ${oneLine(texts.join(" "), ACTIVITY_LIMITS.message - 40)}`);
  }

  private toolUse(b: Obj, extra: { parent?: string }): void {
    const id = str(b.id);
    const name = str(b.name) ?? "tool";
    const input = isObj(b.input) ? b.input : {};
    this.out.push({
      kind: "tool_call",
      ...(id ? { callId: clip(id, ACTIVITY_LIMITS.id) } : {}),
      name: clip(name, ACTIVITY_LIMITS.name),
      summary: summarise(name, input),
      ...extra,
    });
    if (id) this.openCall(id, editOf(name, input));
  }

  private user(ev: Obj): void {
    const msg = ev.message;
    if (!isObj(msg)) return this.malformed("user", "no message object");
    const parent = str(ev.parent_tool_use_id);
    for (const b of Array.isArray(msg.content) ? msg.content : []) {
      if (!isObj(b) || b.type !== "tool_result") continue;
      const id = str(b.tool_use_id);
      const ok = b.is_error !== true;
      this.out.push({
        kind: "tool_result",
        ...(id ? { callId: clip(id, ACTIVITY_LIMITS.id) } : {}),
        ok,
        output: clip(contentText(b.content), ACTIVITY_LIMITS.output),
        ...(parent ? { parent: clip(parent, ACTIVITY_LIMITS.id) } : {}),
      });
      const edit = id ? this.closeCall(id) : undefined;
      if (ok && edit?.path) this.fileEdit(edit, ev.tool_use_result);
    }
  }

  /** The edit as the tool reported it (`structuredPatch` hunks, create/update) or else as the call asked it. */
  private fileEdit(edit: EditCall, result: unknown): void {
    let { added, removed, change } = edit;
    if (isObj(result)) {
      if (Array.isArray(result.structuredPatch) && result.structuredPatch.length > 0) {
        const hunks: unknown[] = result.structuredPatch;
        const lines = hunks.flatMap((h): unknown[] => (isObj(h) && Array.isArray(h.lines) ? h.lines : []));
        ({ added, removed } = diffCounts(lines.filter((l): l is string => typeof l === "string")));
      }
      if (result.type === "create" || result.type === "update") change = result.type === "create" ? "add" : "update";
    }
    this.out.push({
      kind: "file_edit",
      path: clip(edit.path!, ACTIVITY_LIMITS.path),
      ...(change ? { change } : {}),
      added,
      removed,
    });
  }

  /** Usage of one API response, counted once however many lines repeat it. */
  private responseUsage(id: string | undefined, model: string | undefined, usage: unknown): void {
    if (!isObj(usage)) return;
    const now = tokensOf(usage);
    if (!id) return this.estimate(model, now);
    const before = this.seen.get(id);
    const top: Tokens = before
      ? {
          input: Math.max(before.input, now.input),
          output: Math.max(before.output, now.output),
          cacheRead: Math.max(before.cacheRead, now.cacheRead),
          cacheWrite: Math.max(before.cacheWrite, now.cacheWrite),
        }
      : now;
    if (!before && this.seen.size >= MAX_SEEN_RESPONSES) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(id, top);
    const b = before ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
    this.estimate(model, {
      input: top.input - b.input,
      output: top.output - b.output,
      cacheRead: top.cacheRead - b.cacheRead,
      cacheWrite: top.cacheWrite - b.cacheWrite,
    });
  }

  private rateLimitEvent(ev: Obj): void {
    const info = isObj(ev.rate_limit_info) ? ev.rate_limit_info : {};
    const status = str(info.status);
    if (status !== "rejected" && status !== "allowed_warning") {
      this.state.skipped++;
      return;
    }
    const resets = num(info.resetsAt);
    const until = resets === undefined ? null : Math.round(resets < 1e12 ? resets * 1000 : resets);
    const type = str(info.rateLimitType);
    this.rateLimit(
      status === "rejected" ? "limited" : "warning",
      until,
      `${type ? `${type} ` : ""}limit ${status === "rejected" ? "reached" : "nearly reached"}`,
    );
  }

  private result(ev: Obj): void {
    this.session(ev.session_id);
    const model = this.state.model ?? undefined;
    const total = toMicros(ev.total_cost_usd ?? ev.cost_usd);
    const byModel = isObj(ev.modelUsage) ? Object.entries(ev.modelUsage).filter(([, u]) => isObj(u)) : [];
    if (byModel.length > 0) {
      for (const [m, u] of byModel as [string, Obj][]) {
        this.settle(m, modelTokensOf(u), toMicros(u.costUSD));
      }
    } else if (isObj(ev.usage)) {
      this.settleAllTokens(model, tokensOf(ev.usage), total !== null);
    }
    if (total !== null) this.settleTotal(model, total);
    this.endTurn();
    this.state.finished = true;
    if (ev.is_error === true || (typeof ev.subtype === "string" && ev.subtype !== "success")) {
      this.state.failed = true;
      const errors = Array.isArray(ev.errors) ? ev.errors.filter((e): e is string => typeof e === "string") : [];
      const why = errors.join("; ") || str(ev.result) || str(ev.subtype) || "error";
      this.limitFromText(why);
      this.error(`the turn failed: ${why}`, true);
    }
  }
}

function tokensOf(u: Obj): Tokens {
  return {
    input: count(u.input_tokens),
    output: count(u.output_tokens),
    cacheRead: count(u.cache_read_input_tokens),
    cacheWrite: count(u.cache_creation_input_tokens),
  };
}

/** `modelUsage` entries use camelCase. */
function modelTokensOf(u: Obj): Tokens {
  return {
    input: count(u.inputTokens),
    output: count(u.outputTokens),
    cacheRead: count(u.cacheReadInputTokens),
    cacheWrite: count(u.cacheCreationInputTokens),
  };
}

/** A tool call in one short line: the command, the file, the pattern — else its input as JSON. */
function summarise(name: string, input: Obj): string {
  const pick = (...keys: string[]) => keys.map((k) => str(input[k])).find((v) => v !== undefined);
  let s: string | undefined;
  switch (name) {
    case "Bash":
      s = pick("command");
      break;
    case "Read":
    case "Write":
    case "Edit":
    case "MultiEdit":
      s = pick("file_path");
      break;
    case "NotebookEdit":
      s = pick("notebook_path");
      break;
    case "Glob":
    case "Grep": {
      const where = pick("path");
      s = `${pick("pattern") ?? ""}${where ? ` in ${where}` : ""}`;
      break;
    }
    case "WebFetch":
      s = pick("url");
      break;
    case "WebSearch":
      s = pick("query");
      break;
    case "Task":
      s = pick("description", "prompt");
      break;
    case "TodoWrite":
      s = Array.isArray(input.todos) ? `${input.todos.length} items` : undefined;
      break;
  }
  return s !== undefined ? oneLine(s) : compactJson(input);
}

/** What an edit tool will change, from its input; null for other tools. */
function editOf(name: string, input: Obj): EditCall | null {
  const path = str(input.file_path) ?? str(input.notebook_path);
  switch (name) {
    case "Write":
      return { path, change: "update", added: lineCount(str(input.content)), removed: 0 };
    case "Edit":
      return {
        path,
        change: "update",
        added: lineCount(str(input.new_string)),
        removed: lineCount(str(input.old_string)),
      };
    case "MultiEdit": {
      const edits = Array.isArray(input.edits) ? input.edits.filter(isObj) : [];
      return {
        path,
        change: "update",
        added: edits.reduce((n, e) => n + lineCount(str(e.new_string)), 0),
        removed: edits.reduce((n, e) => n + lineCount(str(e.old_string)), 0),
      };
    }
    case "NotebookEdit":
      return { path, change: "update", added: lineCount(str(input.new_source)), removed: 0 };
    default:
      return null;
  }
}
