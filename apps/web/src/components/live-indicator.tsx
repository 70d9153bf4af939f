import type { Connection, ConnectionState } from "./connection";

const LABELS: Record<ConnectionState, string> = {
  live: "live",
  connecting: "connecting…",
  reconnecting: "reconnecting…",
  offline: "offline — changes are paused",
};

const DOT: Record<ConnectionState, string> = {
  live: "bg-emerald-500 shadow-[0_0_0_3px] shadow-emerald-500/25",
  connecting: "bg-zinc-400 dark:bg-zinc-500",
  reconnecting: "bg-amber-500 animate-pulse",
  offline: "bg-red-500",
};

/** The live connection in the header: green only while the stream is open and the town's Redis answers. */
export function LiveIndicator(props: { connection: Connection }) {
  const { state, reason } = props.connection;
  return (
    <span
      role="status"
      className={`inline-flex items-center gap-2 text-xs font-medium ${state === "offline" ? "text-red-700 dark:text-red-300" : "text-zinc-600 dark:text-zinc-300"}`}
      data-testid="live-indicator"
      data-connected={state === "live"}
      data-status={state}
      title={reason ? `Offline: ${reason}. This page reconnects by itself.` : undefined}
    >
      <span aria-hidden className={`size-2.5 shrink-0 rounded-full ${DOT[state]}`} />
      <span className={state === "offline" ? "hidden sm:inline" : "max-sm:sr-only"}>{LABELS[state]}</span>
      {state === "offline" ? <span className="sm:hidden">offline</span> : null}
    </span>
  );
}
