// React rules: the rules of hooks and the React Compiler's checks (refs read during render, setState in effects,
// impure renders, values mutated after render…), as eslint-plugin-react-hooks recommends them, every one an error —
// except `incompatible-library`, a notice that the compiler will not memoise a component calling a library it
// knows to be incompatible (TanStack Virtual's `useVirtualizer` in the board's columns): nothing to fix there.
import reactHooks from "eslint-plugin-react-hooks";

const NOTICES = new Set(["react-hooks/incompatible-library"]);
const recommended = reactHooks.configs.flat["recommended-latest"];

/** Flat config entries for React code. */
export const reactConfig = [
  {
    name: "tinytown/react-hooks",
    files: ["**/*.{ts,tsx,js,jsx}"],
    plugins: recommended.plugins,
    rules: Object.fromEntries(
      Object.keys(recommended.rules).map((rule) => [rule, NOTICES.has(rule) ? "warn" : "error"]),
    ),
  },
];
