// Server-only: how this server is reached decides whether sign-in is required before any user exists.
import { isLoopbackHost } from "@tinytown/core";

import { env } from "../env";

/** The server listens beyond loopback (HOSTNAME is not 127.0.0.1 / ::1 / localhost). */
export const exposed: boolean = !isLoopbackHost(env.HOSTNAME);
