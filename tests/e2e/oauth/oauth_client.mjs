// OAuth end-to-end client: drives an OAuth-protected MCP server (mcpxd, or
// reference_server.mjs) against the real authorization server started by
// auth_server.mjs, with the official TypeScript SDK clients (v1 and v2) for
// the happy paths and raw fetch for the negative cases. Prints one line per
// check and "N passed, M failed"; exits 0 only when every check passed, 1 on a
// failed check, 2 on bad usage, 3 on the global timeout.
//
// Usage: node oauth_client.mjs --mcp http://127.0.0.1:PORT/mcp --as-info FILE
//                              [--timeout 60] [--trace] [--strict-typ]
//   --mcp      the MCP endpoint; it is also the canonical resource URI the
//              tokens must name in `aud`
//   --as-info  a file holding the JSON line auth_server.mjs printed
//   --trace    (or MCPX_E2E_TRACE=1) log every HTTP exchange to stderr
//   --strict-typ  also require typ "JWT" to be refused (RFC 9068 §4 wants
//              at+jwt exactly; by default only another type, e.g. dpop+jwt,
//              must be refused, and typ JWT is reported, not counted)
//
// When the authorization server issues opaque access tokens (its info says
// "access_token_format": "opaque"; auth_server.mjs --opaque), the server under
// test must introspect them (RFC 7662): the JWT-forging negative cases do not
// apply and are replaced by opaque ones (unknown token, revoked token, token
// for another resource, token without a resource); the client reads a token's
// claims by introspecting it itself, with the resource server's credentials.
import { readFileSync } from 'node:fs';
import { randomUUID, randomBytes, createHmac, createPublicKey } from 'node:crypto';
import { load, parseArgs, decodeJwt, b64urlJson, TOOL_SCOPES, ALL_SCOPES } from './common.mjs';

