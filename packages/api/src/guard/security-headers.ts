/**
 * Security headers for every response of every HTTP entry (pages, API, errors, static files; the MCP server too).
 * Scripts run only with the per-request nonce (Next stamps it on its own scripts when it finds the policy on the
 * request) and what they load ('strict-dynamic'); no 'unsafe-eval' outside development; no framing by anyone.
 */
import { randomBytes } from "node:crypto";

/** A fresh nonce for one response. */
export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

/** The Content-Security-Policy for the dashboard; `dev` allows what `next dev` needs (eval for stack traces, HMR). */
export function contentSecurityPolicy(nonce: string, opts: { dev?: boolean } = {}): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.dev ? " 'unsafe-eval'" : ""}`,
    // Inline style attributes (React `style`, the virtualised board) are not script: allowed.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${opts.dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** For responses that are never a page (the MCP server, JSON refusals): nothing may load or frame them. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The headers every response carries, besides its Content-Security-Policy. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
});
