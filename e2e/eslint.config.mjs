// .mjs: this package is CommonJS (the specs use __dirname, as Playwright loads them).
import { config } from "@tinytown/eslint-config";

export default config(import.meta.dirname);
