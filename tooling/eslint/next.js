// Next.js apps: the React rules plus @next/eslint-plugin-next's recommended and Core Web Vitals rules, as errors.
import nextPlugin from "@next/eslint-plugin-next";

import { reactConfig } from "./react.js";

const asErrors = (rules) => Object.fromEntries(Object.keys(rules).map((rule) => [rule, "error"]));

/** Flat config entries for a Next.js app; add them after the base config. */
export const nextConfig = [
  ...reactConfig,
  {
    name: "tinytown/next",
    plugins: nextPlugin.configs.recommended.plugins,
    rules: asErrors({ ...nextPlugin.configs.recommended.rules, ...nextPlugin.configs["core-web-vitals"].rules }),
  },
];
