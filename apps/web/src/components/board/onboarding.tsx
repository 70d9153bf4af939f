"use client";

/** One step of the first-run guide: done, or the thing to do now. */
function Step(props: { n: number; done: boolean; title: string; children: React.ReactNode }) {
  return (
    <li className="flex min-w-0 items-start gap-2.5" data-testid={`onboarding-step-${props.n}`} data-done={props.done}>
      <span
        aria-hidden
        className={`flex size-6 shrink-0 items-center justify-center rounded-full text-xs font-semibold ${
          props.done
            ? "bg-emerald-600 text-white"
            : "bg-indigo-100 text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200"
        }`}
      >
        {props.done ? "✓" : props.n}
      </span>
      <div className="min-w-0">
        <p className="text-sm font-medium">
          {props.title}
          {props.done ? <span className="sr-only"> (done)</span> : null}
        </p>
        <div className="text-xs text-zinc-600 dark:text-zinc-400">{props.children}</div>
      </div>
    </li>
  );
}

/**
 * The empty board's first steps: spawn a simulated agent, create a task, drag it onto the agent. Each step ticks
 * itself off as the town changes; the guide goes once a task has been given to an agent.
 */
export function Onboarding(props: {
  hasAgent: boolean;
  hasTask: boolean;
  canSpawn: boolean;
  canCreate: boolean;
  onSpawn: () => void;
  onCreate: () => void;
}) {
  return (
    <section
      aria-labelledby="onboarding-title"
      className="mx-3 mb-2 rounded-xl border border-indigo-200 bg-indigo-50/60 p-4 md:mx-4 dark:border-indigo-900 dark:bg-indigo-950/30"
      data-testid="onboarding"
    >
      <h2 id="onboarding-title" className="mb-3 text-sm font-semibold">
        Get started in three steps
      </h2>
      <ol className="grid gap-3 md:grid-cols-3">
        <Step n={1} done={props.hasAgent} title="Spawn a simulated agent">
          {props.hasAgent ? (
            "An agent is ready for work."
          ) : props.canSpawn ? (
            <>
              The <span className="font-mono">sim</span> model needs no AI CLI.{" "}
              <button type="button" className="link font-medium" onClick={props.onSpawn} data-testid="onboarding-spawn">
                Spawn an agent
              </button>
            </>
          ) : (
            "An admin spawns agents."
          )}
        </Step>
        <Step n={2} done={props.hasTask} title="Create a task">
          {props.hasTask ? (
            "It waits in the Backlog."
          ) : props.canCreate ? (
            <button type="button" className="link font-medium" onClick={props.onCreate} data-testid="onboarding-create">
              New task
            </button>
          ) : (
            "An operator creates tasks."
          )}
        </Step>
        <Step n={3} done={false} title="Drag it onto the agent">
          Drag the card onto the agent on the left, or open its <span aria-hidden>⋯</span> menu and pick “Assign to…”.
          Every open browser sees it run.
        </Step>
      </ol>
    </section>
  );
}
