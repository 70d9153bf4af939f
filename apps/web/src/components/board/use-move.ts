"use client";

import { useMutation, useQueryClient, type InfiniteData } from "@tanstack/react-query";
import { useCallback, useState } from "react";

import { columnOf, columnOfTask, stateAfterMove, type MoveTarget } from "@tinytown/core/schema";

import { describeTarget } from "./drop-targets";
import { apiFailure } from "../../lib/errors";
import { shortId } from "../../lib/format";
import { useTRPC } from "../../trpc/react";
import { useToast } from "../ui/toast";
import type { AgentRow, ColumnPage, TaskCard } from "./types";

type Pages = InfiniteData<ColumnPage, number | null | undefined>;

/**
 * Moves a card with `task.move`, optimistically: the card jumps to its new column in the query cache at once and
 * jumps back, with a toast (role=alert), if the server refuses — e.g. CONFLICT when someone changed the task
 * meanwhile (every move carries the state and version the card showed).
 */
export function useMoveTask(agents: AgentRow[], announce: (text: string) => void) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const mutation = useMutation(trpc.task.move.mutationOptions());
  const [pendingIds, setPending] = useState<ReadonlySet<string>>(new Set());

  const move = useCallback(
    async (card: TaskCard, target: MoveTarget) => {
      const from = columnOfTask(card);
      const nextState = stateAfterMove(target);
      const to = columnOf(nextState);
      const fromKey = trpc.task.column.infiniteQueryKey({ column: from });
      const toKey = trpc.task.column.infiniteQueryKey({ column: to });
      await Promise.all([qc.cancelQueries({ queryKey: fromKey }), qc.cancelQueries({ queryKey: toKey })]);

      const snapshots = [
        ...qc.getQueriesData<Pages>({ queryKey: fromKey }),
        ...qc.getQueriesData<Pages>({ queryKey: toKey }),
      ];
      const agentId =
        target.kind === "agent" ? (agents.find((a) => a.name === target.agent)?.id ?? card.assignedTo) : null;
      const moved: TaskCard = {
        ...card,
        state: nextState,
        assignedTo: target.kind === "agent" ? agentId : target.kind === "backlog" ? null : card.assignedTo,
        version: card.version + 1,
        updatedAt: Date.now(),
      };
      qc.setQueriesData<Pages>(
        { queryKey: fromKey },
        (data) => data && mapPages(data, (items) => items.filter((c) => c.id !== card.id), -1),
      );
      qc.setQueriesData<Pages>(
        { queryKey: toKey },
        (data) =>
          data &&
          mapPages(
            data,
            (items, i) =>
              i === 0 ? [moved, ...items.filter((c) => c.id !== card.id)] : items.filter((c) => c.id !== card.id),
            +1,
          ),
      );
      setPending((s) => new Set(s).add(card.id));

      try {
        await mutation.mutateAsync({
          taskId: card.id,
          target,
          expectedState: card.state,
          expectedVersion: card.version,
        });
        announce(`Task ${shortId(card.id)} moved to ${describeTarget(target, card.state)}.`);
      } catch (err) {
        for (const [key, data] of snapshots) qc.setQueryData(key, data);
        const f = apiFailure(err);
        if (f.coreCode === "CONFLICT" || (f.code === "CONFLICT" && f.details.version !== undefined)) {
          const now = typeof f.details.state === "string" ? f.details.state : "different";
          toast.show(
            "error",
            `Move refused: task ${shortId(card.id)} changed meanwhile`,
            `It is now ${now}${typeof f.details.version === "number" ? ` (version ${f.details.version})` : ""}. The board has been refreshed.`,
          );
          announce(`Move refused: the task changed meanwhile; it is now ${now}.`);
        } else {
          toast.show("error", `Move refused`, f.message);
          announce(`Move refused: ${f.message}`);
        }
      } finally {
        setPending((s) => {
          const n = new Set(s);
          n.delete(card.id);
          return n;
        });
        void qc.invalidateQueries({ queryKey: fromKey });
        void qc.invalidateQueries({ queryKey: toKey });
        void qc.invalidateQueries(trpc.agent.list.pathFilter());
      }
    },
    [agents, announce, mutation, qc, toast, trpc],
  );

  return { move, pendingIds };
}

function mapPages(data: Pages, fn: (items: TaskCard[], pageIndex: number) => TaskCard[], totalDelta: number): Pages {
  let changed = false;
  const pages = data.pages.map((p, i) => {
    const items = fn(p.items, i);
    if (items.length !== p.items.length || items[0] !== p.items[0]) changed = true;
    return { ...p, items };
  });
  if (!changed) return data;
  return { ...data, pages: pages.map((p, i) => (i === 0 ? { ...p, total: Math.max(0, p.total + totalDelta) } : p)) };
}
