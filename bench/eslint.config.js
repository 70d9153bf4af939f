import { config } from "@tinytown/eslint-config";
export default config(import.meta.dirname);
