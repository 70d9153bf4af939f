"use client";

import { DndContext, DragOverlay, MeasuringStrategy } from "@dnd-kit/core";
import { useRouter } from "next/navigation";
import { useCallback, useState } from "react";

import { BOARD_COLUMNS, type MoveTarget } from "@tinytown/core/schema";

import { useShell } from "../app-shell";
import { AgentRail } from "./agent-rail";
import { Column } from "./column";
import { COLUMN_DROPS } from "./drop-targets";
import { FilterBar } from "./filter-bar";
import { CardBody, CARD_HEIGHT } from "./task-card";
import { assigneeOf, type TaskCard } from "./types";
import { useBoardData } from "./use-board-data";
import { useBoardDrag } from "./use-board-drag";
import { useCardFocus } from "./use-card-focus";
import { useMoveTask } from "./use-move";

// Drop targets are measured on every drag: the agent rail and the columns scroll and change while cards move.
const MEASURING = { droppable: { strategy: MeasuringStrategy.Always } };

/**
 * The board: agents as drop targets, five virtualised columns, drag and drop with mouse, touch and keyboard. The
 * data ({@link useBoardData}), the drag ({@link useBoardDrag}), the keyboard focus ({@link useCardFocus}) and the
 * move itself ({@link useMoveTask}) each live in their own hook; this component lays them out.
 */
export function Board() {
  const router = useRouter();
  const shell = useShell();
  const data = useBoardData();
  const { agents, agentNames, columns, filtered } = data;
  // Announcements for moves that finished (or were refused), besides dnd-kit's own drag announcements.
  const [status, setStatus] = useState("");
  const { move, pendingIds } = useMoveTask(agents, setStatus);
  const focus = useCardFocus(filtered);
  const { setFocusedId } = focus;

  const onDrop = useCallback(
    (card: TaskCard, target: MoveTarget, byKeyboard: boolean) => {
      void move(card, target);
      // After a keyboard drop the focus stays with the moved card.
      if (byKeyboard) setFocusedId(card.id);
    },
    [move, setFocusedId],
  );
  const drag = useBoardDrag({ agents, agentNames, onDrop });

  const { justDragged } = drag;
  const onOpen = useCallback(
    (id: string) => {
      if (!justDragged()) router.push(`/tasks/${id}`);
    },
    [justDragged, router],
  );

  return (
    <DndContext {...drag.dnd} measuring={MEASURING}>
      <div className="flex h-full min-h-0 flex-col md:flex-row" data-testid="board">
        <AgentRail
          agents={agents}
          loading={data.agentsLoading}
          simulated={data.simulated}
          currentTask={data.taskText}
          accepting={drag.acceptingAgents}
          onSpawn={shell.openSpawn}
        />
        <div className="flex min-h-0 min-w-0 flex-1 flex-col">
          <FilterBar
            filters={data.filters}
            onChange={data.setFilters}
            agents={agents}
            tags={data.tags}
            searchRef={focus.searchRef}
            onCreate={shell.openCreate}
          />
          <div
            className="scroll-thin flex min-h-0 flex-1 snap-x snap-mandatory scroll-px-3 gap-3 overflow-x-auto px-3 pb-3 sm:snap-none md:px-4"
            data-testid="columns"
          >
            {BOARD_COLUMNS.map((c) => (
              <Column
                key={c.id}
                id={c.id}
                title={c.title}
                items={filtered[c.id]}
                total={columns[c.id].total}
                loaded={columns[c.id].items.length}
                loading={columns[c.id].loading}
                hasMore={columns[c.id].hasMore}
                fetchMore={columns[c.id].fetchMore}
                dropId={COLUMN_DROPS[c.id]?.id ?? null}
                accepts={drag.accepts(c.id)}
                dropLabel={COLUMN_DROPS[c.id]?.label}
                agentNames={agentNames}
                focusedId={focus.focusedId}
                pendingIds={pendingIds}
                onOpen={onOpen}
                onFocusCard={setFocusedId}
                handle={focus.handles[c.id]}
              />
            ))}
          </div>
        </div>
      </div>
      <DragOverlay dropAnimation={null}>
        {drag.active ? (
          <div style={{ height: CARD_HEIGHT }} className="w-full rotate-1">
            <CardBody card={drag.active} agentName={assigneeOf(drag.active, agentNames)} lifted />
          </div>
        ) : null}
      </DragOverlay>
      <div aria-live="polite" role="status" className="sr-only" data-testid="board-status">
        {status}
      </div>
    </DndContext>
  );
}
