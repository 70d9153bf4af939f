import type { Metadata, Viewport } from "next";
import { cookies } from "next/headers";

import { actorOf, ACTOR_COOKIE, DisplayName } from "@tinytown/core/schema";

import { AppShell, type ShellAuth } from "../components/app-shell";
import { getCaller } from "../trpc/server";
import { TRPCReactProvider } from "../trpc/react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Tinytown", template: "%s · Tinytown" },
  description: "Orchestrate AI coding agents through Redis.",
};

export const viewport: Viewport = {
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "white" },
    { media: "(prefers-color-scheme: dark)", color: "#09090b" },
  ],
};

/**
 * Who is here: signed in, open access, or nobody yet (then only the sign-in page renders, without the shell). When
 * the town cannot be asked (no Redis), nobody is known: the shell says so instead of claiming open access.
 */
async function shellAuth(): Promise<ShellAuth | null> {
  try {
    const me = await (await getCaller()).auth.me();
    if (!me.principal) return null;
    if (me.principal.kind === "open") return { mode: "open" };
    return { mode: "signed-in", name: actorOf(me.principal), role: me.principal.role };
  } catch (err) {
    return { mode: "unavailable", reason: err instanceof Error ? err.message : String(err) };
  }
}

export default async function RootLayout(props: { children: React.ReactNode }) {
  // Read on the server so the header shows the name (or asks for one) without a flash.
  const actor = DisplayName.safeParse((await cookies()).get(ACTOR_COOKIE)?.value ?? "").data ?? null;
  const auth = await shellAuth();
  return (
    <html lang="en">
      <body className="bg-white font-sans text-zinc-900 antialiased dark:bg-zinc-950 dark:text-zinc-100">
        <TRPCReactProvider>
          {auth ? (
            <AppShell actor={auth.mode === "signed-in" ? auth.name : actor} auth={auth}>
              {props.children}
            </AppShell>
          ) : (
            props.children
          )}
        </TRPCReactProvider>
      </body>
    </html>
  );
}
