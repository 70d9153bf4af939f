import type { Metadata } from "next";
import { redirect } from "next/navigation";

import { safeNextPath } from "@tinytown/api";

import { LoginForm } from "../../components/login-form";
import { getCaller } from "../../trpc/server";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage(props: { searchParams: Promise<{ next?: string | string[] }> }) {
  // Only same-site paths: `?next=/%09/attacker.test` must not turn sign-in into an open redirect.
  const next = safeNextPath((await props.searchParams).next);
  const me = await (
    await getCaller()
  ).auth
    .me()
    .catch((err: unknown) => ({ unavailable: err instanceof Error ? err.message : String(err) }) as const);
  if ("principal" in me && me.principal) redirect(next);
  return (
    <main className="flex min-h-dvh items-center justify-center bg-zinc-50 p-4 dark:bg-zinc-900">
      <div className="panel w-full max-w-sm p-6">
        <h1 className="mb-1 text-lg font-semibold tracking-tight">Sign in to Tinytown</h1>
        {"unavailable" in me ? (
          <p role="alert" className="text-sm text-red-700 dark:text-red-300" data-testid="town-unavailable">
            The town cannot be reached ({me.unavailable}). Sign-in works again once it is back: reload this page then.
          </p>
        ) : !me.hasUsers ? (
          <div className="grid gap-3 text-sm text-zinc-600 dark:text-zinc-300" data-testid="no-users">
            <p>
              This dashboard is reached from beyond this machine (or listens beyond loopback), so it requires sign-in,
              and no user exists yet.
            </p>
            <p>On the machine that hosts the town, add an admin, then reload this page:</p>
            <pre className="rounded-md bg-zinc-100 p-2 font-mono text-xs dark:bg-zinc-800">
              tt user add &lt;name&gt; --role admin
            </pre>
          </div>
        ) : (
          <LoginForm next={next} />
        )}
      </div>
    </main>
  );
}
