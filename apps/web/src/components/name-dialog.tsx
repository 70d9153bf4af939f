"use client";

import { useState } from "react";

import { DisplayName, MAX_DISPLAY_NAME_LENGTH } from "@tinytown/core/schema";

import { Dialog, Field } from "./ui/dialog";

/** Asks for the display name every change is attributed to (until sign-in exists). */
export function NameDialog(props: {
  open: boolean;
  initial: string | null;
  onSave: (name: string) => void;
  onClose: () => void;
}) {
  const [name, setName] = useState(props.initial ?? "");
  // The API's rule (it ignores a cookie that breaks it).
  const parsed = DisplayName.safeParse(name);
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
          if (parsed.success) props.onSave(parsed.data);
        }}
      >
        <Field label="Display name" htmlFor="tt-name" hint="e.g. ada or Ada Lovelace">
          <input
            id="tt-name"
            className="input"
            autoFocus
            value={name}
            maxLength={MAX_DISPLAY_NAME_LENGTH}
            onChange={(e) => setName(e.target.value)}
            autoComplete="nickname"
          />
        </Field>
        <div className="flex justify-end gap-2">
          <button type="submit" className="btn btn-primary" disabled={!parsed.success}>
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}
