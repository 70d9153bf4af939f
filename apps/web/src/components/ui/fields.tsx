/** Small form and display pieces shared by the dialogs and detail pages. */

/** A `<select>` over a fixed list of values (priorities, message types, states). */
export function EnumSelect<T extends string>(props: {
  id: string;
  value: T;
  options: readonly T[];
  onChange: (value: T) => void;
  className?: string;
  "aria-label"?: string;
}) {
  return (
    <select
      id={props.id}
      aria-label={props["aria-label"]}
      className={props.className ?? "input"}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value as T)}
    >
      {props.options.map((o) => (
        <option key={o} value={o}>
          {o}
        </option>
      ))}
    </select>
  );
}

/** One labelled fact in the row of panels at the top of a detail page. */
export function Fact(props: { label: string; children: React.ReactNode }) {
  return (
    <div className="panel min-w-0 px-3 py-2">
      <dt className="text-[11px] font-medium text-zinc-500 uppercase dark:text-zinc-400">{props.label}</dt>
      <dd className="mt-0.5 truncate">{props.children}</dd>
    </div>
  );
}
