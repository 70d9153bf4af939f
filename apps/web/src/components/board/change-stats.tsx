import type { TaskCard } from "./types";

/** What a task's branch changed, as `+120 −14 · 5 files`, and a marker when its last merge check found conflicts. */
export function ChangeStats(props: { card: Pick<TaskCard, "workspace" | "review"> }) {
  const { workspace, review } = props.card;
  if (!workspace || workspace.stats.files === 0) return null;
  const s = workspace.stats;
  const conflicts = review?.conflict?.files.length ?? 0;
  const label = `${s.additions} added, ${s.deletions} removed lines in ${s.files} file${s.files === 1 ? "" : "s"}`;
  return (
    <span className="flex shrink-0 items-center gap-1 whitespace-nowrap tabular-nums" data-testid="card-changes">
      <span className="sr-only">{label}</span>
      <span aria-hidden className="text-emerald-700 dark:text-emerald-400">
        +{s.additions}
      </span>
      <span aria-hidden className="text-red-700 dark:text-red-400">
        −{s.deletions}
      </span>
      <span aria-hidden>
        · {s.files} file{s.files === 1 ? "" : "s"}
      </span>
      {conflicts > 0 ? (
        <span
          className="badge bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200"
          data-testid="card-conflict"
          title={`conflicts with the base in ${review!.conflict!.files.slice(0, 5).join(", ")}`}
        >
          conflict
        </span>
      ) : null}
    </span>
  );
}
