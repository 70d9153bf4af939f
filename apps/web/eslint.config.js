import { config } from "@tinytown/eslint-config";
// No React-specific rules: eslint-plugin-react-hooks / @next/eslint-plugin-next are not installed in this workspace.
// server.mjs and launch.mjs are small plain-JS entry points (the server itself is src/server/main.ts).
export default [{ ignores: ["server.mjs", "launch.mjs"] }, ...config(import.meta.dirname)];
