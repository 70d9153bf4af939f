"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import { apiFailure } from "../lib/errors";
import { useTRPC } from "../trpc/react";
import { Dialog, Field } from "./ui/dialog";
import { useToast } from "./ui/toast";

/** Same bounds as core's `Password`; the server checks again. */
const MIN = 8;
const MAX = 1024;

/** The signed-in user changes their own password; this browser stays signed in, every other session ends. */
export function ChangePasswordDialog(props: { open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const toast = useToast();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const close = () => {
    setCurrent("");
    setNext("");
    setAgain("");
    change.reset();
    props.onClose();
  };
  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      onSuccess: ({ endedSessions }) => {
        toast.show(
          "success",
          "Password changed",
          endedSessions > 0
            ? `${endedSessions} other session${endedSessions === 1 ? " was" : "s were"} signed out.`
            : undefined,
        );
        close();
      },
    }),
  );
  const mismatch = again.length > 0 && again !== next;
  const tooShort = next.length > 0 && next.length < MIN;
  const valid = current.length > 0 && next.length >= MIN && next.length <= MAX && next === again;
  return (
    <Dialog
      open={props.open}
      onClose={close}
      title="Change your password"
      description="You stay signed in here; your other sessions are signed out."
      testId="change-password-dialog"
    >
      <form
        className="grid gap-4"
        onSubmit={(e) => {
          e.preventDefault();
          if (valid) change.mutate({ currentPassword: current, newPassword: next });
        }}
      >
        <Field label="Current password" htmlFor="pw-current">
          <input
            id="pw-current"
            className="input"
            type="password"
            autoComplete="current-password"
            value={current}
            maxLength={MAX}
            onChange={(e) => setCurrent(e.target.value)}
            required
          />
        </Field>
        <Field
          label="New password"
          htmlFor="pw-new"
          hint={`At least ${MIN} characters.`}
          error={tooShort ? `At least ${MIN} characters.` : null}
        >
          <input
            id="pw-new"
            className="input"
            type="password"
            autoComplete="new-password"
            value={next}
            maxLength={MAX}
            onChange={(e) => setNext(e.target.value)}
            required
          />
        </Field>
        <Field label="New password again" htmlFor="pw-again" error={mismatch ? "The passwords do not match." : null}>
          <input
            id="pw-again"
            className="input"
            type="password"
            autoComplete="new-password"
            value={again}
            maxLength={MAX}
            onChange={(e) => setAgain(e.target.value)}
            required
          />
        </Field>
        {change.error ? (
          <p role="alert" className="text-sm text-red-600 dark:text-red-400">
            {apiFailure(change.error).message}
          </p>
        ) : null}
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!valid || change.isPending}>
            {change.isPending ? "Changing…" : "Change password"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
