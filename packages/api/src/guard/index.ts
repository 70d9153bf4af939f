/**
 * What every HTTP entry applies before a request reaches the API, importable without the API itself (the dashboard's
 * server bundles it): how a request reached the server, body and batch limits, security headers, safe redirects.
 */
export { REACH_HEADER, installReachKey, encodeReach, reachFromHeaders } from "./reach-header";
export {
  MAX_BODY_BYTES,
  MAX_BATCH_CALLS,
  refuseRequest,
  refusalBody,
  refusalResponse,
  bufferBody,
  readNodeBody,
  RequestRefused,
  nodeHeaders,
  isJson,
  type HttpRefusal,
  type RequestHead,
} from "./limits";
export { newNonce, contentSecurityPolicy, API_CSP, SECURITY_HEADERS } from "./security-headers";
export { safeNextPath } from "./safe-next";
