"use client";

import { ago, dateTime } from "../../lib/format";
import { useClock } from "../../lib/clock";

/** "3 min ago", with the exact date and time on hover (and for machines in `dateTime`). */
export function RelativeTime(props: { at: number; className?: string }) {
  const now = useClock();
  return (
    <time dateTime={new Date(props.at).toISOString()} title={dateTime(props.at)} className={props.className}>
      {ago(props.at, now)}
    </time>
  );
}
