"use client";

import { Dialog } from "./ui/dialog";
import { SHORTCUTS } from "./hotkeys";

export function HelpDialog(props: { open: boolean; onClose: () => void }) {
  const groups = [...new Set(SHORTCUTS.map((s) => s.group))];
  return (
    <Dialog open={props.open} onClose={props.onClose} title="Keyboard shortcuts" testId="help-dialog">
      <div className="grid gap-4">
        {groups.map((g) => (
          <section key={g}>
            <h3 className="panel-title mb-1.5">{g}</h3>
            <dl className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {SHORTCUTS.filter((s) => s.group === g).map((s) => (
                <div key={s.what} className="flex items-center justify-between gap-4 py-1.5 text-sm">
                  <dt className="text-zinc-700 dark:text-zinc-300">{s.what}</dt>
                  <dd className="flex shrink-0 gap-1">
                    {s.keys.map((k) => (
                      <kbd key={k} className="kbd">
                        {k}
                      </kbd>
                    ))}
                  </dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
    </Dialog>
  );
}
