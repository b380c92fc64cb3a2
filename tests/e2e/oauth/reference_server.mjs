// Reference OAuth-protected MCP server (resource server) in Node, used ONLY to
// prove the harness; mcpxd must behave the same way (see README.md here).
//
// Usage: node reference_server.mjs --issuer URL (--jwks-file PATH | --jwks-uri URL |
//                                  --introspection-uri URL --client-id ID)
//                                  [--host 127.0.0.1] [--port 0] [--resource URI]
//   --resource  canonical resource URI (default http://HOST:PORT/mcp, the MCP
//               endpoint itself); tokens must carry it in `aud`.
//   --introspection-uri, --client-id  opaque tokens (any token that is not a
//               JWT) are introspected there (RFC 7662), with HTTP Basic client
//               credentials: the id, and the secret from the environment
//               variable MCPX_AUTH_CLIENT_SECRET (never on the command line).
//               Answers are cached by the token's SHA-256 for 60 s at most
//               (never past "exp"); a failed call is not cached (503). JWTs
//               still need --jwks-file or --jwks-uri, else they are refused.
//   --break X   harness self-test only (run.sh --self-test): leave out one
//               check, so the client must fail. X: aud, iss, time, typ,
//               signature, scopes, session-binding, active (an inactive
//               introspected token accepted). Repeatable.
// Prints "listening on http://HOST:PORT/mcp" on stderr when ready.
//
// Built from the official TypeScript SDKs: the 2025-11-25 wire is the v1 SDK's
// McpServer + one StreamableHTTPServerTransport per session (bound to the
// principal that opened it); the sessionless 2026-07-28 wire is the v2
// server's createMcpHandler (legacy: 'reject'), chosen per request with its
// isLegacyRequest. Authentication and per-tool scopes are checked in front of
// both, on the HTTP request. Tokens are RFC 9068 JWTs checked with jose
// against the authorization server's keys, or opaque tokens introspected at
// the authorization server. Tools:
//   echo        {text} -> text           needs scope mcp:tools
//   admin_only  {}     -> "admin ok for <sub>"  needs scope mcp:admin
import { randomUUID, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { load, parseArgs, TOOL_SCOPES, ALL_SCOPES } from './common.mjs';

const sdkRoot = new URL('../../../tools/npm/node_modules/@modelcontextprotocol/sdk/dist/esm/', import.meta.url);
const { McpServer } = await import(new URL('server/mcp.js', sdkRoot));
const { StreamableHTTPServerTransport } = await import(new URL('server/streamableHttp.js', sdkRoot));
const { getOAuthProtectedResourceMetadataUrl } = await import(new URL('server/auth/router.js', sdkRoot));
const { isInitializeRequest } = await import(new URL('types.js', sdkRoot));
const v2 = await import(new URL('../../../tools/npm/node_modules/@modelcontextprotocol/server/dist/index.mjs', import.meta.url));
const { default: express } = await load('express');
const jose = await load('jose');
const { z } = await load('zod');

const args = parseArgs(process.argv.slice(2), { multi: ['break'] });
const BROKEN = new Set(args.break ?? []);
const ISSUER = args.issuer;
const INTROSPECTION_URI = args['introspection-uri'];
const CLIENT_ID = args['client-id'];
const CLIENT_SECRET = process.env.MCPX_AUTH_CLIENT_SECRET;
if (!ISSUER || !(args['jwks-file'] || args['jwks-uri'] || INTROSPECTION_URI)
    || (INTROSPECTION_URI && !(CLIENT_ID && CLIENT_SECRET))) {
  console.error('usage: node reference_server.mjs --issuer URL (--jwks-file PATH | --jwks-uri URL | '
    + '--introspection-uri URL --client-id ID, secret in MCPX_AUTH_CLIENT_SECRET) [--host H] [--port P] [--resource URI]');
  process.exit(2);
}
const HOST = args.host ?? '127.0.0.1';
// Asymmetric algorithms only: never HS* (key confusion) nor "none".
const ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519'];
const keys = args['jwks-file'] ? jose.createLocalJWKSet(JSON.parse(readFileSync(args['jwks-file'], 'utf8')))
  : args['jwks-uri'] ? jose.createRemoteJWKSet(new URL(args['jwks-uri'])) : null;

const app = express();
const http = app.listen(Number(args.port ?? 0), HOST);
await new Promise((resolve, reject) => {
  http.once('listening', resolve);
  http.once('error', reject);
});
const { port } = http.address();
const RESOURCE = args.resource ?? `http://${HOST}:${port}/mcp`;
const MCP_PATH = new URL(RESOURCE).pathname || '/';
const PRM_URL = getOAuthProtectedResourceMetadataUrl(new URL(RESOURCE));
const PRM_PATH = new URL(PRM_URL).pathname;

// RFC 9728 protected resource metadata.
app.get(PRM_PATH, (_req, res) => {
  res.json({
    resource: RESOURCE,
    authorization_servers: [ISSUER],
    scopes_supported: ALL_SCOPES,
    bearer_methods_supported: ['header'],
    resource_name: 'mcpx OAuth reference server',
  });
});

// RFC 6750 §3 challenge; resource_metadata per RFC 9728 §5.1.
function challenge(res, status, params) {
  const all = { resource_metadata: PRM_URL, ...params };
  const header = 'Bearer ' + Object.entries(all)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${String(v).replace(/["\\]/g, '')}"`)
    .join(', ');
  res.set('WWW-Authenticate', header);
  res.status(status).json({ error: params.error ?? 'unauthorized', error_description: params.error_description });
}

// A token refused with an error code for error_description.
class Refused extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

const looksLikeJwt = (token) => {
  try {
    return token.split('.').length === 3 && !!jose.decodeProtectedHeader(token);
  } catch {
    return false;
  }
};

async function verifyJwt(token) {
  if (!keys) throw new Refused('no keys configured for JWTs');
  const options = {
    issuer: ISSUER,
    audience: RESOURCE,
    typ: 'at+jwt', // RFC 9068 §4 (jose also accepts application/at+jwt)
    algorithms: ALGS,
    requiredClaims: ['exp', 'iat', 'sub'],
    clockTolerance: 30,
  };
  if (BROKEN.has('aud')) delete options.audience;
  if (BROKEN.has('iss')) delete options.issuer;
  if (BROKEN.has('typ')) delete options.typ;
  if (BROKEN.has('time')) {
    options.clockTolerance = 10 ** 9;
    options.requiredClaims = ['sub'];
  }
  return BROKEN.has('signature') ? jose.decodeJwt(token) : (await jose.jwtVerify(token, keys, options)).payload;
}

// RFC 7662 introspection, cached by SHA-256 of the token: accepted answers
// until min(exp, now + 60 s), refusals for 60 s; failures never.
const INTROSPECTION_TTL_S = 60;
const introspected = new Map(); // sha256 -> { until, payload } | { until, refused }
const nowS = () => Math.floor(Date.now() / 1000);

class Unavailable extends Error {}

async function verifyOpaque(token) {
  if (!INTROSPECTION_URI) throw new Refused('opaque tokens are not accepted');
  const key = createHash('sha256').update(token).digest('base64url');
  const hit = introspected.get(key);
  if (hit && hit.until > nowS()) {
    if (hit.refused) throw new Refused(hit.refused);
    return hit.payload;
  }
  introspected.delete(key);
  let res;
  let doc;
  try {
    res = await fetch(INTROSPECTION_URI, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
      signal: AbortSignal.timeout(5000),
    });
    doc = res.status === 200 ? await res.json() : null;
  } catch (e) {
    throw new Unavailable(`introspection failed: ${e.message}`);
  }
  if (res.status !== 200 || typeof doc?.active !== 'boolean') {
    throw new Unavailable(`introspection answered ${res.status}`);
  }
  const remember = (entry) => {
    if (introspected.size >= 10000) introspected.clear();
    introspected.set(key, entry);
  };
  const now = nowS();
  try {
    if (!doc.active && BROKEN.has('active')) {
      doc = { active: true, iss: ISSUER, aud: RESOURCE, sub: 'anonymous', scope: ALL_SCOPES.join(' ') };
    }
    if (!doc.active) throw new Refused('token is not active');
    if (doc.iss !== ISSUER && !BROKEN.has('iss')) throw new Refused('wrong issuer');
    const aud = Array.isArray(doc.aud) ? doc.aud : [doc.aud];
    if (!aud.includes(RESOURCE) && !BROKEN.has('aud')) throw new Refused('token not issued for this resource');
    if (!BROKEN.has('time')) {
      if (typeof doc.exp === 'number' && doc.exp + 30 <= now) throw new Refused('token expired');
      if (typeof doc.nbf === 'number' && doc.nbf - 30 > now) throw new Refused('token not yet valid');
    }
  } catch (e) {
    remember({ until: now + INTROSPECTION_TTL_S, refused: e.code });
    throw e;
  }
  const until = Math.min(now + INTROSPECTION_TTL_S, typeof doc.exp === 'number' ? doc.exp : Infinity);
  if (until > now) remember({ until, payload: doc });
  return doc;
}

async function authenticate(req, res, next) {
  const h = req.headers.authorization;
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(h ?? '');
  if (!h || !/^Bearer(\s|$)/i.test(h)) {
    // No bearer credentials: no error code (RFC 6750 §3.1), a scope hint.
    return challenge(res, 401, { scope: TOOL_SCOPES.echo });
  }
  if (!m) return challenge(res, 401, { error: 'invalid_token', error_description: 'malformed bearer token' });
  try {
    // A JWT is checked locally; any other token is introspected when an
    // introspection endpoint is configured (without one, jose refuses it).
    const payload = INTROSPECTION_URI && !looksLikeJwt(m[1]) ? await verifyOpaque(m[1]) : await verifyJwt(m[1]);
    req.auth = {
      token: m[1],
      clientId: payload.client_id,
      scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
      expiresAt: payload.exp,
      resource: new URL(RESOURCE),
      extra: { sub: payload.sub, iss: payload.iss },
    };
    req.principal = JSON.stringify([payload.iss, payload.sub]);
    next();
  } catch (e) {
    if (e instanceof Unavailable) {
      // The authorization server could not be asked: nothing is known about
      // the token, so no invalid_token (the client would drop a good token).
      console.error(`[reference_server] ${e.message}`);
      res.set('Retry-After', '5');
      return res.status(503).json({ error: 'temporarily_unavailable' });
    }
    return challenge(res, 401, { error: 'invalid_token', error_description: e.code ?? 'invalid token' });
  }
}

// Per-tool scopes, checked before the message reaches the MCP layer.
function requireToolScopes(req, res, next) {
  const messages = Array.isArray(req.body) ? req.body : [req.body];
  const required = new Set();
  for (const msg of messages) {
    if (msg?.method === 'tools/call') {
      const need = TOOL_SCOPES[msg.params?.name];
      if (need) required.add(need);
    }
  }
  const missing = [...required].filter((s) => !req.auth.scopes.includes(s));
  if (missing.length === 0 || BROKEN.has('scopes')) return next();
  // The scopes this operation needs plus the ones already granted (2025-11-25
  // "recommended approach"), so a client that re-requests exactly this set
  // keeps what it had.
  const scope = [...new Set([...req.auth.scopes.filter((s) => ALL_SCOPES.includes(s)), ...required])].join(' ');
  return challenge(res, 403, {
    error: 'insufficient_scope',
    scope,
    error_description: `requires ${missing.join(' ')}`,
  });
}

// Tools a principal may not call are not listed: admin_only is enabled
// only while the request's token has its scope (setAdmin, per request).
function newMcpServer(scopes = []) {
  const server = new McpServer({ name: 'mcpx-oauth-reference', version: '1.0.0' });
  server.registerTool('echo', {
    description: `Echoes text (needs ${TOOL_SCOPES.echo})`,
    inputSchema: { text: z.string() },
  }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  const admin = server.registerTool('admin_only', {
    description: `Admin check (needs ${TOOL_SCOPES.admin_only})`,
    inputSchema: {},
  }, async (_args, extra) => ({ content: [{ type: 'text', text: `admin ok for ${extra.authInfo?.extra?.sub}` }] }));
  const setAdmin = (granted) => {
    if (granted.includes(TOOL_SCOPES.admin_only) !== admin.enabled) {
      if (admin.enabled) admin.disable(); else admin.enable();
    }
  };
  setAdmin(scopes);
  server.setAdmin = setAdmin;
  return server;
}

// The 2026-07-28 leg: one McpServer per request, same tools.
function newModernServer(ctx) {
  const server = new v2.McpServer({ name: 'mcpx-oauth-reference', version: '1.0.0' });
  server.registerTool('echo', {
    description: `Echoes text (needs ${TOOL_SCOPES.echo})`,
    inputSchema: z.object({ text: z.string() }),
  }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  if ((ctx.authInfo?.scopes ?? []).includes(TOOL_SCOPES.admin_only)) {
    server.registerTool('admin_only', {
      description: `Admin check (needs ${TOOL_SCOPES.admin_only})`,
      inputSchema: z.object({}),
    }, async () => ({ content: [{ type: 'text', text: `admin ok for ${ctx.authInfo?.extra?.sub}` }] }));
  }
  return server;
}
const modern = v2.createMcpHandler(newModernServer, { legacy: 'reject' });

function webRequest(req) {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  }
  const hasBody = req.method === 'POST' && req.body !== undefined;
  return new Request(`http://${req.headers.host}${req.originalUrl}`, {
    method: req.method,
    headers,
    body: hasBody ? JSON.stringify(req.body) : undefined,
  });
}

async function sendWeb(res, response) {
  res.status(response.status);
  response.headers.forEach((v, k) => res.setHeader(k, v));
  if (!response.body) return res.end();
  res.flushHeaders();
  for await (const chunk of response.body) res.write(chunk);
  res.end();
}

const sessions = new Map(); // id -> { transport, principal }

function sessionNotFound(res) {
  res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
}

async function mcp(req, res) {
  if (req.method === 'POST') {
    const request = webRequest(req);
    if (!(await v2.isLegacyRequest(request, req.body))) {
      return sendWeb(res, await modern.fetch(request, { authInfo: req.auth, parsedBody: req.body }));
    }
  }
  const sid = req.headers['mcp-session-id'];
  if (sid !== undefined) {
    const s = sessions.get(sid);
    // Another principal's session answers exactly like an unknown one.
    if (!s || (s.principal !== req.principal && !BROKEN.has('session-binding'))) return sessionNotFound(res);
    s.server.setAdmin(req.auth?.scopes ?? []);
    return s.transport.handleRequest(req, res, req.body);
  }
  if (req.method === 'POST' && isInitializeRequest(req.body)) {
    const principal = req.principal;
    const server = newMcpServer(req.auth?.scopes ?? []);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => sessions.set(id, { transport, principal, server }),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return transport.handleRequest(req, res, req.body);
  }
  res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: No valid session ID provided' }, id: null });
}

const wrap = (fn) => (req, res, next) => Promise.resolve(fn(req, res, next)).catch(next);
app.post(MCP_PATH, wrap(authenticate), express.json(), requireToolScopes, wrap(mcp));
app.get(MCP_PATH, wrap(authenticate), wrap(mcp));
app.delete(MCP_PATH, wrap(authenticate), wrap(mcp));
app.use((err, _req, res, _next) => {
  if (err.type === 'entity.parse.failed') {
    res.status(400).json({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
    return;
  }
  console.error('[reference_server]', err);
  if (!res.headersSent) res.status(500).json({ error: 'server_error' });
});

console.error(`listening on http://${HOST}:${port}${MCP_PATH}`);

function shutdown() {
  for (const { transport } of sessions.values()) transport.close().catch(() => {});
  http.closeAllConnections?.();
  http.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
