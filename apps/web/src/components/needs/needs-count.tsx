"use client";

import { useNeeds } from "./use-needs";
import { useNeedsNotifications } from "./notifications";

/** The header's count of open "Needs you" items (and the browser notifications of those who opted in). */
export function NeedsCount() {
  const needs = useNeeds();
  useNeedsNotifications(needs.data?.items);
  const count = needs.data?.count ?? 0;
  if (count === 0) return null;
  return (
    <span
      data-testid="needs-count"
      aria-label={`${count} item${count === 1 ? "" : "s"} need you`}
      className="ml-1 inline-flex min-w-5 items-center justify-center rounded-full bg-rose-600 px-1.5 text-[11px] leading-5 font-semibold text-white tabular-nums dark:bg-rose-500"
    >
      {count > 99 ? "99+" : count}
    </span>
  );
}
