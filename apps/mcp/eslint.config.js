import { config } from "@tinytown/eslint-config";

export default [{ ignores: ["build.mjs", "bin/**"] }, ...config(import.meta.dirname)];
