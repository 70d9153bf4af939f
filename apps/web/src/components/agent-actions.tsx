"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { isAgentActionAllowed, type AgentState } from "@tinytown/core/schema";

import { apiFailure } from "../lib/errors";
import { useTRPC } from "../trpc/react";
import { Dialog } from "./ui/dialog";
import { useToast } from "./ui/toast";

type Action = "interrupt" | "resume" | "close" | "restart" | "kill";
const LABEL: Record<Action, string> = {
  interrupt: "Interrupt",
  resume: "Resume",
  close: "Close",
  restart: "Restart",
  kill: "Kill…",
};
const HINT: Record<Action, string> = {
  interrupt: "Pause: take no new work (the running task is put back in its queue)",
  resume: "Take work again",
  close: "Finish the current task, then stop",
  restart: "Start the agent again",
  kill: "Stop now; its tasks are requeued or cancelled",
};

/** The lifecycle buttons that apply to an agent in its current state. */
export function AgentActions(props: {
  agent: { name: string; state: AgentState };
  compact?: boolean;
  onDone?: () => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const [killing, setKilling] = useState(false);
  const name = props.agent.name;

  const done = (verb: string) => ({
    onSuccess: () => {
      void qc.invalidateQueries(trpc.agent.pathFilter());
      toast.show("success", `${name}: ${verb}`);
      props.onDone?.();
    },
    onError: (err: unknown) =>
      toast.show("error", `Could not ${verb.replace(/ed$/, "")} ${name}`, apiFailure(err).message),
  });
  const interrupt = useMutation(trpc.agent.interrupt.mutationOptions(done("interrupted")));
  const resume = useMutation(trpc.agent.resume.mutationOptions(done("resumed")));
  const close = useMutation(trpc.agent.close.mutationOptions(done("closing")));
  const restart = useMutation(trpc.agent.restart.mutationOptions(done("restarted")));

  const run: Record<Exclude<Action, "kill">, () => void> = {
    interrupt: () => interrupt.mutate({ agent: name }),
    resume: () => resume.mutate({ agent: name }),
    close: () => close.mutate({ agent: name }),
    restart: () => restart.mutate({ agent: name }),
  };
  const actions = (["interrupt", "resume", "close", "restart", "kill"] as const).filter((a) =>
    isAgentActionAllowed(a, props.agent.state),
  );

  return (
    <>
      <div className={`flex flex-wrap gap-1.5 ${props.compact ? "" : ""}`}>
        {actions.map((a) => (
          <button
            key={a}
            type="button"
            className={`btn btn-sm ${a === "kill" ? "text-red-700 dark:text-red-400" : ""}`}
            title={HINT[a]}
            data-testid={`agent-action-${a}`}
            onClick={() => (a === "kill" ? setKilling(true) : run[a]())}
          >
            {LABEL[a]}
          </button>
        ))}
      </div>
      {killing ? <KillDialog name={name} onClose={() => setKilling(false)} onDone={props.onDone} /> : null}
    </>
  );
}

function KillDialog(props: { name: string; onClose: () => void; onDone?: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const [tasks, setTasks] = useState<"requeue" | "cancel">("requeue");
  const kill = useMutation(
    trpc.agent.kill.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries();
        toast.show(
          "success",
          `${props.name} killed`,
          tasks === "requeue" ? "Its tasks went back to the backlog." : "Its tasks were cancelled.",
        );
        props.onClose();
        props.onDone?.();
      },
      onError: (err) => toast.show("error", `Could not kill ${props.name}`, apiFailure(err).message),
    }),
  );
  return (
    <Dialog
      open
      onClose={props.onClose}
      title={`Kill ${props.name}?`}
      description="The agent stops at once; a running task is interrupted."
      testId="kill-dialog"
    >
      <form
        className="grid gap-4"
        onSubmit={(e) => {
          e.preventDefault();
          kill.mutate({ agent: props.name, tasks });
        }}
      >
        <fieldset className="grid gap-2 text-sm">
          <legend className="mb-1 text-xs font-medium text-zinc-600 dark:text-zinc-400">
            Its assigned and running tasks
          </legend>
          <label className="flex items-center gap-2">
            <input
              type="radio"
              name="kill-tasks"
              checked={tasks === "requeue"}
              onChange={() => setTasks("requeue")}
              className="accent-indigo-600"
            />
            Requeue them (back to the backlog)
          </label>
          <label className="flex items-center gap-2">
            <input
              type="radio"
              name="kill-tasks"
              checked={tasks === "cancel"}
              onChange={() => setTasks("cancel")}
              className="accent-indigo-600"
            />
            Cancel them
          </label>
        </fieldset>
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={props.onClose}>
            Keep it
          </button>
          <button type="submit" className="btn btn-danger" disabled={kill.isPending} data-testid="kill-submit">
            Kill agent
          </button>
        </div>
      </form>
    </Dialog>
  );
}
