import type { AgentState, Priority, TaskState } from "@tinytown/core/schema";

const TASK_STATE_STYLE: Record<TaskState, string> = {
  pending: "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
  assigned: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
  running: "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
  completed: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
  failed: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300",
  cancelled: "bg-zinc-100 text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400",
};

export function TaskStateBadge(props: { state: TaskState }) {
  return <span className={`badge ${TASK_STATE_STYLE[props.state]}`}>{props.state}</span>;
}

const AGENT_DOT: Record<AgentState, string> = {
  starting: "bg-sky-400 animate-pulse",
  idle: "bg-emerald-500",
  working: "bg-amber-500 animate-pulse",
  paused: "bg-violet-500",
  draining: "bg-orange-400",
  stopped: "bg-zinc-400 dark:bg-zinc-600",
  error: "bg-red-500",
};

export function AgentStateDot(props: { state: AgentState }) {
  return <span aria-hidden className={`inline-block size-2 shrink-0 rounded-full ${AGENT_DOT[props.state]}`} />;
}

export function AgentStateBadge(props: { state: AgentState }) {
  return (
    <span
      className="badge gap-1.5 bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300"
      data-testid="agent-state"
    >
      <AgentStateDot state={props.state} />
      {props.state}
    </span>
  );
}

const PRIORITY_STYLE: Record<Priority, string> = {
  urgent: "text-red-600 dark:text-red-400",
  high: "text-orange-600 dark:text-orange-400",
  normal: "text-zinc-500 dark:text-zinc-400",
  low: "text-zinc-400 dark:text-zinc-500",
};
const PRIORITY_BARS: Record<Priority, number> = { urgent: 4, high: 3, normal: 2, low: 1 };

/** Four little bars, filled by priority (Linear-style), plus the word for screen readers and tooltips. */
export function PriorityIcon(props: { priority: Priority }) {
  const n = PRIORITY_BARS[props.priority];
  return (
    <span className={`inline-flex items-center ${PRIORITY_STYLE[props.priority]}`} title={`${props.priority} priority`}>
      <svg viewBox="0 0 14 12" className="size-3.5" aria-hidden>
        {[0, 1, 2, 3].map((i) => (
          <rect
            key={i}
            x={i * 3.5}
            y={9 - i * 3}
            width="2.5"
            height={3 + i * 3}
            rx="0.6"
            fill="currentColor"
            opacity={i < n ? 1 : 0.22}
          />
        ))}
      </svg>
      <span className="sr-only">{props.priority} priority</span>
    </span>
  );
}

/** The model an agent runs; the built-in sim is labelled "simulated". */
export function ModelBadge(props: { model: string; simulated?: boolean }) {
  const sim = props.simulated ?? props.model === "sim";
  return (
    <span
      className={`badge gap-1 font-mono ${sim ? "bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-300" : "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300"}`}
      data-testid="model-badge"
    >
      {props.model}
      {sim ? <span className="font-sans">· simulated</span> : null}
    </span>
  );
}

export function Tag(props: { tag: string }) {
  return (
    <span className="badge bg-zinc-100 font-normal text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400">
      #{props.tag}
    </span>
  );
}
