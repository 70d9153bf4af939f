/**
 * The prompt an agent gets: its pending messages (most urgent first, so the urgent message that interrupted
 * the previous run comes first), the task, and how to report back with `tt`.
 */
import type { Agent, Message, Task, Town } from "@tinytown/core";

function quoteExample(s: string) {
  return `"${s}"`;
}

export function buildPrompt(input: {
  town: Town;
  agent: Agent;
  task: Task;
  messages: readonly Message[];
  /** The reviewers' change request for this attempt (run-workspace.ts), placed right after the task. */
  review?: string;
}): string {
  const { town, agent, task, messages } = input;
  const parts: string[] = [];
  if (messages.length > 0) {
    parts.push("## Messages for you (most urgent first)");
    for (const m of messages) {
      const when = new Date(m.createdAt).toISOString();
      parts.push(`- [${m.priority.toUpperCase()}] ${m.type} from ${m.from} at ${when}:`, indent(m.body));
    }
    parts.push("");
  }
  const meta = [`task ${task.id}`, `priority ${task.priority}`, `attempt ${task.attempts}`];
  if (task.tags.length > 0) meta.push(`tags ${task.tags.join(", ")}`);
  parts.push("## Your task", meta.join(" · "), task.description, "");
  const answers = messages.filter((m) => typeof m.data?.needId === "string" && typeof m.data.answer === "string");
  if (input.review) parts.push(input.review, "");
  else if (answers.length > 0) {
    parts.push(
      "## Note",
      "You asked the humans a question in an earlier attempt of this task; their answer is in the messages above. Go on from where you stopped, using it.",
      "",
    );
  } else if (task.attempts > 1) {
    parts.push(
      "## Note",
      `This task was started before and did not finish (${task.error ?? "interrupted"}). Check the working tree for work already done.`,
      "",
    );
  }
  parts.push(
    "## Reporting back",
    `You are agent "${agent.name}" in the Tinytown town "${town.name}". Report with the \`tt\` command:`,
    `- done: tt task complete ${task.id} --result ${quoteExample("<one-line summary of what you did>")}`,
    `- cannot finish: tt task fail ${task.id} --error ${quoteExample("<what went wrong>")}`,
    `- to tell the humans something: tt send supervisor ${quoteExample("<message>")}`,
    `- to ask a human and wait for the answer: tt ask ${quoteExample("<question>")} [--option A --option B] (when it says so, end your run: you will be started again with the answer)`,
    "If you exit without reporting, exit status 0 counts as done (the end of your output becomes the result) and any other status as failed.",
    "",
  );
  return parts.join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}
