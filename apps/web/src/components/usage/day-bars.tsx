import { usd } from "./format";

/** The cost of each of the last days as small bars (today last), with the figures for screen readers. */
export function DayBars(props: { days: { day: string; usage: { usd: number } }[]; label: string }) {
  const max = Math.max(...props.days.map((d) => d.usage.usd), 0);
  return (
    <figure className="grid gap-1">
      <div className="flex h-12 items-end gap-1" aria-hidden>
        {props.days.map((d, i) => (
          <div
            key={d.day}
            title={`${d.day}: ${usd(d.usage.usd)}`}
            className={`min-h-px flex-1 rounded-sm ${i === props.days.length - 1 ? "bg-indigo-500" : "bg-zinc-300 dark:bg-zinc-700"}`}
            style={{ height: max > 0 ? `${Math.max(2, (d.usage.usd / max) * 100)}%` : "2px" }}
          />
        ))}
      </div>
      <figcaption className="sr-only">
        {props.label}: {props.days.map((d) => `${d.day} ${usd(d.usage.usd)}`).join(", ")}
      </figcaption>
      <div className="flex justify-between text-[11px] text-zinc-600 dark:text-zinc-400" aria-hidden>
        <span>{props.days[0]?.day.slice(5)}</span>
        <span>today</span>
      </div>
    </figure>
  );
}
