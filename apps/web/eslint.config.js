import { config } from "@tinytown/eslint-config";
import { nextConfig } from "@tinytown/eslint-config/next";

export default [
  // server.mjs and launch.mjs are small plain-JS entry points (the server itself is src/server/main.ts).
  { ignores: ["server.mjs", "launch.mjs"] },
  ...config(import.meta.dirname),
  ...nextConfig,
  {
    // Client code reaches core only through its browser-safe entry: `@tinytown/core` itself pulls in Redis.
    files: ["src/components/**", "src/lib/**", "src/trpc/react.tsx", "src/trpc/query-client.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "@tinytown/core", message: "Import from @tinytown/core/schema in client code." }] },
      ],
    },
  },
];
