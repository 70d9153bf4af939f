import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/** True when `command` would be found by spawn without a shell: an executable path, or a name on PATH. */
export function commandOnPath(command: string, path = process.env.PATH ?? ""): boolean {
  const candidates =
    isAbsolute(command) || command.includes("/")
      ? [command]
      : path
          .split(delimiter)
          .filter(Boolean)
          .map((d) => join(d, command));
  return candidates.some((c) => {
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
