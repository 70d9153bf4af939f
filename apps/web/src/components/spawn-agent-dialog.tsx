"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { apiFailure } from "../lib/errors";
import { useTRPC } from "../trpc/react";
import { Dialog, Field } from "./ui/dialog";
import { useToast } from "./ui/toast";

export function SpawnAgentDialog(props: { open: boolean; onClose: () => void }) {
  return props.open ? <SpawnForm onClose={props.onClose} /> : null;
}

function SpawnForm(props: { onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const models = useQuery(trpc.town.models.queryOptions());
  const [name, setName] = useState("");
  const [model, setModel] = useState("sim");
  const [error, setError] = useState<string | null>(null);
  // What the chosen model needs before it can run (core's modelAvailability: runners, PATH, the install command).
  const availability = useQuery(trpc.town.modelAvailability.queryOptions({ model }, { staleTime: 30_000 }));
  const missing = availability.data && !availability.data.ok ? availability.data.hint : null;

  const spawn = useMutation(
    trpc.agent.spawn.mutationOptions({
      onSuccess: (agent) => {
        void qc.invalidateQueries(trpc.agent.list.pathFilter());
        toast.show(
          "success",
          `Agent ${agent.name} spawned`,
          `model ${agent.model}; waiting for a runner to pick it up`,
        );
        props.onClose();
      },
      onError: (err) => setError(apiFailure(err).message),
    }),
  );

  return (
    <Dialog
      open
      onClose={props.onClose}
      title="Spawn an agent"
      description="A runner picks the agent up and runs its tasks one at a time."
      testId="spawn-dialog"
      wide
    >
      <form
        className="grid gap-4"
        onSubmit={(e) => {
          e.preventDefault();
          if (!name.trim()) return setError("Give the agent a name.");
          setError(null);
          spawn.mutate({ name: name.trim(), model });
        }}
      >
        <Field label="Name" htmlFor="agent-name" hint="a-z, 0-9, '.', '_' or '-'; unique in the town" error={error}>
          <input
            id="agent-name"
            className="input font-mono"
            autoFocus
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="worker-1"
            autoComplete="off"
          />
        </Field>
        <fieldset className="grid gap-1.5">
          <legend className="mb-1.5 text-xs font-medium text-zinc-600 dark:text-zinc-400">Model</legend>
          {models.isPending ? <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading models…</p> : null}
          <div className="grid max-h-72 gap-1.5 overflow-y-auto sm:grid-cols-2" role="radiogroup" aria-label="Model">
            {[...(models.data ?? [])]
              .sort(
                (a, b) =>
                  Number(b.installedOn.length > 0) - Number(a.installedOn.length > 0) || a.name.localeCompare(b.name),
              )
              .map((m) => {
                const installed = m.installedOn.length > 0;
                return (
                  <label
                    key={m.name}
                    className={`flex cursor-pointer items-start gap-2.5 rounded-md border p-2.5 text-sm has-[:checked]:border-indigo-500 has-[:checked]:bg-indigo-50 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-indigo-500 dark:has-[:checked]:bg-indigo-950/40 ${
                      installed
                        ? "border-zinc-200 dark:border-zinc-700"
                        : "border-dashed border-zinc-300 dark:border-zinc-700"
                    }`}
                    data-testid={`model-${m.name}`}
                  >
                    <input
                      type="radio"
                      name="model"
                      value={m.name}
                      checked={model === m.name}
                      onChange={() => setModel(m.name)}
                      className="mt-0.5 accent-indigo-600"
                    />
                    <span className="min-w-0">
                      <span className="flex flex-wrap items-center gap-1.5">
                        <span className="font-mono font-medium">{m.name}</span>
                        {m.kind === "simulated" ? (
                          <span className="badge bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-300">
                            simulated
                          </span>
                        ) : null}
                        {m.kind === "custom" ? (
                          <span className="badge bg-zinc-100 text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300">
                            custom
                          </span>
                        ) : null}
                      </span>
                      <span className="block truncate text-xs text-zinc-600 dark:text-zinc-400">{m.label}</span>
                      <span
                        className={`block text-xs ${installed ? "text-emerald-700 dark:text-emerald-400" : "text-amber-800 dark:text-amber-300"}`}
                        data-testid={`model-${m.name}-installed`}
                      >
                        {installed
                          ? `installed on ${m.installedOn.length} runner${m.installedOn.length === 1 ? "" : "s"}`
                          : "⚠ not installed on any runner"}
                      </span>
                    </span>
                  </label>
                );
              })}
          </div>
        </fieldset>
        {missing ? (
          <p
            role="status"
            className="rounded-md border border-amber-300 bg-amber-50 p-2.5 text-xs text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200"
            data-testid="spawn-install-hint"
          >
            <strong className="font-semibold">Its tasks will fail until it is installed:</strong> {missing}. You can
            still spawn it (a runner elsewhere may have it).
          </p>
        ) : null}
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={spawn.isPending} data-testid="spawn-submit">
            {spawn.isPending ? "Spawning…" : "Spawn agent"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
