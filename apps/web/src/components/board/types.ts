import type { RouterOutputs } from "@tinytown/api";

/** A board card: the task with its description cut to 500 characters. */
export type TaskCard = RouterOutputs["task"]["column"]["items"][number];
export type ColumnPage = RouterOutputs["task"]["column"];
export type AgentRow = RouterOutputs["agent"]["list"][number];

/** The name of the agent a card is assigned to, or null. */
export function assigneeOf(card: TaskCard, agentNames: Map<string, string>): string | null {
  return card.assignedTo ? (agentNames.get(card.assignedTo) ?? null) : null;
}

export interface Filters {
  text: string;
  agent: string;
  state: string;
  priority: string;
  tag: string;
}
export const NO_FILTERS: Filters = { text: "", agent: "", state: "", priority: "", tag: "" };

/** Client-side filtering over the cards loaded so far. `agent` is an agent id ("-" = unassigned). */
export function matches(card: TaskCard, f: Filters): boolean {
  if (f.state && card.state !== f.state) return false;
  if (f.priority && card.priority !== f.priority) return false;
  if (f.tag && !card.tags.includes(f.tag)) return false;
  if (f.agent && (f.agent === "-" ? card.assignedTo !== null : card.assignedTo !== f.agent)) return false;
  if (f.text) {
    const q = f.text.toLowerCase();
    if (!card.description.toLowerCase().includes(q) && !card.id.startsWith(q) && !card.tags.some((t) => t.includes(q)))
      return false;
  }
  return true;
}

export const isFiltering = (f: Filters) => Object.values(f).some(Boolean);
