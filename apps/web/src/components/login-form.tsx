"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import { apiFailure } from "../lib/errors";
import { useTRPC } from "../trpc/react";
import { Field } from "./ui/dialog";

/** Name and password; on success a full page load, so the layout renders with the signed-in header. */
export function LoginForm(props: { next: string }) {
  const trpc = useTRPC();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const login = useMutation(trpc.auth.login.mutationOptions({ onSuccess: () => window.location.assign(props.next) }));
  return (
    <form
      className="mt-4 grid gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        login.mutate({ name, password });
      }}
    >
      <Field label="User name" htmlFor="tt-user">
        <input
          id="tt-user"
          className="input"
          autoFocus
          autoComplete="username"
          value={name}
          maxLength={64}
          onChange={(e) => setName(e.target.value)}
          required
        />
      </Field>
      <Field label="Password" htmlFor="tt-password">
        <input
          id="tt-password"
          className="input"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
      </Field>
      {login.error ? (
        <p role="alert" className="text-sm text-red-600 dark:text-red-400">
          {apiFailure(login.error).message}
        </p>
      ) : null}
      <button type="submit" className="btn btn-primary" disabled={login.isPending || !name || !password}>
        {login.isPending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
