/**
 * Per-run agent credentials: a random token bound to one run (agent, task, task version), held only in this
 * runner's memory and only while the run lasts. The agent process gets the token; the runner keeps its hash.
 */
import { createHash, randomBytes } from "node:crypto";

/** What one credential allows: acting as `agentName` on `taskId` at `version`, and nothing else. */
export interface RunScope {
  agentId: string;
  agentName: string;
  taskId: string;
  /** The task's version when the run started; changes to the task carry it. */
  version: number;
}

export interface Credential {
  scope: RunScope;
  /** Aborted when the credential is revoked: requests still waiting (an inbox wait) end with it. */
  signal: AbortSignal;
}

interface Entry extends Credential {
  controller: AbortController;
}

const hash = (token: string) => createHash("sha256").update(token).digest("base64url");

export class RunCredentials {
  private readonly entries = new Map<string, Entry>();

  /** A new token for `scope` (32 random bytes, base64url). */
  issue(scope: RunScope): string {
    const token = randomBytes(32).toString("base64url");
    const controller = new AbortController();
    this.entries.set(hash(token), { scope: { ...scope }, controller, signal: controller.signal });
    return token;
  }

  /** The credential of a live token, or null (unknown, malformed or revoked). */
  find(token: string): Credential | null {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    return this.entries.get(hash(token)) ?? null;
  }

  /** Ends a token now; idempotent. */
  revoke(token: string): void {
    const key = hash(token);
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    entry.controller.abort();
  }

  revokeAll(): void {
    for (const e of this.entries.values()) e.controller.abort();
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