const args = parseArgs(process.argv.slice(2));
const MCP_URL = args.mcp ?? args._[0];
const AS_INFO_FILE = args['as-info'];
const TIMEOUT_S = Number(args.timeout ?? 60);
const TRACE = !!args.trace || !!process.env.MCPX_E2E_TRACE;
const STRICT_TYP = !!args['strict-typ'];
if (!MCP_URL || !AS_INFO_FILE) {
  console.error('usage: node oauth_client.mjs --mcp URL --as-info FILE [--timeout 60] [--trace] [--strict-typ]');
  process.exit(2);
}
setTimeout(() => {
  console.log(`FAIL global timeout: not done after ${TIMEOUT_S}s`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(3);
}, TIMEOUT_S * 1000).unref();

const AS = JSON.parse(readFileSync(AS_INFO_FILE, 'utf8').trim().split('\n')[0]);
const ISSUER = AS.issuer;
const [CLIENT_A, CLIENT_B] = AS.clients;
const OPAQUE = AS.access_token_format === 'opaque';
const PROTOCOL = '2025-11-25';

const sdkRoot = new URL('../../../tools/npm/node_modules/@modelcontextprotocol/sdk/dist/esm/', import.meta.url);
const v1 = {
  ...(await import(new URL('client/index.js', sdkRoot))),
  ...(await import(new URL('client/streamableHttp.js', sdkRoot))),
  ...(await import(new URL('client/auth.js', sdkRoot))),
  ...(await import(new URL('client/auth-extensions.js', sdkRoot))),
};
const v2 = await import(new URL('../../../tools/npm/node_modules/@modelcontextprotocol/client/dist/index.mjs', import.meta.url));
const jose = await load('jose');

let passed = 0;
let failed = 0;
// Anything thrown outside a check ends the run as a failure, with the count.
function crash(e) {
  console.log(`FAIL unexpected error: ${e?.stack ?? e}`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
function check(cond, what, detail = '') {
  if (cond) {
    passed++;
    console.log(`ok   ${what}`);
  } else {
    failed++;
    console.log(`FAIL ${what}${detail ? `: ${detail}` : ''}`);
  }
  return cond;
}
function describe(e) {
  if (!e) return String(e);
  const parts = [`${e.name ?? 'Error'}: ${e.message}`];
  if (e.code !== undefined) parts.push(`code=${JSON.stringify(e.code)}`);
  if (e.cause) parts.push(`cause=${e.cause?.message ?? e.cause}`);
  return parts.join(' ');
}
// One check whose body may throw: a throw is a failure with the error.
async function step(what, fn) {
  try {
    const [cond, detail] = await fn();
    return check(cond, what, detail);
  } catch (e) {
    return check(false, what, describe(e));
  }
}
const trace = (...parts) => TRACE && console.error('[trace]', ...parts);

// A fetch that records (and optionally traces) every exchange.
function recordingFetch(label, log) {
  return async (url, init) => {
    const body = typeof init?.body === 'string' ? init.body : init?.body instanceof URLSearchParams ? init.body.toString() : '';
    const res = await fetch(url, init);
    log.push({ url: String(url), method: init?.method ?? 'GET', body, status: res.status, www: res.headers.get('www-authenticate') });
    trace(label, `${init?.method ?? 'GET'} ${url} ${body.slice(0, 300)} -> ${res.status} ${res.headers.get('www-authenticate') ?? ''}`);
    return res;
  };
}

// ---------------------------------------------------------------- raw HTTP

// RFC 6750 / RFC 9110 challenge parameters of the Bearer challenge.
function parseChallenge(header) {
  if (!header) return null;
  const m = /^\s*Bearer(?:\s+(.*))?$/is.exec(header);
  if (!m) return null;
  const params = {};
  const re = /([A-Za-z0-9_\-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  let p;
  while ((p = re.exec(m[1] ?? ''))) params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  return params;
}

async function readBody(res) {
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  if (type.includes('text/event-stream')) {
    const msgs = text.split('\n').filter((l) => l.startsWith('data:')).map((l) => {
      try {
        return JSON.parse(l.slice(5));
      } catch {
        return null;
      }
    }).filter(Boolean);
    return msgs.find((x) => 'result' in x || 'error' in x) ?? msgs[0] ?? null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text || null;
  }
}

let nextId = 1;
// One HTTP request to the MCP endpoint. `msg`: a JSON-RPC message (POST) or
// null (GET/DELETE).
async function mcp({ token, sid, msg, method = 'POST', headers = {}, url = MCP_URL, modern = false }) {
  const h = { accept: 'application/json, text/event-stream' };
  if (modern && msg) {
    h['mcp-protocol-version'] = MODERN;
    h['mcp-method'] = msg.method;
    if (msg.params?.name) h['mcp-name'] = msg.params.name;
  }
  Object.assign(h, headers);
  if (token !== undefined) h.authorization = `Bearer ${token}`;
  if (sid) {
    h['mcp-session-id'] = sid;
    h['mcp-protocol-version'] = PROTOCOL;
  }
  if (msg) h['content-type'] = 'application/json';
  const ctl = new AbortController();
  const res = await fetch(url, { method, headers: h, body: msg ? JSON.stringify(msg) : undefined, signal: ctl.signal });
  const out = {
    status: res.status,
    www: res.headers.get('www-authenticate'),
    challenge: parseChallenge(res.headers.get('www-authenticate')),
    sid: res.headers.get('mcp-session-id'),
  };
  if (method === 'GET' && res.status === 200) {
    ctl.abort(); // an open SSE stream: the status is all we want
    out.body = null;
  } else {
    out.body = await readBody(res).catch(() => null);
  }
  trace('raw', `${method} ${url} sid=${sid ?? '-'} ${msg ? JSON.stringify(msg).slice(0, 120) : ''} -> ${out.status} ${out.www ?? ''}`);
  return out;
}
const initializeMsg = () => ({
  jsonrpc: '2.0', id: nextId++, method: 'initialize',
  params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'oauth-e2e-raw', version: '1.0.0' } },
});
const initializedMsg = () => ({ jsonrpc: '2.0', method: 'notifications/initialized' });
const listToolsMsg = () => ({ jsonrpc: '2.0', id: nextId++, method: 'tools/list', params: {} });
const callMsg = (name, a = {}) => ({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: a } });
// 2026-07-28: no session; every request carries its _meta envelope and the
// mirrored headers (MCP-Protocol-Version, Mcp-Method, Mcp-Name).
const MODERN = '2026-07-28';
const META = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'oauth-e2e-raw', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const modernCall = (name, a = {}) => ({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: a, _meta: META } });
const modernDiscover = () => ({ jsonrpc: '2.0', id: nextId++, method: 'server/discover', params: { _meta: META } });

// A 2025-11-25 session opened with `token`; returns its id (or throws).
async function openSession(token) {
  const r = await mcp({ token, msg: initializeMsg() });
  if (r.status !== 200 || !r.sid) throw new Error(`initialize -> ${r.status} sid=${r.sid} ${JSON.stringify(r.body)} ${r.www ?? ''}`);
  const n = await mcp({ token, sid: r.sid, msg: initializedMsg() });
  if (n.status !== 202) throw new Error(`notifications/initialized -> ${n.status}`);
  return r.sid;
}

// A form POST to the authorization server with client_secret_basic.
function asPost(url, client, form) {
  return fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: form,
  });
}

// A token straight from the authorization server (client_credentials).
async function ccToken(client, { scope, resource = MCP_URL } = {}) {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scope) form.set('scope', scope);
  if (resource) form.set('resource', resource);
  const res = await asPost(AS.token_endpoint, client, form);
  const json = await res.json();
  if (!res.ok) throw new Error(`token endpoint ${res.status}: ${JSON.stringify(json)}`);
  return json.access_token;
}

// What a token says: a JWT's payload, or (opaque mode) the authorization
// server's introspection answer, asked with the resource server's credentials.
async function tokenClaims(token) {
  if (!OPAQUE) return decodeJwt(token).payload;
  const res = await asPost(AS.introspection_endpoint, AS.introspection_client,
    new URLSearchParams({ token, token_type_hint: 'access_token' }));
  const doc = await res.json();
  if (res.status !== 200 || doc.active !== true) throw new Error(`introspection ${res.status}: ${JSON.stringify(doc)}`);
  return doc;
}

