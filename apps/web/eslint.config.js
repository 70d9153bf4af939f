import { config } from "@tinytown/eslint-config";
// No React-specific rules: eslint-plugin-react-hooks / @next/eslint-plugin-next are not installed in this workspace.
export default config(import.meta.dirname);
