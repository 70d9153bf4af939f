"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

import { useTRPC } from "../trpc/react";
import { ChangePasswordDialog } from "./change-password-dialog";

const HOUR_MS = 3600_000;

/**
 * Asks the server who this is on load and then hourly (and on return to the tab after an hour) over a plain
 * response, which sends the session cookie again with the session's current expiry: the session slides in Redis
 * while the dashboard is used, and the cookie follows it. A session that has ended sends the tab to sign-in.
 */
function useSessionKeepAlive(enabled: boolean) {
  const trpc = useTRPC();
  const me = useQuery({
    ...trpc.auth.me.queryOptions(),
    enabled,
    staleTime: HOUR_MS,
    refetchInterval: HOUR_MS,
    refetchOnWindowFocus: true,
    retry: false,
  });
  useEffect(() => {
    if (me.data && !me.data.principal) window.location.assign("/login");
  }, [me.data]);
}

/** The signed-in user and their role; a menu to change the password or sign out everywhere; sign-out. */
export function SignedIn(props: { name: string; role: string }) {
  const trpc = useTRPC();
  const isUser = !props.name.startsWith("token:");
  useSessionKeepAlive(isUser);
  const [menu, setMenu] = useState(false);
  const [changing, setChanging] = useState(false);
  const menuRef = useRef<HTMLDivElement>(null);
  const toLogin = () => window.location.assign("/login");
  const logout = useMutation(trpc.auth.logout.mutationOptions({ onSettled: toLogin }));
  const everywhere = useMutation(trpc.auth.logoutEverywhere.mutationOptions({ onSettled: toLogin }));

  useEffect(() => {
    if (!menu) return;
    const onDown = (e: MouseEvent) => {
      if (!menuRef.current?.contains(e.target as Node)) setMenu(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") setMenu(false);
    };
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [menu]);

  const identity = (
    <>
      <span
        aria-hidden
        className="flex size-6 shrink-0 items-center justify-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-700 uppercase dark:bg-indigo-950 dark:text-indigo-300"
      >
        {props.name.slice(0, 1)}
      </span>
      <span className="hidden max-w-36 truncate sm:inline" data-testid="actor">
        {props.name}
      </span>
    </>
  );
  return (
    <div className="relative flex items-center gap-2 text-sm" data-testid="signed-in" ref={menuRef}>
      {isUser ? (
        <button
          type="button"
          className="flex items-center gap-1.5 rounded-md px-1 py-0.5 hover:bg-zinc-100 dark:hover:bg-zinc-800"
          aria-haspopup="menu"
          aria-expanded={menu}
          onClick={() => setMenu((m) => !m)}
          title="Your account"
          data-testid="user-menu"
        >
          {identity}
          <span className="sr-only">Account menu</span>
        </button>
      ) : (
        identity
      )}
      <span className="badge bg-zinc-100 text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300">{props.role}</span>
      <button type="button" className="btn" onClick={() => logout.mutate()} disabled={logout.isPending}>
        Sign out
      </button>
      {menu ? (
        <div
          role="menu"
          aria-label="Account"
          className="absolute top-full right-0 z-40 mt-1.5 grid w-56 rounded-lg border border-zinc-200 bg-white p-1 shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
        >
          <button
            type="button"
            role="menuitem"
            className="rounded-md px-2.5 py-1.5 text-left hover:bg-zinc-100 dark:hover:bg-zinc-800"
            onClick={() => {
              setMenu(false);
              setChanging(true);
            }}
          >
            Change password…
          </button>
          <button
            type="button"
            role="menuitem"
            className="rounded-md px-2.5 py-1.5 text-left hover:bg-zinc-100 dark:hover:bg-zinc-800"
            onClick={() => everywhere.mutate()}
            title="End every session of this user, on every device"
          >
            Sign out everywhere
          </button>
        </div>
      ) : null}
      <ChangePasswordDialog open={changing} onClose={() => setChanging(false)} />
    </div>
  );
}
