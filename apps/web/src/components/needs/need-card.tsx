"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";

import type { Need, NeedKind } from "@tinytown/core/schema";

import { apiFailure } from "../../lib/errors";
import { useTRPC } from "../../trpc/react";
import { RelativeTime } from "../ui/time";
import { useToast } from "../ui/toast";

const KIND: Record<NeedKind, { label: string; cls: string; answer: string; placeholder: string }> = {
  question: {
    label: "Question",
    cls: "bg-indigo-50 text-indigo-700 ring-indigo-200 dark:bg-indigo-950 dark:text-indigo-300 dark:ring-indigo-800",
    answer: "Send answer",
    placeholder: "Your answer — the agent goes on with it",
  },
  budget: {
    label: "Budget stop",
    cls: "bg-amber-50 text-amber-800 ring-amber-200 dark:bg-amber-950 dark:text-amber-300 dark:ring-amber-800",
    answer: "Retry with note",
    placeholder: "What the agent should know when it retries",
  },
  conflict: {
    label: "Merge conflict",
    cls: "bg-orange-50 text-orange-800 ring-orange-200 dark:bg-orange-950 dark:text-orange-300 dark:ring-orange-800",
    answer: "Request changes",
    placeholder: "How to resolve it — sent as a change request",
  },
  failed: {
    label: "Failed",
    cls: "bg-rose-50 text-rose-700 ring-rose-200 dark:bg-rose-950 dark:text-rose-300 dark:ring-rose-800",
    answer: "Retry with note",
    placeholder: "What the agent should know when it retries",
  },
};

/** One item: what it is, who took it, and — for whoever took it — the answer. */
export function NeedCard(props: { need: Need; me: string | null; canAct: boolean }) {
  const { need, me, canAct } = props;
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const [answer, setAnswer] = useState("");
  const k = KIND[need.kind];
  const mine = need.claimedBy !== null && need.claimedBy === me;
  const refresh = () => void qc.invalidateQueries(trpc.needs.list.pathFilter());
  const onError = (err: unknown) => {
    toast.show("error", apiFailure(err).message);
    refresh();
  };
  const claim = useMutation(trpc.needs.claim.mutationOptions({ onSuccess: refresh, onError }));
  const release = useMutation(trpc.needs.release.mutationOptions({ onSuccess: refresh, onError }));
  const dismiss = useMutation(trpc.needs.dismiss.mutationOptions({ onSuccess: refresh, onError }));
  const send = useMutation(
    trpc.needs.answer.mutationOptions({
      onSuccess: () => {
        toast.show("success", need.kind === "question" ? `Answer sent to ${need.agentName ?? "the agent"}` : "Done");
        refresh();
      },
      onError,
    }),
  );
  const busy = claim.isPending || send.isPending || dismiss.isPending || release.isPending;
  const reply = (text: string) => text.trim() && send.mutate({ id: need.id, answer: text.trim() });

  return (
    <li
      className="rounded-lg border border-zinc-200 bg-white p-3 shadow-xs sm:p-4 dark:border-zinc-800 dark:bg-zinc-900"
      data-testid="need"
      data-need-id={need.id}
    >
      <div className="flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-zinc-500 dark:text-zinc-400">
        <span className={`rounded-md px-1.5 py-0.5 font-medium ring-1 ring-inset ${k.cls}`}>{k.label}</span>
        {need.agentName ? <span className="font-mono text-zinc-700 dark:text-zinc-300">{need.agentName}</span> : null}
        <RelativeTime at={need.createdAt} />
        {need.taskId ? (
          <Link href={`/tasks/${need.taskId}`} className="font-mono hover:underline">
            task {need.taskId.slice(0, 8)}
          </Link>
        ) : null}
        <span className="ml-auto">
          {need.claimedBy ? (
            <span
              data-testid="claimed-by"
              className="rounded-md bg-zinc-100 px-1.5 py-0.5 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-200"
            >
              {mine ? "You took it" : `${need.claimedBy} took it`}
            </span>
          ) : null}
        </span>
      </div>
      <p className="mt-2 text-sm font-medium break-words whitespace-pre-wrap" data-testid="need-title">
        {need.title}
      </p>
      {canAct && !need.claimedBy ? (
        <div className="mt-3 flex flex-wrap gap-2">
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy}
            onClick={() => claim.mutate({ id: need.id })}
            data-testid="claim"
          >
            I&apos;ll take it
          </button>
          {need.kind !== "question" ? (
            <button type="button" className="btn" disabled={busy} onClick={() => dismiss.mutate({ id: need.id })}>
              Dismiss
            </button>
          ) : null}
        </div>
      ) : null}
      {canAct && mine ? (
        <form
          className="mt-3 grid gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            reply(answer);
          }}
        >
          {need.options.length > 0 ? (
            <div className="flex flex-wrap gap-2" aria-label="Options">
              {need.options.map((o) => (
                <button key={o} type="button" className="btn" disabled={busy} onClick={() => reply(o)}>
                  {o}
                </button>
              ))}
            </div>
          ) : null}
          <label className="sr-only" htmlFor={`answer-${need.id}`}>
            Answer
          </label>
          <textarea
            id={`answer-${need.id}`}
            className="input min-h-20"
            placeholder={k.placeholder}
            value={answer}
            onChange={(e) => setAnswer(e.target.value)}
            data-testid="answer"
          />
          <div className="flex flex-wrap gap-2">
            <button
              type="submit"
              className="btn btn-primary"
              disabled={busy || !answer.trim()}
              data-testid="send-answer"
            >
              {k.answer}
            </button>
            <button type="button" className="btn" disabled={busy} onClick={() => release.mutate({ id: need.id })}>
              Release
            </button>
            {need.kind !== "question" ? (
              <button type="button" className="btn" disabled={busy} onClick={() => dismiss.mutate({ id: need.id })}>
                Dismiss
              </button>
            ) : null}
          </div>
        </form>
      ) : null}
    </li>
  );
}
