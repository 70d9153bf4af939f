// Shared flat config: type-aware, because floating promises in async runner code are real bugs.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** @param {string} tsconfigRootDir */
export function config(tsconfigRootDir) {
  return tseslint.config(
    {
      ignores: [
        "dist/**",
        ".next/**",
        "node_modules/**",
        "**/*.config.*",
        "bin/**",
        "build.mjs",
        "next-env.d.ts",
        "test/fixtures/**",
      ],
    },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
      languageOptions: { parserOptions: { projectService: true, tsconfigRootDir } },
      rules: {
        "@typescript-eslint/no-floating-promises": "error",
        "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
        "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        "@typescript-eslint/consistent-type-imports": ["warn", { fixStyle: "inline-type-imports" }],
        "@typescript-eslint/require-await": "off",
        // Terminal output code matches control characters on purpose (to make them visible).
        "no-control-regex": "off",
        "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      },
    },
  );
}
