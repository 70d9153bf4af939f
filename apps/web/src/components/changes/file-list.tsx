import type { ChangedFile } from "@tinytown/core/schema";

const STATUS: Record<ChangedFile["status"], { letter: string; cls: string }> = {
  added: { letter: "A", cls: "text-emerald-700 dark:text-emerald-400" },
  modified: { letter: "M", cls: "text-amber-700 dark:text-amber-400" },
  deleted: { letter: "D", cls: "text-red-700 dark:text-red-400" },
  renamed: { letter: "R", cls: "text-sky-700 dark:text-sky-400" },
  copied: { letter: "C", cls: "text-sky-700 dark:text-sky-400" },
  type_changed: { letter: "T", cls: "text-zinc-600 dark:text-zinc-400" },
};

/** The changed files with their status and line counts; each links to its diff below. */
export function FileList(props: { files: readonly ChangedFile[]; truncated: boolean }) {
  return (
    <nav aria-label="Changed files" className="panel h-fit p-2 xl:sticky xl:top-2" data-testid="file-list">
      <ul className="grid gap-0.5 text-xs">
        {props.files.map((f) => (
          <li key={f.path}>
            <a
              href={`#file-${encodeURIComponent(f.path)}`}
              className="flex items-center gap-2 rounded px-1.5 py-1 hover:bg-zinc-100 dark:hover:bg-zinc-800"
              title={f.oldPath ? `${f.oldPath} → ${f.path}` : f.path}
            >
              <span className={`w-3 shrink-0 font-mono font-bold ${STATUS[f.status].cls}`} aria-label={f.status}>
                {STATUS[f.status].letter}
              </span>
              <span className="min-w-0 flex-1 truncate font-mono [direction:rtl] text-left">{f.path}</span>
              <span className="shrink-0 tabular-nums text-zinc-600 dark:text-zinc-400">
                {f.binary ? (
                  "bin"
                ) : (
                  <>
                    <span className="text-emerald-700 dark:text-emerald-400">+{f.additions}</span>{" "}
                    <span className="text-red-700 dark:text-red-400">−{f.deletions}</span>
                  </>
                )}
              </span>
            </a>
          </li>
        ))}
      </ul>
      {props.truncated ? (
        <p className="mt-1 px-1.5 text-xs text-zinc-600 dark:text-zinc-400">More files than listed.</p>
      ) : null}
    </nav>
  );
}
