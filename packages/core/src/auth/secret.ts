import { createHash, randomBytes } from "node:crypto";

/** A fresh random secret, URL-safe (256 bits). */
export const newSecret = () => randomBytes(32).toString("base64url");

/** What Redis keeps instead of a session id or a token: its SHA-256, hex. A leaked dump grants nothing. */
export const digest = (secret: string) => createHash("sha256").update(secret).digest("hex");
