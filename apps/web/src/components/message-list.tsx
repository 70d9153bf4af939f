import type { Message } from "@tinytown/core/schema";

import { dateTime } from "../lib/format";

const PRIORITY_STYLE: Record<string, string> = {
  urgent: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300",
  high: "bg-orange-100 text-orange-800 dark:bg-orange-950 dark:text-orange-300",
  normal: "bg-zinc-100 text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300",
  low: "bg-zinc-100 text-zinc-500 dark:bg-zinc-800 dark:text-zinc-400",
};

/** Messages in read order (what the agent takes next comes first). Bodies are text only. */
export function MessageList(props: { messages: Message[]; empty: string; names?: Map<string, string> }) {
  if (props.messages.length === 0)
    return <p className="panel p-4 text-sm text-zinc-500 dark:text-zinc-400">{props.empty}</p>;
  return (
    <ol className="panel divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="messages">
      {props.messages.map((m) => (
        <li key={m.id} className="grid gap-1 p-3 text-sm" data-testid="message">
          <div className="flex flex-wrap items-center gap-1.5 text-xs">
            <span className={`badge ${PRIORITY_STYLE[m.priority] ?? ""}`}>{m.priority}</span>
            <span className="badge bg-indigo-50 font-mono text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300">
              {m.type}
            </span>
            <span className="text-zinc-500 dark:text-zinc-400">
              from{" "}
              <span className="font-medium text-zinc-700 dark:text-zinc-300">{props.names?.get(m.from) ?? m.from}</span>
            </span>
            <span className="ml-auto text-zinc-500 dark:text-zinc-400">{dateTime(m.createdAt)}</span>
          </div>
          <p className="break-words whitespace-pre-wrap">
            {m.body || <span className="text-zinc-500 dark:text-zinc-400">(no text)</span>}
          </p>
        </li>
      ))}
    </ol>
  );
}
