"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { ROLES, type Role } from "@tinytown/core/schema";

import { apiFailure } from "../lib/errors";
import { useTRPC } from "../trpc/react";
import { useShell } from "./app-shell";
import { useLive } from "./live";
import { EnumSelect } from "./ui/fields";
import { RelativeTime } from "./ui/time";
import { useToast } from "./ui/toast";

/**
 * Users and API tokens for admins: add a user, change a role, remove one; create a token (its secret is shown once,
 * here) and revoke one. The same rules as `tt user` / `tt token` (core), and every change is in the audit log.
 */
export function UsersView() {
  const shell = useShell();
  if (!shell.may("user.manage"))
    return (
      <div className="mx-auto max-w-xl p-6">
        <h1 className="mb-2 text-lg font-semibold">Users</h1>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">Only an admin manages users and tokens.</p>
      </div>
    );
  return <UsersAdmin />;
}

function UsersAdmin() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const { canChange } = useLive();
  const q = useQuery(trpc.user.list.queryOptions());
  const refresh = () => void qc.invalidateQueries(trpc.user.pathFilter());
  const fail = (what: string) => (err: unknown) => toast.show("error", what, apiFailure(err).message);
  const setRole = useMutation(
    trpc.user.setRole.mutationOptions({ onSuccess: refresh, onError: fail("Role not changed") }),
  );
  const remove = useMutation(trpc.user.remove.mutationOptions({ onSuccess: refresh, onError: fail("Not removed") }));
  const revoke = useMutation(
    trpc.user.revokeToken.mutationOptions({ onSuccess: refresh, onError: fail("Not revoked") }),
  );

  return (
    <div className="mx-auto grid max-w-4xl gap-6 p-4 md:p-6" data-testid="users-page">
      <div>
        <h1 className="text-lg font-semibold tracking-tight">Users and tokens</h1>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Who can sign in, with which role, and the tokens scripts use. The same as <code>tt user</code> and{" "}
          <code>tt token</code>; every change is in the audit log.
        </p>
      </div>
      {q.error ? <p className="text-sm text-red-700 dark:text-red-300">{apiFailure(q.error).message}</p> : null}

      <section aria-labelledby="users-title" className="grid gap-3">
        <h2 id="users-title" className="panel-title">
          Users
        </h2>
        <ul className="panel divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="users">
          {(q.data?.users ?? []).map((u) => (
            <li
              key={u.name}
              className="flex flex-wrap items-center gap-3 px-3 py-2 text-sm"
              data-testid={`user-${u.name}`}
            >
              <span className="min-w-0 flex-1">
                <span className="font-mono font-medium">{u.name}</span>
                <span className="block text-xs text-zinc-600 dark:text-zinc-400">
                  added by {u.createdBy} <RelativeTime at={u.createdAt} />
                </span>
              </span>
              <EnumSelect<Role>
                id={`role-${u.name}`}
                aria-label={`Role of ${u.name}`}
                className="input h-7 w-auto text-xs"
                value={u.role}
                options={ROLES}
                onChange={(role) => setRole.mutate({ name: u.name, role })}
              />
              <button
                type="button"
                className="btn btn-sm"
                disabled={!canChange || remove.isPending}
                onClick={() => {
                  if (window.confirm(`Remove ${u.name}? Their sessions end at once.`)) remove.mutate({ name: u.name });
                }}
              >
                Remove
              </button>
            </li>
          ))}
          {q.data && q.data.users.length === 0 ? (
            <li className="px-3 py-2 text-sm text-zinc-600 dark:text-zinc-400">
              No users: the dashboard is open to this machine only. Adding a user makes everyone sign in.
            </li>
          ) : null}
        </ul>
        {q.data ? (
          <AddUserForm
            key={String(q.data.users.length === 0)}
            first={q.data.users.length === 0}
            disabled={!canChange}
            onDone={refresh}
          />
        ) : null}
      </section>

      <section aria-labelledby="tokens-title" className="grid gap-3">
        <h2 id="tokens-title" className="panel-title">
          API tokens
        </h2>
        <ul className="panel divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="tokens">
          {(q.data?.tokens ?? []).map((t) => (
            <li
              key={t.id}
              className="flex flex-wrap items-center gap-3 px-3 py-2 text-sm"
              data-testid={`token-${t.name}`}
            >
              <span className="min-w-0 flex-1">
                <span className="font-mono font-medium">{t.name}</span>{" "}
                <span className="badge bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">{t.role}</span>
                <span className="block text-xs text-zinc-600 dark:text-zinc-400">
                  created by {t.createdBy} <RelativeTime at={t.createdAt} />
                </span>
              </span>
              <button
                type="button"
                className="btn btn-sm"
                disabled={!canChange || revoke.isPending}
                onClick={() => {
                  if (window.confirm(`Revoke the token ${t.name}? It stops working at once.`))
                    revoke.mutate({ ref: t.id });
                }}
              >
                Revoke
              </button>
            </li>
          ))}
          {q.data && q.data.tokens.length === 0 ? (
            <li className="px-3 py-2 text-sm text-zinc-600 dark:text-zinc-400">No tokens.</li>
          ) : null}
        </ul>
        <CreateTokenForm disabled={!canChange} onDone={refresh} />
      </section>
    </div>
  );
}

