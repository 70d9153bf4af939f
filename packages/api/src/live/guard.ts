/**
 * Live streams stay authorised while they are open, not just when they start. Every SSE subscription registers
 * here with the credentials it was opened with; when the town's event stream says a token was revoked, a user
 * removed, re-roled or signed out everywhere, or the first user was added (open access ends), the affected
 * streams are re-checked by the town's one access rule and ended — within the time the event takes to arrive.
 * Every {@link REVALIDATE_MS} all of them are re-checked anyway (a session that expired, an event missed while
 * Redis was away). Also caps the streams one client (principal and address) may hold open.
 */
import { TRPCError } from "@trpc/server";

import {
  actorOf,
  can,
  CoreError,
  isCoreError,
  resolveAccess,
  roleFor,
  type AccessRequest,
  type Action,
  type Principal,
  type Reach,
  type Town,
  type TownEvent,
} from "@tinytown/core";

import { credentials } from "../auth";
import type { Fanout } from "./fanout";
import { streamGuard } from "./hub";

export const REVALIDATE_MS = 15_000;

const AUTH_EVENTS = new Set(["token.revoked", "user.removed", "user.role", "user.signed_out", "user.added"]);

interface Watch {
  principal: Principal;
  access: AccessRequest;
  action: Action;
  client: string;
  controller: AbortController;
  /** Why the guard ended it. */
  ended: CoreError | null;
}

/** An open stream's pass: its signal aborts when the stream must end; `release` when it ends for any reason. */
export interface StreamGrant {
  signal: AbortSignal;
  /** Throws why the guard ended the stream, if it did. */
  throwIfRevoked(): void;
  release(): void;
}

/** One per town and process (see hub.ts). */
export class StreamGuard {
  private readonly watches = new Set<Watch>();
  private readonly perClient = new Map<string, number>();
  private unobserve: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly town: Town,
    private readonly events: Fanout<TownEvent>,
    private readonly opts: { maxPerClient: number; revalidateMs: number },
  ) {}

  get openStreams(): number {
    return this.watches.size;
  }

  /** Registers a stream; refuses with TOO_MANY_REQUESTS past the per-client cap. */
  open(input: {
    principal: Principal;
    access: AccessRequest;
    action: Action;
    clientIp: string;
    signal: AbortSignal;
  }): StreamGrant {
    const client = `${input.principal.kind}:${actorOf(input.principal)}@${input.clientIp}`;
    const count = this.perClient.get(client) ?? 0;
    if (count >= this.opts.maxPerClient) {
      throw new TRPCError({
        code: "TOO_MANY_REQUESTS",
        message: `${actorOf(input.principal)} already has ${count} live streams open from ${input.clientIp} (the limit is ${this.opts.maxPerClient}): close some tabs or views, or raise "web.maxStreamsPerClient" in tinytown.json`,
      });
    }
    const controller = new AbortController();
    const w: Watch = { ...input, client, controller, ended: null };
    const forward = () => controller.abort(input.signal.reason);
    if (input.signal.aborted) forward();
    else input.signal.addEventListener("abort", forward, { once: true });
    this.watches.add(w);
    this.perClient.set(client, count + 1);
    this.start();
    let released = false;
    return {
      signal: controller.signal,
      throwIfRevoked: () => {
        if (w.ended) throw w.ended;
      },
      release: () => {
        if (released) return;
        released = true;
        input.signal.removeEventListener("abort", forward);
        this.watches.delete(w);
        const n = (this.perClient.get(client) ?? 1) - 1;
        if (n > 0) this.perClient.set(client, n);
        else this.perClient.delete(client);
        if (this.watches.size === 0) this.stop();
      },
    };
  }

  /** Re-checks every open stream now (also what the periodic backstop does). */
  revalidateAll(): Promise<void> {
    return this.recheck([...this.watches]);
  }

  /** Ends every stream and stops watching (tests, shutdown). */
  close(): void {
    for (const w of this.watches) w.controller.abort();
    this.watches.clear();
    this.perClient.clear();
    this.stop();
  }

  private start(): void {
    this.unobserve ??= this.events.observe((ev) => this.onEvent(ev));
    if (!this.timer) {
      this.timer = setInterval(() => {
        this.events.wake();
        void this.revalidateAll();
      }, this.opts.revalidateMs);
      this.timer.unref();
    }
  }

  private stop(): void {
    this.unobserve?.();
    this.unobserve = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private onEvent(ev: TownEvent): void {
    if (!AUTH_EVENTS.has(ev.type)) return;
    const affected = [...this.watches].filter((w) => concerns(ev, w.principal));
    if (affected.length > 0) void this.recheck(affected);
  }

  /** One access resolution per distinct credential; each stream then ends or carries on with its current principal. */
  private async recheck(watches: Watch[]): Promise<void> {
    const groups = new Map<string, Watch[]>();
    for (const w of watches) {
      const key = JSON.stringify([w.access.bearer, w.access.sessionId, w.access.exposed, w.principal.kind]);
      groups.set(key, [...(groups.get(key) ?? []), w]);
    }
    await Promise.all(
      [...groups.values()].map(async (group) => {
        let principal: Principal | null;
        try {
          ({ principal } = await resolveAccess(this.town, group[0]!.access));
        } catch (err) {
          // A revoked token is refused outright; anything else (Redis away) decides nothing: the next pass will.
          if (!isCoreError(err, "UNAUTHORIZED")) return;
          principal = null;
        }
        for (const w of group) this.settle(w, principal);
      }),
    );
  }

  private settle(w: Watch, now: Principal | null): void {
    if (!this.watches.has(w) || w.controller.signal.aborted) return;
    if (!now) {
      return this.end(
        w,
        new CoreError(
          "UNAUTHORIZED",
          w.principal.kind === "token"
            ? `the token ${w.principal.name} was revoked: this live stream has ended`
            : w.principal.kind === "open"
              ? "this town now has users, so open access has ended: sign in"
              : `${w.principal.name} was signed out (signed out everywhere, removed, or the session expired): this live stream has ended; sign in again`,
          { reason: "revoked" },
        ),
      );
    }
    if (!can(now.role, w.action)) {
      return this.end(
        w,
        new CoreError(
          "FORBIDDEN",
          `${actorOf(now)} is now ${now.role}; this live stream needs the ${roleFor(w.action)} role and has ended`,
          { role: now.role, required: roleFor(w.action) },
        ),
      );
    }
    w.principal = now;
  }

  private end(w: Watch, why: CoreError): void {
    w.ended = why;
    w.controller.abort(why);
  }
}

/** Whether an auth event can change what `p` may do. */
function concerns(ev: TownEvent, p: Principal): boolean {
  switch (ev.type) {
    case "token.revoked":
      return p.kind === "token" && p.tokenId === ev.tokenId;
    case "user.added":
      return p.kind === "open";
    default:
      return p.kind === "user" && p.name === ev.user;
  }
}

/** What {@link openLiveStream} reads from a procedure's context. */
export interface LiveStreamContext {
  town: Town;
  headers: Headers;
  reach: Reach;
  actor: string;
  principal: Principal;
  clientIp: string;
}

/** Registers a subscription of the caller in `ctx` that needs `action`; see {@link StreamGuard.open}. */
export function openLiveStream(ctx: LiveStreamContext, action: Action, signal: AbortSignal | undefined): StreamGrant {
  return streamGuard(ctx.town).open({
    principal: ctx.principal,
    access: credentials({ headers: ctx.headers, reach: ctx.reach, displayName: ctx.actor }),
    action,
    clientIp: ctx.clientIp,
    signal: signal ?? new AbortController().signal,
  });
}
