"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";

import { can, type Action, type Role } from "@tinytown/core/schema";

import { writeActorCookie } from "../lib/actor";
import { CreateTaskDialog } from "./create-task-dialog";
import { HelpDialog } from "./help-dialog";
import { useHotkeys } from "./hotkeys";
import { LiveIndicator } from "./live-indicator";
import { LiveProvider, useLive } from "./live";
import { NameDialog } from "./name-dialog";
import { NeedsCount } from "./needs/needs-count";
import { SpawnAgentDialog } from "./spawn-agent-dialog";
import { ToastProvider } from "./ui/toast";
import { SignedIn } from "./user-menu";

interface Shell {
  actor: string | null;
  /** How the viewer got in; with open access they act as an admin. */
  auth: ShellAuth;
  /** Whether the viewer's role allows `action` (the page hides what it does not: core's role table). */
  may: (action: Action) => boolean;
  openCreate: () => void;
  openSpawn: () => void;
  openHelp: () => void;
}
const ShellContext = createContext<Shell | null>(null);

export function useShell(): Shell {
  const ctx = useContext(ShellContext);
  if (!ctx) throw new Error("useShell outside AppShell");
  return ctx;
}

const NAV: { href: string; label: string; needs?: Action }[] = [
  { href: "/", label: "Board" },
  { href: "/overview", label: "Overview" },
  { href: "/needs", label: "Needs you" },
  { href: "/messages", label: "Messages" },
  { href: "/queues", label: "Queues" },
  { href: "/audit", label: "Audit" },
  { href: "/users", label: "Users", needs: "user.manage" },
];

/**
 * How the viewer got in: open access (loopback, no users; a display name), signed in as a user or token, or not
 * known because the town's Redis did not answer when the page was rendered (nothing can be done until it does).
 */
export type ShellAuth =
  { mode: "open" } | { mode: "signed-in"; name: string; role: Role } | { mode: "unavailable"; reason: string };

/** The role the viewer acts with: an admin with open access; nothing beyond reading while the town is unreachable. */
function roleOf(auth: ShellAuth): Role {
  return auth.mode === "open" ? "admin" : auth.mode === "signed-in" ? auth.role : "viewer";
}

/** Header, live connection, global dialogs and shortcuts around every page. `actor` is read from the cookie on the server. */
export function AppShell(props: { actor: string | null; auth?: ShellAuth; children: React.ReactNode }) {
  return (
    <ToastProvider>
      <LiveProvider>
        <ShellInner actor={props.actor} auth={props.auth ?? { mode: "open" }}>
          {props.children}
        </ShellInner>
      </LiveProvider>
    </ToastProvider>
  );
}

