/** Status of a tRPC subscription, as reported by `useSubscription`. */
export type LiveStatus = "idle" | "connecting" | "pending" | "error";

const LABELS: Record<LiveStatus, string> = {
  pending: "live",
  connecting: "connecting…",
  idle: "offline",
  error: "offline",
};

/** Green dot while the live (SSE) connection is open and delivering ("pending"), grey otherwise. */
export function LiveIndicator(props: { status: LiveStatus }) {
  const connected = props.status === "pending";
  return (
    <span
      className="inline-flex items-center gap-2 text-xs font-medium text-zinc-600 dark:text-zinc-400"
      data-testid="live-indicator"
      data-connected={connected}
      data-status={props.status}
    >
      <span
        aria-hidden
        className={
          connected
            ? "size-2.5 rounded-full bg-emerald-500 shadow-[0_0_0_3px] shadow-emerald-500/25"
            : "size-2.5 rounded-full bg-zinc-400 dark:bg-zinc-600"
        }
      />
      {LABELS[props.status]}
    </span>
  );
}
