import { usd } from "./format";

/** "budget $5.00 · $4.10 used", with a bar; red once reached. Nothing when there is no limit. */
export function BudgetMeter(props: {
  budget: { limitUsd: number | null; spentUsd: number; reached: boolean };
  /** "daily budget" for agents and the town. */
  label?: string;
}) {
  const { limitUsd, spentUsd, reached } = props.budget;
  if (limitUsd === null) return null;
  const share = Math.min(1, spentUsd / limitUsd);
  const label = props.label ?? "budget";
  return (
    <div className="grid gap-1" data-testid="budget" data-reached={reached}>
      <p
        className={`text-xs ${reached ? "font-medium text-red-700 dark:text-red-400" : "text-zinc-600 dark:text-zinc-400"}`}
      >
        {label} {usd(limitUsd)} · {usd(spentUsd)} used{reached ? " — reached" : ""}
      </p>
      <div
        role="meter"
        aria-label={`${label}: ${usd(spentUsd)} of ${usd(limitUsd)} used`}
        aria-valuemin={0}
        aria-valuemax={limitUsd}
        aria-valuenow={Math.min(spentUsd, limitUsd)}
        className="h-1.5 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
      >
        <div
          className={`h-full rounded-full ${reached ? "bg-red-500" : share > 0.8 ? "bg-amber-500" : "bg-emerald-500"}`}
          style={{ width: `${share * 100}%` }}
        />
      </div>
    </div>
  );
}
