"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { PRIORITIES, type Priority } from "@tinytown/core/schema";

import { apiFailure } from "../lib/errors";
import { useTRPC } from "../trpc/react";
import { Dialog, Field } from "./ui/dialog";
import { useToast } from "./ui/toast";
import { EnumSelect } from "./ui/fields";

/** Splits "ui, backend  api" into tags; the server validates each one. */
const parseTags = (s: string) => [
  ...new Set(
    s
      .split(/[\s,]+/)
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  ),
];

export function CreateTaskDialog(props: { open: boolean; onClose: () => void }) {
  return props.open ? <CreateTaskForm onClose={props.onClose} /> : null;
}

function CreateTaskForm(props: { onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const agents = useQuery(trpc.agent.list.queryOptions());
  const [description, setDescription] = useState("");
  const [priority, setPriority] = useState<Priority>("normal");
  const [tags, setTags] = useState("");
  const [agent, setAgent] = useState("");
  const [error, setError] = useState<string | null>(null);

  const create = useMutation(
    trpc.task.create.mutationOptions({
      onSuccess: (task) => {
        void qc.invalidateQueries(trpc.task.column.pathFilter());
        toast.show("success", "Task created", task.description.slice(0, 80));
        props.onClose();
      },
      onError: (err) => setError(apiFailure(err).message),
    }),
  );

  const submit = () => {
    if (!description.trim()) return setError("Describe the task.");
    setError(null);
    create.mutate({ description, priority, tags: parseTags(tags), ...(agent ? { assignTo: agent } : {}) });
  };

  return (
    <Dialog
      open
      onClose={props.onClose}
      title="New task"
      description="Agents receive the text as their prompt."
      testId="create-dialog"
    >
      <form
        className="grid gap-4"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <Field label="What should be done?" htmlFor="task-text" error={error}>
          <textarea
            id="task-text"
            className="input min-h-28 resize-y font-normal"
            autoFocus
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) {
                e.preventDefault();
                submit();
              }
            }}
            placeholder="Add a /healthz endpoint that checks Redis"
          />
        </Field>
        <div className="grid grid-cols-2 gap-3">
          <Field label="Priority" htmlFor="task-priority">
            <EnumSelect id="task-priority" value={priority} options={PRIORITIES} onChange={setPriority} />
          </Field>
          <Field label="Assign to (optional)" htmlFor="task-agent">
            <select id="task-agent" className="input" value={agent} onChange={(e) => setAgent(e.target.value)}>
              <option value="">Backlog</option>
              {(agents.data ?? []).map((a) => (
                <option key={a.id} value={a.name}>
                  {a.name} ({a.state})
                </option>
              ))}
            </select>
          </Field>
        </div>
        <Field label="Tags" htmlFor="task-tags" hint="Separated by spaces or commas: api, ui, bug">
          <input
            id="task-tags"
            className="input"
            value={tags}
            onChange={(e) => setTags(e.target.value)}
            placeholder="api ui"
          />
        </Field>
        <div className="flex items-center justify-between gap-2">
          <span className="hidden text-xs text-zinc-500 sm:inline dark:text-zinc-400">
            <kbd className="kbd">Ctrl</kbd> <kbd className="kbd">Enter</kbd> to create
          </span>
          <div className="ml-auto flex gap-2">
            <button type="button" className="btn" onClick={props.onClose}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={create.isPending} data-testid="create-submit">
              {create.isPending ? "Creating…" : "Create task"}
            </button>
          </div>
        </div>
      </form>
    </Dialog>
  );
}
