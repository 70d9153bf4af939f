"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { MESSAGE_TYPES, PRIORITIES, type MessageType, type Priority } from "@tinytown/core/schema";

import { apiFailure } from "../lib/errors";
import { useTRPC } from "../trpc/react";
import { MessageList } from "./message-list";
import { AgentStateDot } from "./ui/badges";
import { Field } from "./ui/dialog";
import { useToast } from "./ui/toast";
import { EnumSelect } from "./ui/fields";

const SUPERVISOR = "supervisor";
/** The types people send most, first in the list. */
const FIRST: readonly MessageType[] = ["info", "query", "custom"];
const TYPE_OPTIONS = [...FIRST, ...MESSAGE_TYPES.filter((t) => !FIRST.includes(t))];

/** Send a message to an agent; read any inbox, including the `supervisor` mailbox where agents report to people. */
export function MessagesPage() {
  const trpc = useTRPC();
  const agents = useQuery(trpc.agent.list.queryOptions());
  const [mailbox, setMailbox] = useState(SUPERVISOR);
  const inbox = useQuery(trpc.message.inbox.queryOptions({ mailbox, limit: 100 }));
  const names = new Map((agents.data ?? []).map((a) => [a.id, a.name]));

  return (
    <div
      className="mx-auto grid max-w-6xl grid-cols-[minmax(0,1fr)] gap-5 p-4 md:grid-cols-[20rem_minmax(0,1fr)] md:p-6"
      data-testid="messages-page"
    >
      <h1 className="text-lg font-semibold tracking-tight md:col-span-2">Messages</h1>
      <SendForm agents={(agents.data ?? []).map((a) => a.name)} />
      <section className="min-w-0">
        <div className="mb-3 flex flex-wrap items-center gap-1.5" role="tablist" aria-label="Mailboxes">
          {[SUPERVISOR, ...(agents.data ?? []).map((a) => a.name)].map((m) => {
            const agent = agents.data?.find((a) => a.name === m);
            return (
              <button
                key={m}
                role="tab"
                type="button"
                aria-selected={mailbox === m}
                onClick={() => setMailbox(m)}
                data-testid={`mailbox-${m}`}
                className={`flex items-center gap-1.5 rounded-md px-2.5 py-1 font-mono text-xs ${
                  mailbox === m
                    ? "bg-zinc-900 text-white dark:bg-zinc-100 dark:text-zinc-900"
                    : "bg-zinc-100 text-zinc-700 hover:bg-zinc-200 dark:bg-zinc-800 dark:text-zinc-300 dark:hover:bg-zinc-700"
                }`}
              >
                {agent ? <AgentStateDot state={agent.state} /> : null}
                {m}
              </button>
            );
          })}
        </div>
        <h2 className="panel-title mb-2">
          {mailbox === SUPERVISOR
            ? "Supervisor mailbox — what agents report to people"
            : `Inbox of ${mailbox} — in the order it will read them`}
        </h2>
        {inbox.isPending ? (
          <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading…</p>
        ) : inbox.isError ? (
          <p role="alert" className="text-sm text-red-600">
            {apiFailure(inbox.error).message}
          </p>
        ) : (
          <MessageList
            messages={inbox.data}
            names={names}
            empty={mailbox === SUPERVISOR ? "No reports yet. Agents report finished and failed tasks here." : "Empty."}
          />
        )}
      </section>
    </div>
  );
}

function SendForm(props: { agents: string[] }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const [to, setTo] = useState("");
  const [type, setType] = useState<MessageType>("info");
  const [priority, setPriority] = useState<Priority>("normal");
  const [body, setBody] = useState("");
  const [error, setError] = useState<string | null>(null);
  const target = to || props.agents[0] || "";

  const send = useMutation(
    trpc.message.send.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries(trpc.message.pathFilter());
        toast.show("success", `Message sent to ${target}`);
        setBody("");
      },
      onError: (err) => setError(apiFailure(err).message),
    }),
  );

  return (
    <form
      className="panel grid content-start gap-3 p-4"
      aria-label="Send a message"
      onSubmit={(e) => {
        e.preventDefault();
        if (!target) return setError("Spawn an agent first.");
        setError(null);
        send.mutate({ to: target, body, priority, type });
      }}
    >
      <h2 className="text-sm font-semibold">Send a message</h2>
      <Field label="To" htmlFor="msg-to">
        <select id="msg-to" className="input" value={target} onChange={(e) => setTo(e.target.value)}>
          {props.agents.length === 0 ? <option value="">No agents</option> : null}
          {props.agents.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
          <option value={SUPERVISOR}>supervisor</option>
        </select>
      </Field>
      <div className="grid grid-cols-2 gap-3">
        <Field label="Type" htmlFor="msg-type">
          <EnumSelect id="msg-type" value={type} options={TYPE_OPTIONS} onChange={setType} />
        </Field>
        <Field label="Priority" htmlFor="msg-priority">
          <EnumSelect id="msg-priority" value={priority} options={PRIORITIES} onChange={setPriority} />
        </Field>
      </div>
      <Field
        label="Message"
        htmlFor="msg-body"
        error={error}
        hint={
          priority === "urgent"
            ? "Urgent interrupts a working agent; its task goes back to the front of its queue."
            : undefined
        }
      >
        <textarea
          id="msg-body"
          className="input min-h-24"
          value={body}
          onChange={(e) => setBody(e.target.value)}
          placeholder="Please also update the README"
        />
      </Field>
      <button type="submit" className="btn btn-primary" disabled={send.isPending} data-testid="send-message">
        Send
      </button>
    </form>
  );
}
