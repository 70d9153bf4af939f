"use client";

import { createContext, useCallback, useContext, useMemo, useRef, useState } from "react";

export type ToastKind = "error" | "success" | "info";
interface Toast {
  id: number;
  kind: ToastKind;
  title: string;
  body?: string;
}

interface ToastApi {
  show: (kind: ToastKind, title: string, body?: string) => void;
}

const ToastContext = createContext<ToastApi | null>(null);

/** How long a toast stays; errors stay longer because they explain a rollback. */
const TTL_MS: Record<ToastKind, number> = { error: 8000, success: 3000, info: 4000 };

/** Toasts in the bottom-right corner. Errors are `role="alert"` so screen readers say them at once. */
export function ToastProvider(props: { children: React.ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);
  const api = useMemo<ToastApi>(
    () => ({
      show(kind, title, body) {
        const id = next.current++;
        setToasts((ts) => [...ts.slice(-3), { id, kind, title, body }]);
        setTimeout(() => dismiss(id), TTL_MS[kind]);
      },
    }),
    [dismiss],
  );

  return (
    <ToastContext.Provider value={api}>
      {props.children}
      <div className="pointer-events-none fixed inset-x-3 bottom-3 z-50 flex flex-col items-end gap-2 sm:inset-x-auto sm:right-4 sm:bottom-4">
        {toasts.map((t) => (
          <div
            key={t.id}
            role={t.kind === "error" ? "alert" : "status"}
            data-testid={`toast-${t.kind}`}
            className={`pointer-events-auto flex w-full max-w-sm items-start gap-3 rounded-lg border px-3.5 py-3 text-sm shadow-lg sm:w-96 ${
              t.kind === "error"
                ? "border-red-200 bg-red-50 text-red-900 dark:border-red-900/60 dark:bg-red-950 dark:text-red-100"
                : "border-zinc-200 bg-white text-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
            }`}
          >
            <span
              aria-hidden
              className={`mt-1 size-2 shrink-0 rounded-full ${t.kind === "error" ? "bg-red-500" : t.kind === "success" ? "bg-emerald-500" : "bg-sky-500"}`}
            />
            <div className="min-w-0 flex-1">
              <p className="font-medium">{t.title}</p>
              {t.body ? <p className="mt-0.5 break-words text-xs opacity-80">{t.body}</p> : null}
            </div>
            <button
              type="button"
              className="text-xs opacity-60 hover:opacity-100"
              onClick={() => dismiss(t.id)}
              aria-label="Dismiss"
            >
              ✕
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): ToastApi {
  const ctx = useContext(ToastContext);
  if (!ctx) throw new Error("useToast outside ToastProvider");
  return ctx;
}
