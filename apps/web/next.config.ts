import type { NextConfig } from "next";

const config: NextConfig = {
  // Workspace packages export TypeScript source; Next compiles them with the app.
  transpilePackages: ["@tinytown/api", "@tinytown/core"],
  // Loaded with Node's require at runtime: ioredis and BullMQ do not survive bundling (Lua scripts, workers).
  serverExternalPackages: ["ioredis", "bullmq"],
  reactStrictMode: true,
  poweredByHeader: false,
};

export default config;
