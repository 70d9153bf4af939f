import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/** Whether `cmd` resolves to an executable on PATH (no shell involved). */
export function commandOnPath(cmd: string, path = process.env.PATH ?? ""): boolean {
  const candidates = isAbsolute(cmd) ? [cmd] : path.split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  return candidates.some((c) => {
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
