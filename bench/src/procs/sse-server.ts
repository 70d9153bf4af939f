/**
 * B6's server: the dashboard's tRPC router (packages/api, the same procedures and live event hub the Next
 * route serves) in a plain node http server on loopback, so that its RSS is its own.
 * Usage: sse-server.ts <redisUrl> <townName>. Prints "ready <port>".
 */
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import { appRouter, createContext } from "@tinytown/api";
import { townOnRedis } from "@tinytown/core";

const [url, name] = process.argv.slice(2) as [string, string];
// B6 opens up to 5,000 streams from one client (this process, one address): lift the per-client cap.
const town = await townOnRedis({ name, url, config: { web: { maxStreamsPerClient: 10_000 } } });
const server = createHTTPServer({
  router: appRouter,
  basePath: "/api/trpc/",
  createContext: ({ req }) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    return createContext({ headers, town });
  },
});
server.listen(0, "127.0.0.1", () => {
  const a = server.address();
  console.log(`ready ${typeof a === "object" && a ? a.port : 0}`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close();
  void town.close().finally(() => process.exit(0));
});
