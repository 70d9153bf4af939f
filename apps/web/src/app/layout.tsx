import type { Metadata, Viewport } from "next";
import { cookies } from "next/headers";

import { AppShell } from "../components/app-shell";
import { ACTOR_COOKIE } from "../lib/actor";
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

export default async function RootLayout(props: { children: React.ReactNode }) {
  // Read on the server so the header shows the name (or asks for one) without a flash.
  const raw = (await cookies()).get(ACTOR_COOKIE)?.value?.trim();
  const actor = raw ? raw.slice(0, 64) : null;
  return (
    <html lang="en">
      <body className="bg-white font-sans text-zinc-900 antialiased dark:bg-zinc-950 dark:text-zinc-100">
        <TRPCReactProvider>
          <AppShell actor={actor}>{props.children}</AppShell>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
