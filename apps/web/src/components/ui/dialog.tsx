"use client";

import { useEffect, useId, useRef } from "react";

/**
 * A modal on the native `<dialog>`: the browser traps focus, closes on Escape and restores focus afterwards.
 * `open` drives it; `onClose` fires however it was closed (Escape, the ✕ button, a backdrop click).
 */
export function Dialog(props: {
  open: boolean;
  onClose: () => void;
  title: string;
  description?: string;
  children: React.ReactNode;
  testId?: string;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const { open, onClose } = props;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (open && !el.open) {
      el.showModal();
      // showModal focuses the first focusable element (the ✕); start in the first field instead.
      el.querySelector<HTMLElement>("[data-autofocus], textarea, input:not([type=radio]), select")?.focus();
    }
    if (!open && el.open) el.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      data-testid={props.testId}
      onClose={onClose}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onMouseDown={(e) => {
        // A click on the backdrop lands on the <dialog> element itself.
        if (e.target === ref.current) onClose();
      }}
      className={`m-auto w-[calc(100vw-2rem)] ${props.wide ? "max-w-2xl" : "max-w-md"} rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-2xl backdrop:bg-zinc-950/40 backdrop:backdrop-blur-[1px] dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100`}
    >
      {open ? (
        <div className="p-5">
          <div className="mb-4 flex items-start justify-between gap-4">
            <div>
              <h2 id={titleId} className="text-base font-semibold tracking-tight">
                {props.title}
              </h2>
              {props.description ? (
                <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">{props.description}</p>
              ) : null}
            </div>
            <button type="button" onClick={onClose} aria-label="Close" className="icon-btn -mt-1 -mr-1">
              <svg viewBox="0 0 16 16" className="size-4" aria-hidden>
                <path d="M4 4l8 8M12 4l-8 8" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
              </svg>
            </button>
          </div>
          {props.children}
        </div>
      ) : null}
    </dialog>
  );
}

/** A labelled form row. */
export function Field(props: {
  label: string;
  htmlFor: string;
  hint?: string;
  error?: string | null;
  children: React.ReactNode;
}) {
  return (
    <div className="grid gap-1.5">
      <label htmlFor={props.htmlFor} className="text-xs font-medium text-zinc-600 dark:text-zinc-400">
        {props.label}
      </label>
      {props.children}
      {props.error ? (
        <p className="text-xs text-red-600 dark:text-red-400" role="alert">
          {props.error}
        </p>
      ) : props.hint ? (
        <p className="text-xs text-zinc-500 dark:text-zinc-400">{props.hint}</p>
      ) : null}
    </div>
  );
}
