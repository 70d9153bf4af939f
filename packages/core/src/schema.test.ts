import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { createContext, runInContext } from "node:vm";

import { build, type Plugin } from "esbuild";
import { expect, test } from "vitest";
import type * as SchemaModule from "./schema";

const ENTRY = fileURLToPath(new URL("./schema.ts", import.meta.url));
const SERVER_ONLY = /^(node:|ioredis$|ioredis\/|bullmq$|bullmq\/)/;
const builtins = new Set(builtinModules);

/** Bundles the schema entry as a browser would get it, recording every import of Node, ioredis or BullMQ. */
async function bundleForBrowser() {
  const serverImports: string[] = [];
  const record: Plugin = {
    name: "record-server-imports",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!SERVER_ONLY.test(args.path) && !builtins.has(args.path)) return undefined;
        serverImports.push(`${args.importer.replace(/.*\/src\//, "src/")} imports ${args.path}`);
        return { path: args.path, external: true };
      });
    },
  };
  const out = await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: "schema",
    write: false,
    logLevel: "silent",
    plugins: [record],
  });
  return { serverImports, code: out.outputFiles[0]!.text };
}

test("@tinytown/core/schema bundles for the browser without Node builtins, ioredis or BullMQ", async () => {
  const { serverImports } = await bundleForBrowser();
  expect(serverImports).toEqual([]);
});

test("its schemas run where only browser globals exist (no Buffer, no process)", async () => {
  const { code } = await bundleForBrowser();
  const sandbox = createContext({ TextEncoder });
  runInContext(`${code}\nglobalThis.schema = schema;`, sandbox);
  const s = (sandbox as { schema: typeof SchemaModule }).schema;

  const over = s.TaskDescription.safeParse(`${"é".repeat(32 * 1024)}x`);
  expect(over.success).toBe(false);
  expect(over.error?.issues[0]?.message).toMatch(/is 65537 bytes; the limit is 65536/);
  expect(s.TaskDescription.safeParse("🙂".repeat(16 * 1024)).success).toBe(true);
  expect(s.SendMessageInput.safeParse({ to: "a", body: "é".repeat(32 * 1024 + 1) }).success).toBe(false);
  expect(s.canMove("failed", null, { kind: "backlog" })).toBe(true);
  expect(s.can("viewer", "task.write")).toBe(false);
  expect(s.DisplayName.safeParse("  ada ").data).toBe("ada");
  expect(s.ActivityEvent.safeParse({ kind: "text", text: "x".repeat(s.ACTIVITY_LIMITS.text + 1) }).success).toBe(false);
  expect(s.checkBudget({ task: 1, agentDay: null, townDay: null }, { task: 1, agentDay: 0, townDay: 0 }).ok).toBe(
    false,
  );
  expect(s.dayKey(Date.UTC(2026, 0, 1, 23), "Asia/Tokyo")).toBe("2026-01-02");
  expect(s.findPrice(s.DEFAULT_PRICING, ["gpt-5.4"])?.key).toBe("gpt-5.4");
});