// Opaque mode: a fresh token of `client`, revoked at once (RFC 7009), never
// shown to the server before (a server may cache a token's answer for a while).
async function revokedToken(client, { scope = 'mcp:tools' } = {}) {
  const token = await ccToken(client, { scope });
  const res = await asPost(AS.revocation_endpoint, client, new URLSearchParams({ token, token_type_hint: 'access_token' }));
  if (res.status !== 200) throw new Error(`revocation endpoint ${res.status}: ${await res.text()}`);
  return token;
}
const unknownOpaque = () => randomBytes(32).toString('base64url');

// Each [what, make] of `tokens`: initialize with make()'s token gets 401 invalid_token.
async function expectInvalid(tokens) {
  for (const [what, make] of tokens) {
    try {
      const token = await make();
      expect401(await mcp({ token, msg: initializeMsg() }), `invalid token -> 401 invalid_token: ${what}`);
    } catch (e) {
      check(false, `invalid token -> 401 invalid_token: ${what}`, describe(e));
    }
  }
}

function expect401(r, what) {
  const c = r.challenge;
  return check(r.status === 401 && c && c.resource_metadata && c.error === 'invalid_token', what,
    `status=${r.status} WWW-Authenticate=${r.www}`);
}

// ------------------------------------------------------------ SDK helpers

