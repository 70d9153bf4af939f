import { config } from "@tinytown/eslint-config";

// Fixtures are deliberately misbehaving agent stand-ins (plain Node scripts), not project code.
export default [{ ignores: ["fixtures/**"] }, ...config(import.meta.dirname)];
