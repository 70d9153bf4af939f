"use client";

import { useEffect, useState } from "react";

/** The current time, refreshed every `everyMs` while `ticking` (renders stay pure; running clocks move). */
export function useNow(everyMs: number, ticking = true): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs, ticking]);
  return now;
}