// An in-memory OAuthClientProvider for the authorization code flow with
// PKCE and dynamic client registration; redirectToAuthorization "is the
// browser": it follows the authorization server's redirects (keeping its
// cookies) through the auto-consenting interaction until the redirect to
// redirectUrl, whose query it keeps in `callback`.
class AutoBrowserProvider {
  constructor(label) {
    this.label = label;
    this._redirect = `http://127.0.0.1:9/callback/${label}`; // never fetched
    this.callback = undefined;
    this._state = randomUUID();
  }
  get redirectUrl() { return this._redirect; }
  get clientMetadata() {
    return {
      client_name: `mcpx oauth e2e ${this.label}`,
      redirect_uris: [this._redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() { return this._state; }
  clientInformation() { return this._client; }
  saveClientInformation(info) { this._client = info; }
  tokens() { return this._tokens; }
  saveTokens(t) { this._tokens = t; }
  saveCodeVerifier(v) { this._verifier = v; }
  codeVerifier() { return this._verifier; }
  discoveryState() { return this._discovery; }
  saveDiscoveryState(s) { this._discovery = s; }
  async redirectToAuthorization(url) {
    this.authorizationUrl = new URL(url);
    const jar = new Map();
    let next = new URL(url);
    for (let hop = 0; hop < 20; hop++) {
      if (next.href.startsWith(this._redirect)) {
        this.callback = next.searchParams;
        return;
      }
      const res = await fetch(next, {
        redirect: 'manual',
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const c of res.headers.getSetCookie()) {
        const nv = c.split(';')[0];
        const i = nv.indexOf('=');
        const name = nv.slice(0, i).trim();
        const value = nv.slice(i + 1);
        if (!value || /expires=Thu, 01 Jan 1970/i.test(c) || /max-age=0/i.test(c)) jar.delete(name);
        else jar.set(name, value);
      }
      const loc = res.headers.get('location');
      const text = await res.text();
      trace(`browser/${this.label}`, `GET ${next} -> ${res.status} ${loc ?? ''}`);
      if (res.status < 300 || res.status >= 400 || !loc) {
        throw new Error(`authorization stopped at ${next.pathname} with ${res.status}: ${text.slice(0, 300)}`);
      }
      next = new URL(loc, next);
    }
    throw new Error('too many redirects during authorization');
  }
}

const tokenRequests = (log) => log.filter((e) => e.url === AS.token_endpoint);
const formOf = (e) => new URLSearchParams(e.body);

async function sdkExercise(label, client, provider, log, { expectAdmin }) {
  // A principal sees in lists only what it may call (issue 10): admin_only
  // is listed exactly when the token in use carries its scope.
  await step(`${label} tools/list`, async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    const token = provider.tokens()?.access_token;
    const scopes = token ? ((await tokenClaims(token)).scope ?? '').split(' ') : [];
    const admin = scopes.includes(TOOL_SCOPES.admin_only);
    return [names.includes('echo') && names.includes('admin_only') === admin, `${JSON.stringify(names)} admin=${admin}`];
  });
  await step(`${label} tools/call echo`, async () => {
    const r = await client.callTool({ name: 'echo', arguments: { text: `hi ${label}` } });
    return [r.content?.[0]?.text === `hi ${label}` && !r.isError, JSON.stringify(r)];
  });
  const claims = provider.tokens()?.access_token ? await tokenClaims(provider.tokens().access_token).catch(() => ({})) : {};
  if (OPAQUE) {
    check(!!provider.tokens()?.access_token && provider.tokens().access_token.split('.').length !== 3,
      `${label} the access token is opaque (not a JWT)`);
  }
  check(claims.aud === MCP_URL || (Array.isArray(claims.aud) && claims.aud.includes(MCP_URL)),
    `${label} token aud is the resource URI`, JSON.stringify(claims.aud));
  check(claims.iss === ISSUER, `${label} token iss is the issuer`, claims.iss);
  const reqs = tokenRequests(log);
  check(reqs.length > 0 && reqs.every((e) => formOf(e).get('resource') === MCP_URL),
    `${label} every token request carried resource=${MCP_URL} (RFC 8707)`, JSON.stringify(reqs.map((e) => e.body)));
  const first401 = log.find((e) => e.url === MCP_URL && e.status === 401);
  check(!!first401 && !!parseChallenge(first401.www)?.resource_metadata,
    `${label} discovery started from a 401 with resource_metadata`, first401?.www ?? 'no 401 seen');
  check(log.some((e) => e.url === parseChallenge(first401?.www)?.resource_metadata && e.status === 200),
    `${label} fetched the protected resource metadata`);
  if (expectAdmin === undefined) return;
  const before = tokenRequests(log).length;
  const hadAdmin = (claims.scope ?? '').split(' ').includes(TOOL_SCOPES.admin_only);
  let result;
  let error;
  try {
    result = await client.callTool({ name: 'admin_only', arguments: {} });
  } catch (e) {
    error = e;
  }
  const saw403 = log.some((e) => e.url === MCP_URL && e.status === 403 && parseChallenge(e.www)?.error === 'insufficient_scope');
  if (expectAdmin) {
    check(result?.content?.[0]?.text?.startsWith('admin ok') && !result.isError, `${label} tools/call admin_only (step-up)`,
      error ? describe(error) : JSON.stringify(result));
    if (!hadAdmin) {
      check(saw403 && tokenRequests(log).length > before, `${label} step-up: 403 insufficient_scope, then a new token`,
        `403 seen=${saw403} token requests ${before}->${tokenRequests(log).length}`);
    }
    await step(`${label} tools/call echo after step-up`, async () => {
      const r = await client.callTool({ name: 'echo', arguments: { text: 'again' } });
      return [r.content?.[0]?.text === 'again', JSON.stringify(r)];
    });
  } else {
    check(!!error || result?.isError, `${label} tools/call admin_only refused (client may not get ${TOOL_SCOPES.admin_only})`,
      JSON.stringify(result));
    check(saw403, `${label} admin_only answered 403 insufficient_scope`);
  }
}

// v1's ClientCredentialsProvider asks for its configured `scope` only (its
// fetchToken uses clientMetadata.scope, not the WWW-Authenticate scope), so it
// cannot step up: it is given the scopes it needs up front.
async function v1ClientCredentials(clientInfo, label, expectAdmin) {
  const log = [];
  const provider = new v1.ClientCredentialsProvider({
    clientId: clientInfo.id, clientSecret: clientInfo.secret, expectedIssuer: ISSUER, scope: clientInfo.scope,
  });
  const transport = new v1.StreamableHTTPClientTransport(new URL(MCP_URL), { authProvider: provider, fetch: recordingFetch(label, log) });
  const client = new v1.Client({ name: `oauth-e2e-${label}`, version: '1.0.0' });
  if (!(await step(`${label} connect (401 -> discovery -> token -> initialize)`, async () => {
    await client.connect(transport);
    return [true];
  }))) return;
  await step(`${label} token sub is the client`, async () => [(await tokenClaims(provider.tokens().access_token)).sub === clientInfo.id]);
  await sdkExercise(label, client, provider, log, { expectAdmin });
  await client.close().catch(() => {});
}

async function v2ClientCredentials(clientInfo, label) {
  const log = [];
  const provider = new v2.ClientCredentialsProvider({ clientId: clientInfo.id, clientSecret: clientInfo.secret, expectedIssuer: ISSUER });
  const transport = new v2.StreamableHTTPClientTransport(new URL(MCP_URL), { authProvider: provider, fetch: recordingFetch(label, log) });
  const client = new v2.Client({ name: `oauth-e2e-${label}`, version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  if (!(await step(`${label} connect (401 -> discovery -> token -> connect)`, async () => {
    await client.connect(transport);
    return [true];
  }))) return;
  console.log(`info ${label} negotiated ${client.getNegotiatedProtocolVersion?.()} (${client.getProtocolEra?.()})`);
  await sdkExercise(label, client, provider, log, { expectAdmin: true });
  await client.close().catch(() => {});
}

async function authCodeFlow(sdk, label) {
  const log = [];
  const provider = new AutoBrowserProvider(label);
  const opts = () => ({ authProvider: provider, fetch: recordingFetch(label, log) });
  const mkClient = () => (sdk === v2
    ? new v2.Client({ name: `oauth-e2e-${label}`, version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } })
    : new v1.Client({ name: `oauth-e2e-${label}`, version: '1.0.0' }));
  const first = new sdk.StreamableHTTPClientTransport(new URL(MCP_URL), opts());
  if (!(await step(`${label} connect -> authorization redirect (DCR, PKCE S256, resource)`, async () => {
    try {
      await mkClient().connect(first);
      return [false, 'connected without authorization'];
    } catch (e) {
      if (!(e instanceof sdk.UnauthorizedError)) throw e;
    }
    const a = provider.authorizationUrl?.searchParams;
    return [!!provider.callback?.get('code') && a?.get('code_challenge_method') === 'S256' && a?.get('resource') === MCP_URL,
      `callback=${provider.callback} authorize=${provider.authorizationUrl}`];
  }))) return;
  check(provider.callback.get('iss') === ISSUER, `${label} authorization response carries iss (RFC 9207)`, provider.callback.get('iss'));
  check(provider.callback.get('state') === provider._state, `${label} state round-trips`);
  if (!(await step(`${label} finishAuth (code -> token)`, async () => {
    if (sdk === v2) await first.finishAuth(provider.callback);
    else await first.finishAuth(provider.callback.get('code'));
    return [!!provider.tokens()?.access_token];
  }))) return;
  const client = mkClient();
  const transport = new sdk.StreamableHTTPClientTransport(new URL(MCP_URL), opts());
  if (!(await step(`${label} connect with the user's token`, async () => {
    await client.connect(transport);
    return [true];
  }))) return;
  await step(`${label} token sub is the user`, async () => [(await tokenClaims(provider.tokens().access_token)).sub === AS.user]);
  await sdkExercise(label, client, provider, log, {});
  await client.close().catch(() => {});
}

// ------------------------------------------------------------------- run

console.log(`info MCP ${MCP_URL}, issuer ${ISSUER}, ${OPAQUE ? 'opaque access tokens (introspection)' : `alg ${AS.alg}`}`);

// 1. Discovery, by hand.
let prm;
await step('no token: POST initialize -> 401 Bearer resource_metadata=', async () => {
  const r = await mcp({ msg: initializeMsg() });
  const c = r.challenge;
  if (c?.scope) console.log(`info 401 challenge scope hint: "${c.scope}"`);
  if (c?.resource_metadata) prm = c.resource_metadata;
  return [r.status === 401 && !!c && /^https?:\/\//.test(c.resource_metadata ?? ''), `status=${r.status} WWW-Authenticate=${r.www}`];
});
const wellKnown = new URL(`/.well-known/oauth-protected-resource${new URL(MCP_URL).pathname.replace(/\/$/, '')}`, MCP_URL).href;
let prmDoc;
await step('protected resource metadata (RFC 9728) at resource_metadata', async () => {
  const res = await fetch(prm);
  prmDoc = await res.json();
  const ok = res.status === 200
    && prmDoc.resource === MCP_URL
    && Array.isArray(prmDoc.authorization_servers) && prmDoc.authorization_servers.includes(ISSUER)
    && ALL_SCOPES.every((s) => prmDoc.scopes_supported?.includes(s))
    && (prmDoc.bearer_methods_supported === undefined || prmDoc.bearer_methods_supported.includes('header'));
  return [ok, `${res.status} ${JSON.stringify(prmDoc)}`];
});
await step(`protected resource metadata also at ${wellKnown}`, async () => {
  const res = await fetch(wellKnown);
  const doc = res.status === 200 ? await res.json() : null;
  return [doc?.resource === MCP_URL && doc?.authorization_servers?.includes(ISSUER), `${res.status} ${JSON.stringify(doc)}`];
});
await step('authorization server metadata (OIDC discovery) has S256 and the issuer', async () => {
  const doc = await (await fetch(`${ISSUER}/.well-known/openid-configuration`)).json();
  return [doc.issuer === ISSUER && doc.code_challenge_methods_supported?.includes('S256'), JSON.stringify(doc.code_challenge_methods_supported)];
});
for (const method of ['GET', 'DELETE']) {
  await step(`no token: ${method} -> 401 with resource_metadata`, async () => {
    const r = await mcp({ method, sid: randomUUID() });
    return [r.status === 401 && !!r.challenge?.resource_metadata, `status=${r.status} ${r.www}`];
  });
}
await step('token in the query string is ignored -> 401', async () => {
  const t = await ccToken(CLIENT_A, { scope: 'mcp:tools' });
  const r = await mcp({ msg: initializeMsg(), url: `${MCP_URL}?access_token=${t}` });
  return [r.status === 401, `status=${r.status}`];
});
await step('Basic credentials -> 401', async () => {
  const r = await mcp({ msg: initializeMsg(), headers: { authorization: `Basic ${Buffer.from(`${CLIENT_A.id}:${CLIENT_A.secret}`).toString('base64')}` } });
  return [r.status === 401 && !!r.challenge, `status=${r.status} ${r.www}`];
});

// 2. The SDK flows.
await v1ClientCredentials(CLIENT_A, 'v1/client_credentials/A', true);
await v1ClientCredentials(CLIENT_B, 'v1/client_credentials/B', false);
await authCodeFlow(v1, 'v1/authorization_code');
await v2ClientCredentials(CLIENT_A, 'v2/client_credentials/A');
await authCodeFlow(v2, 'v2/authorization_code');

// 3. Negative cases, raw. Each mode's cases also give the invalid tokens
// reused below: `stale` (valid once: expired, or revoked), `bogus` (never
// valid: a broken signature, or unknown to the authorization server) and the
// list tried on the 2026-07-28 wire.

// JWT access tokens: forged and tampered ones.
async function jwtNegativeCases() {
  const privateJwk = JSON.parse(readFileSync(AS.private_jwk_file, 'utf8'));
  const publicJwks = JSON.parse(readFileSync(AS.jwks_file, 'utf8'));
  const signingKey = await jose.importJWK(privateJwk, AS.alg);
  const now = () => Math.floor(Date.now() / 1000);
  const baseClaims = () => ({
    iss: ISSUER, sub: CLIENT_A.id, client_id: CLIENT_A.id, aud: MCP_URL, scope: 'mcp:tools',
    iat: now(), exp: now() + 300, jti: randomUUID(),
  });
  async function forge(claims, { header = {}, key = signingKey, alg = AS.alg, kid = AS.kid } = {}) {
    return new jose.SignJWT(claims).setProtectedHeader({ alg, typ: 'at+jwt', kid, ...header }).sign(key);
  }
  const without = (o, k) => {
    const c = { ...o };
    delete c[k];
    return c;
  };

  await step('control: a token forged with the real key and right claims is accepted', async () => {
    const r = await mcp({ token: await forge(baseClaims()), msg: initializeMsg() });
    return [r.status === 200 && !!r.sid, `status=${r.status} ${r.www ?? ''}`];
  });
  await step('aud as an array containing the resource is accepted', async () => {
    const r = await mcp({ token: await forge({ ...baseClaims(), aud: ['https://other.example/api', MCP_URL] }), msg: initializeMsg() });
    return [r.status === 200, `status=${r.status} ${r.www ?? ''}`];
  });

  const realTools = await ccToken(CLIENT_A, { scope: 'mcp:tools' });
  const [h64, p64, s64] = realTools.split('.');
  const tamperedPayload = { ...decodeJwt(realTools).payload, scope: 'mcp:tools mcp:admin' };
  const flip = (s) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
  const otherKey = (await jose.generateKeyPair(AS.alg, { extractable: true })).privateKey;
  const spkiPem = createPublicKey({ key: publicJwks.keys[0], format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  const hsConfusion = (() => {
    const head = b64urlJson({ alg: 'HS256', typ: 'at+jwt', kid: AS.kid });
    const body = b64urlJson(baseClaims());
    return `${head}.${body}.${createHmac('sha256', spkiPem).update(`${head}.${body}`).digest('base64url')}`;
  })();
  const opaque = await ccToken(CLIENT_A, { scope: 'mcp:tools', resource: null });

  const invalid = [
    ['expired (exp 10 min ago, real key)', () => forge({ ...baseClaims(), iat: now() - 1200, exp: now() - 600 })],
    ['not yet valid (nbf in 10 min)', () => forge({ ...baseClaims(), nbf: now() + 600 })],
    ['no exp claim', () => forge(without(baseClaims(), 'exp'))],
    ['wrong aud: same origin, other path', () => forge({ ...baseClaims(), aud: `${MCP_URL}-other` })],
    ['wrong aud: other origin, same path', () => forge({ ...baseClaims(), aud: otherOrigin })],
    ['wrong aud: issued by the AS for another resource', () => ccToken(CLIENT_A, { scope: 'mcp:tools', resource: `${MCP_URL}/elsewhere` })],
    ['wrong iss (real key)', () => forge({ ...baseClaims(), iss: 'http://127.0.0.1:1' })],
    ['typ of another kind of JWT (dpop+jwt)', () => forge(baseClaims(), { header: { typ: 'dpop+jwt' } })],
    ['tampered payload (scope widened), original signature', async () => `${h64}.${b64urlJson(tamperedPayload)}.${s64}`],
    ['tampered signature', async () => `${h64}.${p64}.${flip(s64)}`],
    ['signed by an unknown key with the real kid', () => forge(baseClaims(), { key: otherKey })],
    ['alg none', async () => `${b64urlJson({ alg: 'none', typ: 'at+jwt' })}.${b64urlJson(baseClaims())}.`],
    ['HS256 keyed with the public key (alg confusion)', async () => hsConfusion],
    ['opaque token (requested without resource)', async () => opaque],
    ['garbage', async () => 'not-a-jwt'],
  ];
  await expectInvalid(invalid);

  // RFC 9068 §4 wants typ at+jwt exactly, but many authorization servers send
  // "JWT": refusing it is reported, and only counted with --strict-typ.
  {
    const r = await mcp({ token: await forge(baseClaims(), { header: { typ: 'JWT' } }), msg: initializeMsg() });
    if (STRICT_TYP) expect401(r, 'invalid token -> 401 invalid_token: typ JWT (not at+jwt; --strict-typ)');
    else console.log(`info typ "JWT" (not at+jwt) -> ${r.status} (${r.status === 401 ? 'strict RFC 9068' : 'lenient'}; not counted without --strict-typ)`);
  }

  return {
    stale: () => forge({ ...baseClaims(), iat: now() - 1200, exp: now() - 600 }),
    bogus: async () => `${h64}.${p64}.${flip(s64)}`,
    modern: [
      ['expired', () => forge({ ...baseClaims(), iat: now() - 1200, exp: now() - 600 })],
      ['wrong aud', () => forge({ ...baseClaims(), aud: `${MCP_URL}-other` })],
      ['wrong iss', () => forge({ ...baseClaims(), iss: 'http://127.0.0.1:1' })],
      ['tampered signature', async () => `${h64}.${p64}.${flip(s64)}`],
    ],
  };
}

// Opaque access tokens: the server must introspect each one (RFC 7662) and
// check the answer (active, iss, aud) as it checks a JWT's claims. Revoked
// tokens are fresh ones, never sent before their revocation, since a server
// may cache an introspection answer for a while.
async function opaqueNegativeCases() {
  await step('control: a fresh opaque token for this resource is accepted', async () => {
    const token = await ccToken(CLIENT_A, { scope: 'mcp:tools' });
    const r = await mcp({ token, msg: initializeMsg() });
    return [token.split('.').length !== 3 && r.status === 200 && !!r.sid, `status=${r.status} ${r.www ?? ''}`];
  });
  await step('control: the authorization server knows a revoked token as inactive', async () => {
    const token = await revokedToken(CLIENT_A);
    const res = await asPost(AS.introspection_endpoint, AS.introspection_client, new URLSearchParams({ token }));
    const doc = await res.json();
    return [res.status === 200 && doc.active === false, `${res.status} ${JSON.stringify(doc)}`];
  });
  const invalid = [
    ['unknown opaque token (random)', async () => unknownOpaque()],
    ['revoked before first use (RFC 7009)', () => revokedToken(CLIENT_A)],
    ['revoked, with every scope (RFC 7009)', () => revokedToken(CLIENT_A, { scope: ALL_SCOPES.join(' ') })],
    ['wrong aud: issued by the AS for another resource', () => ccToken(CLIENT_A, { scope: 'mcp:tools', resource: `${MCP_URL}/elsewhere` })],
    ['wrong aud: other origin, same path', () => ccToken(CLIENT_A, { scope: 'mcp:tools', resource: otherOrigin })],
    ['no aud: requested without resource', () => ccToken(CLIENT_A, { scope: 'mcp:tools', resource: null })],
    ['garbage', async () => 'not-a-jwt'],
  ];
  await expectInvalid(invalid);
  return {
    stale: () => revokedToken(CLIENT_A),
    bogus: async () => unknownOpaque(),
    modern: [
      ['unknown opaque token', async () => unknownOpaque()],
      ['revoked', () => revokedToken(CLIENT_A)],
      ['wrong aud', () => ccToken(CLIENT_A, { scope: 'mcp:tools', resource: `${MCP_URL}/elsewhere` })],
    ],
  };
}

const port = Number(new URL(MCP_URL).port || 80);
const otherOrigin = `http://127.0.0.1:${port === 1 ? 2 : 1}${new URL(MCP_URL).pathname}`;
const refused = OPAQUE ? await opaqueNegativeCases() : await jwtNegativeCases();

// Insufficient scope, on live sessions.
const tokA_tools = await ccToken(CLIENT_A, { scope: 'mcp:tools' });
const tokA_admin = await ccToken(CLIENT_A, { scope: 'mcp:admin' });
const tokB = await ccToken(CLIENT_B, { scope: 'mcp:tools' });
let sidA;
await step('client A opens a session with a mcp:tools token', async () => {
  sidA = await openSession(tokA_tools);
  return [!!sidA];
});
if (sidA) {
  await step('mcp:tools token: tools/call echo -> 200', async () => {
    const r = await mcp({ token: tokA_tools, sid: sidA, msg: callMsg('echo', { text: 'x' }) });
    return [r.status === 200 && r.body?.result?.content?.[0]?.text === 'x', `status=${r.status} ${JSON.stringify(r.body)}`];
  });
  await step('mcp:tools token: tools/call admin_only -> 403 insufficient_scope, scope ∋ mcp:admin, resource_metadata', async () => {
    const r = await mcp({ token: tokA_tools, sid: sidA, msg: callMsg('admin_only') });
    const c = r.challenge;
    return [r.status === 403 && c?.error === 'insufficient_scope' && (c.scope ?? '').split(' ').includes('mcp:admin') && !!c.resource_metadata,
      `status=${r.status} WWW-Authenticate=${r.www}`];
  });
  await step(`${OPAQUE ? 'revoked' : 'expired'} token on a live session -> 401`, async () => {
    const r = await mcp({ token: await refused.stale(), sid: sidA, msg: listToolsMsg() });
    return [r.status === 401 && r.challenge?.error === 'invalid_token', `status=${r.status} ${r.www}`];
  });
  await step('same principal, new token (mcp:admin only) on the session: admin_only -> 200', async () => {
    const r = await mcp({ token: tokA_admin, sid: sidA, msg: callMsg('admin_only') });
    return [r.status === 200 && r.body?.result?.content?.[0]?.text?.startsWith('admin ok'), `status=${r.status} ${JSON.stringify(r.body)}`];
  });
  await step('mcp:admin-only token: tools/call echo -> 403, scope ∋ mcp:tools', async () => {
    const r = await mcp({ token: tokA_admin, sid: sidA, msg: callMsg('echo', { text: 'x' }) });
    return [r.status === 403 && r.challenge?.error === 'insufficient_scope' && (r.challenge.scope ?? '').split(' ').includes('mcp:tools'),
      `status=${r.status} ${r.www}`];
  });

  // Foreign principal: B's valid token on A's session must look exactly like
  // an unknown session.
  for (const [method, msg] of [['POST', listToolsMsg], ['GET', null], ['DELETE', null]]) {
    await step(`foreign principal: B's token on A's session, ${method} -> same as unknown session (404)`, async () => {
      const foreign = await mcp({ token: tokB, sid: sidA, method, msg: msg?.() });
      const unknown = await mcp({ token: tokB, sid: randomUUID(), method, msg: msg?.() });
      const same = foreign.status === unknown.status
        && JSON.stringify(foreign.body?.error?.code) === JSON.stringify(unknown.body?.error?.code);
      return [foreign.status === 404 && same,
        `foreign=${foreign.status} ${JSON.stringify(foreign.body)} unknown=${unknown.status} ${JSON.stringify(unknown.body)}`];
    });
  }
  await step('invalid token on an unknown session -> 401 (authentication comes first)', async () => {
    const r = await mcp({ token: await refused.bogus(), sid: randomUUID(), msg: listToolsMsg() });
    return [r.status === 401, `status=${r.status}`];
  });
  await step("A's session survives B's attempts (tools/list with A's token -> 200)", async () => {
    const r = await mcp({ token: tokA_tools, sid: sidA, msg: listToolsMsg() });
    return [r.status === 200 && Array.isArray(r.body?.result?.tools), `status=${r.status} ${JSON.stringify(r.body)?.slice(0, 200)}`];
  });
  await step("A closes its session (DELETE with A's token -> 200/204)", async () => {
    const r = await mcp({ token: tokA_tools, sid: sidA, method: 'DELETE' });
    return [r.status === 200 || r.status === 204, `status=${r.status}`];
  });
}

// The sessionless 2026-07-28 wire, when the server speaks it: the same
// authentication and scope rules, per request.
const probe = await mcp({ token: tokA_tools, msg: modernDiscover(), modern: true }).catch((e) => ({ status: describe(e) }));
if (probe.status !== 200 || !probe.body?.result?.supportedVersions?.includes(MODERN)) {
  console.log(`info server/discover with a valid token -> ${probe.status}: no ${MODERN} wire, its checks skipped`);
} else {
  console.log(`info server speaks ${MODERN}: ${JSON.stringify(probe.body.result.supportedVersions)}`);
  await step(`${MODERN}: no token, tools/call -> 401 with resource_metadata`, async () => {
    const r = await mcp({ msg: modernCall('echo', { text: 'x' }), modern: true });
    return [r.status === 401 && !!r.challenge?.resource_metadata, `status=${r.status} ${r.www}`];
  });
  for (const [what, make] of refused.modern) {
    expect401(await mcp({ token: await make(), msg: modernCall('echo', { text: 'x' }), modern: true }),
      `${MODERN}: invalid token -> 401 invalid_token: ${what}`);
  }
  await step(`${MODERN}: mcp:tools token, tools/call echo -> 200`, async () => {
    const r = await mcp({ token: tokA_tools, msg: modernCall('echo', { text: 'm' }), modern: true });
    return [r.status === 200 && r.body?.result?.content?.[0]?.text === 'm', `status=${r.status} ${JSON.stringify(r.body)}`];
  });
  await step(`${MODERN}: mcp:tools token, tools/call admin_only -> 403 insufficient_scope, scope ∋ mcp:admin`, async () => {
    const r = await mcp({ token: tokA_tools, msg: modernCall('admin_only'), modern: true });
    const c = r.challenge;
    return [r.status === 403 && c?.error === 'insufficient_scope' && (c.scope ?? '').split(' ').includes('mcp:admin') && !!c.resource_metadata,
      `status=${r.status} ${r.www}`];
  });
  await step(`${MODERN}: mcp:admin token, tools/call admin_only -> 200`, async () => {
    const r = await mcp({ token: tokA_admin, msg: modernCall('admin_only'), modern: true });
    return [r.status === 200 && r.body?.result?.content?.[0]?.text?.startsWith('admin ok'), `status=${r.status} ${JSON.stringify(r.body)}`];
  });
  await step(`${MODERN}: Mcp-Name says echo, body calls admin_only (mcp:tools token) -> refused (403 or 400)`, async () => {
    const r = await mcp({ token: tokA_tools, msg: modernCall('admin_only'), modern: true, headers: { 'mcp-name': 'echo' } });
    return [r.status === 403 || r.status === 400, `status=${r.status} ${JSON.stringify(r.body)}`];
  });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
