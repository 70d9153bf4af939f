/**
 * Runs that messages start (core channel/wake.ts): an inbox round that finds its inbox empty — an earlier run already
 * read the messages that created it — completes without starting the agent's CLI, so no tokens go on it.
 */
import { isInboxRound, type Message, type Task } from "@tinytown/core";
import type { RunEnd } from "./processors/run-end";

/** The end of a round with nothing to read, or null when the run should go on. */
export function emptyRoundEnd(task: Task, messages: readonly Message[]): RunEnd | null {
  if (!isInboxRound(task) || messages.length > 0) return null;
  return {
    verdict: { kind: "complete", result: "nothing left in the inbox: an earlier run read it" },
    note: "empty inbox round",
  };
}
