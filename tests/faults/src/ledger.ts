/** What a scenario created and got acknowledged: the invariant checker compares the town against it. */
import type { TaskState } from "@tinytown/core";

export interface LedgerTask {
  id: string;
  /** States the task may legitimately end the scenario in. */
  expect: TaskState[];
  /** The scenario deliberately makes this task's agent crash (signal fixtures): re-runs need no injected kill. */
  crashes?: boolean;
}

export class Ledger {
  readonly tasks = new Map<string, LedgerTask>();
  /** Acknowledged messages per mailbox id, in send order (all the same priority), not yet received. */
  readonly messages = new Map<string, string[]>();

  task(id: string, expect: TaskState[], opts: { crashes?: boolean } = {}): void {
    this.tasks.set(id, { id, expect, ...opts });
  }

  message(mailbox: string, id: string): void {
    const list = this.messages.get(mailbox) ?? [];
    list.push(id);
    this.messages.set(mailbox, list);
  }

  expectAll(states: TaskState[]): void {
    for (const t of this.tasks.values()) t.expect = states;
  }
}