/** `first`: the town has no user yet, so this one should be an admin (then everyone signs in, this page included). */
function AddUserForm(props: { first: boolean; disabled: boolean; onDone: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>(props.first ? "admin" : "operator");
  const [password, setPassword] = useState("");
  const add = useMutation(
    trpc.user.add.mutationOptions({
      onSuccess: () => {
        setName("");
        setPassword("");
        props.onDone();
      },
    }),
  );
  return (
    <form
      className="flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate({ name, role, password });
      }}
      data-testid="add-user"
    >
      <label className="grid gap-1 text-xs text-zinc-600 dark:text-zinc-400">
        Name
        <input
          className="input w-40"
          value={name}
          onChange={(e) => setName(e.target.value)}
          autoComplete="off"
          required
        />
      </label>
      <label className="grid gap-1 text-xs text-zinc-600 dark:text-zinc-400">
        Role
        <EnumSelect<Role> id="new-user-role" className="input w-32" value={role} options={ROLES} onChange={setRole} />
      </label>
      <label className="grid gap-1 text-xs text-zinc-600 dark:text-zinc-400">
        Password (8+ characters)
        <input
          className="input w-48"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="new-password"
          required
        />
      </label>
      <button type="submit" className="btn btn-primary" disabled={props.disabled || add.isPending}>
        {add.isPending ? "Adding…" : "Add user"}
      </button>
      {add.error ? (
        <p role="alert" className="w-full text-sm text-red-700 dark:text-red-300">
          {apiFailure(add.error).message}
        </p>
      ) : null}
    </form>
  );
}

function CreateTokenForm(props: { disabled: boolean; onDone: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("operator");
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const create = useMutation(
    trpc.user.createToken.mutationOptions({
      onSuccess: (r) => {
        setSecret({ name: r.info.name, token: r.token });
        setName("");
        props.onDone();
      },
    }),
  );
  return (
    <div className="grid gap-2">
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ name, role });
        }}
        data-testid="create-token"
      >
        <label className="grid gap-1 text-xs text-zinc-600 dark:text-zinc-400">
          Token name
          <input
            className="input w-40"
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoComplete="off"
            required
          />
        </label>
        <label className="grid gap-1 text-xs text-zinc-600 dark:text-zinc-400">
          Role
          <EnumSelect<Role>
            id="new-token-role"
            className="input w-32"
            value={role}
            options={ROLES}
            onChange={setRole}
          />
        </label>
        <button type="submit" className="btn btn-primary" disabled={props.disabled || create.isPending}>
          Create token
        </button>
        {create.error ? (
          <p role="alert" className="w-full text-sm text-red-700 dark:text-red-300">
            {apiFailure(create.error).message}
          </p>
        ) : null}
      </form>
      {secret ? (
        <div
          role="status"
          className="grid gap-2 rounded-lg border border-emerald-300 bg-emerald-50 p-3 text-sm dark:border-emerald-800 dark:bg-emerald-950/40"
          data-testid="token-secret"
        >
          <p>
            The token <span className="font-mono">{secret.name}</span> — copy it now, it is shown only this once:
          </p>
          <code
            className="rounded bg-white px-2 py-1 font-mono text-xs break-all dark:bg-zinc-900"
            data-testid="token-value"
          >
            {secret.token}
          </code>
          <div className="flex gap-2">
            <button
              type="button"
              className="btn btn-sm"
              onClick={() => void navigator.clipboard?.writeText(secret.token)}
            >
              Copy
            </button>
            <button type="button" className="btn btn-sm" onClick={() => setSecret(null)}>
              Done, hide it
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
