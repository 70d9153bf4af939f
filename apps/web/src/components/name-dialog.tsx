"use client";

import { useState } from "react";

import { MAX_NAME_LENGTH } from "../lib/actor";
import { Dialog, Field } from "./ui/dialog";

/** Asks for the display name every change is attributed to (until sign-in exists). */
export function NameDialog(props: {
  open: boolean;
  initial: string | null;
  onSave: (name: string) => void;
  onClose: () => void;
}) {
  const [name, setName] = useState(props.initial ?? "");
  const trimmed = name.trim();
  // Same rule as the API: no control characters, at most 64 characters.
  const bad = /[\u0000-\u001f\u007f]/.test(trimmed);
  const valid = trimmed.length > 0 && trimmed.length <= MAX_NAME_LENGTH && !bad;
  return (
    <Dialog
      open={props.open}
      onClose={props.onClose}
      title={props.initial ? "Change your name" : "Welcome to Tinytown"}
      description="Pick the name your team sees next to what you change. It is kept in this browser."
      testId="name-dialog"
    >
      <form
        className="grid gap-4"
        onSubmit={(e) => {
          e.preventDefault();
          if (valid) props.onSave(trimmed);
        }}
      >
        <Field label="Display name" htmlFor="tt-name" hint="e.g. ada or Ada Lovelace">
          <input
            id="tt-name"
            className="input"
            autoFocus
            value={name}
            maxLength={MAX_NAME_LENGTH}
            onChange={(e) => setName(e.target.value)}
            autoComplete="nickname"
          />
        </Field>
        <div className="flex justify-end gap-2">
          <button type="submit" className="btn btn-primary" disabled={!valid}>
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}
