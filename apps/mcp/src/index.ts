export {
  createTownMcpServer,
  TOOLS,
  ToolInputs,
  SERVER_NAME,
  SERVER_VERSION,
  type PrincipalSource,
  type ToolName,
} from "./server";
export { startHttpServer, MCP_PATH, type HttpServerOptions, type RunningHttpServer } from "./http";
export { serveStdio } from "./stdio";
export { httpPrincipal, stdioAccess } from "./auth";
export { toolError } from "./errors";
export { main } from "./main";
