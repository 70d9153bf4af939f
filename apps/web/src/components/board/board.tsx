"use client";

import { DndContext, DragOverlay, MeasuringStrategy } from "@dnd-kit/core";
import { useRouter } from "next/navigation";
import { useCallback, useState } from "react";

import { BOARD_COLUMNS, type MoveTarget } from "@tinytown/core/schema";

import { useShell } from "../app-shell";
import { useLive } from "../live";
import { AgentRail } from "./agent-rail";
import { Column } from "./column";
import { useDensity } from "./density";
import { COLUMN_DROPS, moveTargets } from "./drop-targets";
import { FilterBar } from "./filter-bar";
import { MoveMenu } from "./move-menu";
import { Onboarding } from "./onboarding";
import { CardBody, CARD_HEIGHT } from "./task-card";
import { assigneeOf, type TaskCard } from "./types";
import { useBoardData } from "./use-board-data";
import { OVERLAY_MODIFIERS, useBoardDrag } from "./use-board-drag";
import { useCardFocus } from "./use-card-focus";
import { useMoveTask } from "./use-move";
import { useTails } from "./use-tails";
import { CardCostsLoader } from "./card-costs";

// Drop targets are measured on every drag: the agent rail and the columns scroll and change while cards move.
const MEASURING = { droppable: { strategy: MeasuringStrategy.Always } };

/**
 * The board: agents as drop targets, five virtualised columns, drag and drop with mouse, touch and keyboard, and a
 * "Move…" menu on every card. The data ({@link useBoardData}), the drag ({@link useBoardDrag}), the keyboard focus
 * ({@link useCardFocus}) and the move itself ({@link useMoveTask}) each live in their own hook; this component lays
 * them out. A viewer (or anyone while the board is offline) sees no move, no New task and no Spawn.
 */
export function Board() {
  const router = useRouter();
  const shell = useShell();
  const { canChange } = useLive();
  const data = useBoardData();
  const { agents, agentNames, columns, filtered } = data;
  const [density, setDensity] = useDensity();
  const mayMove = shell.may("task.write");
  const movable = mayMove && canChange;
  // Announcements for moves that finished (or were refused), besides dnd-kit's own drag announcements.
  const [status, setStatus] = useState("");
  const { move, pendingIds } = useMoveTask(agents, setStatus);
  const focus = useCardFocus(filtered);
  const { setFocusedId, followTask } = focus;
  const tails = useTails(columns.running.items, canChange);
  const [menu, setMenu] = useState<{ card: TaskCard; anchor: HTMLElement } | null>(null);

  const onDrop = useCallback(
    (card: TaskCard, target: MoveTarget, byKeyboard: boolean) => {
      void move(card, target);
      // After a keyboard drop the focus goes with the moved card.
      if (byKeyboard) followTask(card.id);
    },
    [move, followTask],
  );
  const drag = useBoardDrag({ agents, agentNames, enabled: movable, onDrop });

  const { justDragged } = drag;
  const onOpen = useCallback(
    (id: string) => {
      if (!justDragged()) router.push(`/tasks/${id}`);
    },
    [justDragged, router],
  );
  const onMenu = useCallback((card: TaskCard, anchor: HTMLElement) => setMenu({ card, anchor }), []);
  const closeMenu = useCallback(() => setMenu(null), []);

  const loaded =
    BOARD_COLUMNS.every((c) => !columns[c.id].loading && !columns[c.id].failed) && !data.agentsLoading && canChange;
  const totalTasks = BOARD_COLUMNS.reduce((n, c) => n + columns[c.id].total, 0);
  const everAssigned = totalTasks > columns.backlog.total;
  const showGuide = loaded && (agents.length === 0 || totalTasks === 0 || !everAssigned);

  return (
    <DndContext {...drag.dnd} measuring={MEASURING}>
      <div className="flex h-full min-h-0 flex-col md:flex-row" data-testid="board" data-density={density}>
        <h1 className="sr-only">Board</h1>
        <CardCostsLoader columns={columns} />
        <AgentRail
          agents={agents}
          loading={data.agentsLoading}
          simulated={data.simulated}
          currentTask={data.taskText}
          accepting={drag.acceptingAgents}
          canSpawn={shell.may("agent.manage") && canChange}
          showSpawn={shell.may("agent.manage")}
          density={density}
          onSpawn={shell.openSpawn}
        />
        <div className="flex min-h-0 min-w-0 flex-1 flex-col">
          <FilterBar
            filters={data.filters}
            onChange={data.setFilters}
            agents={agents}
            tags={data.tags}
            searchRef={focus.searchRef}
            onCreate={mayMove ? shell.openCreate : null}
            canCreate={canChange}
            density={density}
            onDensity={setDensity}
          />
          {showGuide ? (
            <Onboarding
              hasAgent={agents.length > 0}
              hasTask={totalTasks > 0}
              canSpawn={shell.may("agent.manage") && canChange}
              canCreate={mayMove && canChange}
              onSpawn={shell.openSpawn}
              onCreate={shell.openCreate}
            />
          ) : null}
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
                failed={columns[c.id].failed}
                hasMore={columns[c.id].hasMore}
                fetchMore={columns[c.id].fetchMore}
                dropId={COLUMN_DROPS[c.id]?.id ?? null}
                accepts={drag.accepts(c.id)}
                dropLabel={COLUMN_DROPS[c.id]?.label}
                agentNames={agentNames}
                density={density}
                tails={tails}
                movable={movable}
                focusedId={focus.focusedId}
                pendingIds={pendingIds}
                onOpen={onOpen}
                onFocusCard={setFocusedId}
                onMenu={onMenu}
                handle={focus.handles[c.id]}
              />
            ))}
          </div>
        </div>
      </div>
      <DragOverlay dropAnimation={null} modifiers={drag.keyboardDrag ? undefined : OVERLAY_MODIFIERS}>
        {drag.active ? (
          // Narrower than a column and see-through: whatever it is dragged over stays readable.
          <div
            style={{ height: CARD_HEIGHT.compact }}
            className="w-60 max-w-[70vw] rotate-1 opacity-90"
            data-testid="drag-overlay"
          >
            <CardBody card={drag.active} agentName={assigneeOf(drag.active, agentNames)} density="compact" lifted />
          </div>
        ) : null}
      </DragOverlay>
      {menu ? (
        <MoveMenu
          taskId={menu.card.id}
          state={menu.card.state}
          targets={moveTargets(menu.card, agents, agentNames)}
          anchor={menu.anchor}
          onClose={closeMenu}
          onMove={(target) => {
            void move(menu.card, target);
            followTask(menu.card.id);
          }}
        />
      ) : null}
      <div aria-live="polite" role="status" className="sr-only" data-testid="board-status">
        {status}
      </div>
    </DndContext>
  );
}
