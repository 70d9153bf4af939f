import { config } from "@tinytown/eslint-config";

// Test fixtures are deliberately misbehaving agent stand-ins (plain Node scripts), not project code.
export default [{ ignores: ["test/fixtures/**", "build.mjs"] }, ...config(import.meta.dirname)];