function ShellInner(props: { actor: string | null; auth: ShellAuth; children: React.ReactNode }) {
  const router = useRouter();
  const signedIn = props.auth.mode === "signed-in";
  const pathname = usePathname();
  const live = useLive();
  const [actor, setActor] = useState(props.actor);
  const [dialog, setDialog] = useState<"create" | "spawn" | "help" | "name" | null>(
    props.actor || signedIn ? null : "name",
  );
  const lastG = useRef(0);

  const close = useCallback(() => setDialog(null), []);
  const role = roleOf(props.auth);
  // Rendered while the town was unreachable: once the stream is live again, ask the server who this is (a soft
  // refresh of the server components; the page and its state stay).
  const unknown = props.auth.mode === "unavailable";
  const isLive = live.connection.state === "live";
  useEffect(() => {
    if (unknown && isLive) router.refresh();
  }, [unknown, isLive, router]);
  const { canChange } = live;
  const shell = useMemo<Shell>(
    () => ({
      actor,
      auth: props.auth,
      may: (action) => can(role, action),
      openCreate: () => canChange && can(role, "task.write") && setDialog("create"),
      openSpawn: () => canChange && can(role, "agent.manage") && setDialog("spawn"),
      openHelp: () => setDialog("help"),
    }),
    [actor, props.auth, role, canChange],
  );

  const goTo = (href: string) => () => {
    // "g" then a letter within a second, like Linear/GitHub.
    if (Date.now() - lastG.current < 1000) {
      lastG.current = 0;
      router.push(href);
    }
  };
  useHotkeys({
    c: shell.openCreate,
    a: shell.openSpawn,
    "?": () => setDialog("help"),
    g: () => (lastG.current = Date.now()),
    b: goTo("/"),
    o: goTo("/overview"),
    m: goTo("/messages"),
    q: goTo("/queues"),
    u: goTo("/audit"),
  });

  return (
    <ShellContext.Provider value={shell}>
      <div className="flex h-dvh flex-col">
        <header className="flex shrink-0 flex-wrap items-center gap-x-3 border-b border-zinc-200 bg-white px-3 sm:h-12 sm:flex-nowrap sm:gap-5 sm:px-4 dark:border-zinc-800 dark:bg-zinc-950">
          <Link
            href="/"
            aria-label="Tinytown board"
            className="flex h-11 shrink-0 items-center gap-2 font-semibold tracking-tight sm:h-auto"
          >
            <svg viewBox="0 0 20 20" className="size-5 text-indigo-600 dark:text-indigo-400" aria-hidden>
              <rect x="2" y="9" width="4" height="9" rx="1" fill="currentColor" />
              <rect x="8" y="4" width="4" height="14" rx="1" fill="currentColor" opacity=".75" />
              <rect x="14" y="7" width="4" height="11" rx="1" fill="currentColor" opacity=".5" />
            </svg>
            <span className="hidden sm:inline">Tinytown</span>
          </Link>
          <nav
            className="order-last -mx-3 flex w-[calc(100%+1.5rem)] min-w-0 items-center gap-0.5 overflow-x-auto border-t border-zinc-100 px-2 py-1 text-sm [scrollbar-width:none] sm:order-none sm:mx-0 sm:w-auto sm:border-0 sm:p-0 dark:border-zinc-800"
            aria-label="Main"
          >
            {NAV.filter((n) => !n.needs || shell.may(n.needs)).map((n) => {
              const active = n.href === "/" ? pathname === "/" : pathname.startsWith(n.href);
              return (
                <Link
                  key={n.href}
                  href={n.href}
                  aria-current={active ? "page" : undefined}
                  className={`shrink-0 rounded-md px-1.5 py-1 whitespace-nowrap sm:px-2 ${active ? "bg-zinc-100 font-medium text-zinc-900 dark:bg-zinc-800 dark:text-zinc-100" : "text-zinc-600 hover:text-zinc-900 dark:text-zinc-300 dark:hover:text-zinc-100"}`}
                >
                  {n.label}
                  {n.href === "/needs" ? <NeedsCount /> : null}
                </Link>
              );
            })}
          </nav>
          <div className="ml-auto flex shrink-0 items-center gap-2 sm:gap-3">
            <LiveIndicator connection={live.connection} />
            <button
              type="button"
              className="icon-btn hidden sm:inline-flex"
              onClick={() => setDialog("help")}
              aria-label="Keyboard shortcuts"
              title="Keyboard shortcuts (?)"
            >
              <span className="text-sm font-semibold">?</span>
            </button>
            {props.auth.mode === "signed-in" ? (
              <SignedIn name={props.auth.name} role={props.auth.role} />
            ) : props.auth.mode === "unavailable" ? null : (
              <>
                <span
                  className="hidden rounded-md bg-amber-50 px-2 py-0.5 text-xs text-amber-800 lg:inline dark:bg-amber-950 dark:text-amber-300"
                  title="Anyone who can reach this address can use the dashboard. Add a user (tt user add <name> --role admin) to require sign-in."
                  data-testid="open-access"
                >
                  Open access: no users configured (loopback only)
                </span>
                <button
                  type="button"
                  onClick={() => setDialog("name")}
                  className="flex max-w-36 items-center gap-1.5 rounded-md px-1.5 py-1 text-sm text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
                  title="Change your display name"
                  data-testid="actor"
                >
                  <span
                    aria-hidden
                    className="flex size-6 shrink-0 items-center justify-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-700 uppercase dark:bg-indigo-950 dark:text-indigo-300"
                  >
                    {(actor ?? "?").slice(0, 1)}
                  </span>
                  <span className="hidden truncate sm:inline">{actor ?? "Pick a name"}</span>
                  <span className="sr-only sm:hidden">{actor ?? "Pick a name"}</span>
                </button>
              </>
            )}
          </div>
        </header>
        {live.connection.state === "offline" ? (
          <p
            className="shrink-0 border-b border-red-200 bg-red-50 px-4 py-1.5 text-xs text-red-800 dark:border-red-900 dark:bg-red-950/60 dark:text-red-200"
            data-testid="offline-banner"
          >
            <strong className="font-semibold">Offline — changes are paused.</strong>{" "}
            {live.connection.reason ? `${capitalise(live.connection.reason)}; ` : ""}this page reconnects by itself.
          </p>
        ) : null}
        <main className="min-h-0 flex-1">{props.children}</main>
      </div>
      <CreateTaskDialog open={dialog === "create" && canChange} onClose={close} />
      <SpawnAgentDialog open={dialog === "spawn" && canChange} onClose={close} />
      <HelpDialog open={dialog === "help"} onClose={close} />
      {dialog === "name" ? (
        <NameDialog
          open
          initial={actor}
          onClose={() => {
            // The first visit needs a name; "anonymous" is used until one is picked.
            setDialog(null);
          }}
          onSave={(name) => {
            writeActorCookie(name);
            setActor(name);
            setDialog(null);
          }}
        />
      ) : null}
    </ShellContext.Provider>
  );
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
