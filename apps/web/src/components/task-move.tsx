"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";

import type { Task } from "@tinytown/core/schema";

import { useTRPC } from "../trpc/react";
import { useShell } from "./app-shell";
import { moveTargets } from "./board/drop-targets";
import { MoveMenu } from "./board/move-menu";
import { useMoveTask } from "./board/use-move";
import { useLive } from "./live";

/**
 * The task page's "Move…" button: the same moves as a drag on the board (assign, reassign, back to the backlog,
 * retry, cancel), for a viewer allowed to make them while the page is live.
 */
export function TaskMoveButton(props: { task: Task; onStatus: (text: string) => void }) {
  const trpc = useTRPC();
  const shell = useShell();
  const { canChange } = useLive();
  const agentsQ = useQuery(trpc.agent.list.queryOptions());
  const agents = useMemo(() => agentsQ.data ?? [], [agentsQ.data]);
  const agentNames = useMemo(() => new Map(agents.map((a) => [a.id, a.name])), [agents]);
  const { move, pendingIds } = useMoveTask(agents, props.onStatus);
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  if (!shell.may("task.write")) return null;
  const card = { ...props.task, truncated: false };
  return (
    <>
      <button
        type="button"
        className="btn btn-sm"
        aria-haspopup="menu"
        aria-expanded={anchor !== null}
        disabled={!canChange || pendingIds.has(card.id)}
        title={canChange ? "Assign, move, retry or cancel" : "Offline: changes are paused"}
        onClick={(e) => setAnchor(anchor ? null : e.currentTarget)}
        data-testid="task-move"
      >
        Move…
      </button>
      {anchor ? (
        <MoveMenu
          taskId={card.id}
          state={card.state}
          targets={moveTargets(card, agents, agentNames)}
          anchor={anchor}
          onClose={() => setAnchor(null)}
          onMove={(target) => void move(card, target)}
        />
      ) : null}
    </>
  );
}
