"use client";

import { DiffModeEnum, DiffView, SplitSide } from "@git-diff-view/react";
import "@git-diff-view/react/styles/diff-view-pure.css";
import { useMemo, useState } from "react";

import type { ReviewComment } from "@tinytown/core/schema";

import { useColorScheme } from "../../lib/use-color-scheme";

export interface DraftComment {
  file: string;
  line: number;
  /** A line of the old version (a removed line): sent as a comment on the file naming that line. */
  old: boolean;
  text: string;
}

/** What a draft becomes in a change request (comments on lines name lines of the new version). */
export function draftToComment(d: DraftComment): { file: string; line?: number; text: string } {
  return d.old
    ? { file: d.file, text: `On the removed line ${d.line}: ${d.text}` }
    : { file: d.file, line: d.line, text: d.text };
}

/** A comment shown under a line: one already sent (with its author) or a draft of this reviewer's. */
type LineNote = { kind: "sent"; comment: ReviewComment } | { kind: "draft"; draft: DraftComment; index: number };

/**
 * One file's diff (unified or split, highlighted by the viewer's built-in highlighter), with the review's comments
 * under their lines. When `onDraft` is given, clicking a line's "+" opens a comment box for that line of the new
 * version.
 */
export function FileDiff(props: {
  path: string;
  text: string;
  mode: "unified" | "split";
  comments: readonly ReviewComment[];
  drafts: readonly DraftComment[];
  onDraft?: (draft: DraftComment) => void;
  onRemoveDraft?: (index: number) => void;
}) {
  const scheme = useColorScheme();
  const extendData = useMemo(() => {
    const newFile: Record<string, { data: LineNote[] }> = {};
    const oldFile: Record<string, { data: LineNote[] }> = {};
    const add = (side: typeof newFile, line: number, note: LineNote) =>
      (side[String(line)] ??= { data: [] }).data.push(note);
    for (const c of props.comments)
      if (c.file === props.path && c.line) add(newFile, c.line, { kind: "sent", comment: c });
    props.drafts.forEach(
      (d, index) => d.file === props.path && add(d.old ? oldFile : newFile, d.line, { kind: "draft", draft: d, index }),
    );
    return { oldFile, newFile };
  }, [props.comments, props.drafts, props.path]);

  return (
    <div className="diff-tailwindcss-wrapper overflow-x-auto text-[12px]" data-testid={`diff-${props.path}`}>
      <DiffView<LineNote[]>
        data={{ newFile: { fileName: props.path }, oldFile: { fileName: props.path }, hunks: [props.text] }}
        diffViewMode={props.mode === "split" ? DiffModeEnum.Split : DiffModeEnum.Unified}
        diffViewTheme={scheme}
        diffViewHighlight
        diffViewWrap={false}
        diffViewFontSize={12}
        diffViewAddWidget={props.onDraft !== undefined}
        extendData={extendData}
        // Split view asks each side, also the one without notes (data undefined despite the type).
        renderExtendLine={({ data }: { data: LineNote[] | undefined }) =>
          !data?.length ? null : (
            <div className="grid gap-1.5 px-3 py-2 font-sans">
              {data.map((n, i) =>
                n.kind === "sent" ? (
                  <SentNote key={`s${i}`} comment={n.comment} />
                ) : (
                  <div
                    key={`d${n.index}`}
                    data-testid="draft-comment"
                    className="flex items-start gap-2 rounded-md border border-amber-300 bg-amber-50 p-2 text-[13px] dark:border-amber-800 dark:bg-amber-950/40"
                  >
                    <span className="badge shrink-0 bg-amber-200 text-amber-900 dark:bg-amber-900 dark:text-amber-100">
                      draft
                    </span>
                    <p className="min-w-0 flex-1 break-words whitespace-pre-wrap">{n.draft.text}</p>
                    {props.onRemoveDraft ? (
                      <button
                        type="button"
                        className="icon-btn size-6"
                        aria-label="Remove this draft comment"
                        onClick={() => props.onRemoveDraft?.(n.index)}
                      >
                        ✕
                      </button>
                    ) : null}
                  </div>
                ),
              )}
            </div>
          )
        }
        renderWidgetLine={({ lineNumber, side, onClose }) => (
          <CommentBox
            path={props.path}
            line={lineNumber}
            oldSide={side === SplitSide.old}
            onCancel={onClose}
            onSave={(text) => {
              props.onDraft?.({ file: props.path, line: lineNumber, old: side === SplitSide.old, text });
              onClose();
            }}
          />
        )}
      />
    </div>
  );
}

function SentNote(props: { comment: ReviewComment }) {
  return (
    <div
      data-testid="line-comment"
      className="rounded-md border border-zinc-200 bg-white p-2 text-[13px] dark:border-zinc-700 dark:bg-zinc-900"
    >
      <p className="mb-0.5 text-[11px] text-zinc-600 dark:text-zinc-400">
        <span className="font-medium text-zinc-800 dark:text-zinc-200">{props.comment.by}</span> asked for a change
      </p>
      {/* Reviewer input: rendered as text only. */}
      <p className="break-words whitespace-pre-wrap">{props.comment.text}</p>
    </div>
  );
}

function CommentBox(props: {
  path: string;
  line: number;
  oldSide: boolean;
  onCancel: () => void;
  onSave: (text: string) => void;
}) {
  const [text, setText] = useState("");
  return (
    <form
      className="grid gap-2 border-y border-indigo-200 bg-indigo-50/60 p-3 font-sans dark:border-indigo-900 dark:bg-indigo-950/30"
      data-testid="comment-box"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim()) props.onSave(text.trim());
      }}
    >
      <label className="text-xs font-medium text-zinc-700 dark:text-zinc-300" htmlFor={`c-${props.path}-${props.line}`}>
        Comment on {props.path} line {props.line}
        {props.oldSide ? " (removed)" : ""}
      </label>
      <textarea
        id={`c-${props.path}-${props.line}`}
        className="input min-h-16 text-sm"
        autoFocus
        value={text}
        maxLength={8192}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") props.onCancel();
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) e.currentTarget.form?.requestSubmit();
        }}
      />
      <div className="flex justify-end gap-2">
        <button type="button" className="btn btn-sm" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn-sm btn-primary" disabled={!text.trim()}>
          Add comment
        </button>
      </div>
    </form>
  );
}
