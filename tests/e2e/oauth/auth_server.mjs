// A real OAuth 2.1 / OpenID authorization server for the e2e harness:
// oidc-provider on loopback, issuing RFC 9068 JWT access tokens whose `aud`
// is the RFC 8707 `resource` the client asked for.
//
// Usage: node auth_server.mjs [--alg ES256|RS256|EdDSA] [--port 0] [--host 127.0.0.1]
//                             [--ttl 300] [--resource URI]... [--opaque]
//   --alg       signing algorithm of the key generated at start (default ES256)
//   --opaque    issue OPAQUE access tokens for resources (random strings the
//               resource server must introspect, RFC 7662) instead of JWTs,
//               and enable revocation (RFC 7009)
//   --port      0 picks a free port
//   --ttl       access token lifetime in seconds
//   --resource  accept only these resource indicators (default: any absolute
//               http(s) URI without fragment: the MCP server's port is not
//               known when this starts)
//
// When ready prints ONE JSON line on stdout:
//   {"issuer","jwks_uri","token_endpoint","authorization_endpoint","registration_endpoint",
//    "introspection_endpoint","revocation_endpoint","access_token_format","alg","kid",
//    "clients":[{id,secret,scope}],"introspection_client":{id,secret},"jwks_file","private_jwk_file","user"}
// access_token_format: "jwt" or "opaque"; revocation_endpoint: only with --opaque.
// jwks_file: JWKS of the PUBLIC signing key; private_jwk_file: the private JWK
// (for forging negative-case tokens). Both live in a temp dir removed at exit.
// Exits on SIGTERM/SIGINT, and when stdin (a pipe or socket) closes.
//
// Clients: two pre-registered confidential machine clients (client_credentials,
// client_secret_basic): A may get mcp:tools and mcp:admin, B only mcp:tools.
// The resource server's own client, `introspection_client` (mcp-resource-server,
// client_secret_basic, no grants), is the one client allowed to introspect
// (features.introspection.allowedPolicy): an introspection answer names the
// token's client, subject, scope and audience, which only the resource server
// needs. Opaque client_credentials tokens have no account: their introspection
// answer gets sub = client_id (extraTokenClaims), as JWT ones do.
// Dynamic client registration is open (public clients, authorization_code +
// PKCE). Interactive login/consent is replaced by /interaction/:uid, which
// logs in the fixed user "alice" and consents to what was asked: a client can
// drive the authorization code flow by following redirects (keeping cookies).
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync, fstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { load, parseArgs, ALL_SCOPES } from './common.mjs';

const { default: Provider, errors } = await load('oidc-provider');
const jose = await load('jose');

const args = parseArgs(process.argv.slice(2), { multi: ['resource'] });
const ALG = args.alg ?? 'ES256';
const HOST = args.host ?? '127.0.0.1';
const TTL = Number(args.ttl ?? 300);
const RESOURCES = args.resource ?? null;
const OPAQUE = !!args.opaque;
const FORMAT = OPAQUE ? 'opaque' : 'jwt';
const USER = 'alice';

const { privateKey, publicKey } = await jose.generateKeyPair(ALG, { extractable: true });
const kid = `as-${ALG}-${randomBytes(4).toString('hex')}`;
const privateJwk = { ...(await jose.exportJWK(privateKey)), kid, alg: ALG, use: 'sig' };
const publicJwk = { ...(await jose.exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };

const dir = mkdtempSync(join(tmpdir(), 'mcpx-oauth-as-'));
const jwksFile = join(dir, 'jwks.json');
const privateFile = join(dir, 'private_jwk.json');
writeFileSync(jwksFile, JSON.stringify({ keys: [publicJwk] }, null, 2));
writeFileSync(privateFile, JSON.stringify(privateJwk, null, 2), { mode: 0o600 });

const clients = [
  { id: 'mcp-client-a', secret: randomBytes(24).toString('base64url'), scope: ALL_SCOPES.join(' ') },
  { id: 'mcp-client-b', secret: randomBytes(24).toString('base64url'), scope: 'mcp:tools' },
];
const resourceServer = { id: 'mcp-resource-server', secret: randomBytes(24).toString('base64url') };

const http = createServer();
await new Promise((resolve, reject) => {
  http.once('error', reject);
  http.listen(Number(args.port ?? 0), HOST, resolve);
});
const { port } = http.address();
const issuer = `http://${HOST}:${port}`;

function acceptableResource(indicator) {
  if (RESOURCES) return RESOURCES.includes(indicator);
  try {
    const u = new URL(indicator);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.hash && !indicator.includes('#');
  } catch {
    return false;
  }
}

const provider = new Provider(issuer, {
  clients: [
    ...clients.map((c) => ({
      client_id: c.id,
      client_secret: c.secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: c.scope,
    })),
    {
      client_id: resourceServer.id,
      client_secret: resourceServer.secret,
      grant_types: [],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [privateJwk] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  clientDefaults: { id_token_signed_response_alg: ALG },
  enabledJWA: { idTokenSigningAlgValues: [ALG] },
  scopes: ['openid', 'offline_access', ...ALL_SCOPES],
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    registration: { enabled: true },
    introspection: {
      enabled: true,
      allowedPolicy: async (_ctx, caller) => caller.clientId === resourceServer.id,
    },
    revocation: { enabled: OPAQUE },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        if (!acceptableResource(resourceIndicator)) throw new errors.InvalidTarget();
        return {
          scope: ALL_SCOPES.join(' '),
          audience: resourceIndicator,
          accessTokenTTL: TTL,
          accessTokenFormat: FORMAT,
          ...(OPAQUE ? {} : { jwt: { sign: { alg: ALG } } }),
        };
      },
    },
  },
  ttl: { ClientCredentials: TTL, AccessToken: TTL },
  // Opaque only (a JWT's sub is already the client for client_credentials).
  extraTokenClaims: async (_ctx, token) => (OPAQUE && !token.accountId ? { sub: token.clientId } : undefined),
});
provider.on('server_error', (_ctx, err) => console.error('[auth_server] server_error', err));

// Non-interactive login and consent: the fixed user, every asked scope.
async function interaction(req, res) {
  try {
    const details = await provider.interactionDetails(req, res);
    const { prompt, params, session } = details;
    let result;
    if (prompt.name === 'login') {
      result = { login: { accountId: USER } };
    } else if (prompt.name === 'consent') {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      const d = prompt.details;
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      result = { consent: { grantId: await grant.save() } };
    } else {
      result = { error: 'access_denied', error_description: `unexpected prompt ${prompt.name}` };
    }
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
  } catch (err) {
    console.error('[auth_server] interaction failed', err);
    res.statusCode = 500;
    res.end(String(err));
  }
}

const callback = provider.callback();
http.on('request', (req, res) => {
  if (req.method === 'GET' && /^\/interaction\/[^/]+$/.test(new URL(req.url, issuer).pathname)) {
    interaction(req, res);
    return;
  }
  callback(req, res);
});

const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
console.log(JSON.stringify({
  issuer,
  jwks_uri: discovery.jwks_uri,
  token_endpoint: discovery.token_endpoint,
  authorization_endpoint: discovery.authorization_endpoint,
  registration_endpoint: discovery.registration_endpoint,
  introspection_endpoint: discovery.introspection_endpoint,
  revocation_endpoint: discovery.revocation_endpoint,
  access_token_format: FORMAT,
  alg: ALG,
  kid,
  clients,
  introspection_client: resourceServer,
  jwks_file: jwksFile,
  private_jwk_file: privateFile,
  user: USER,
}));

let closing = false;
function shutdown(code = 0) {
  if (closing) return;
  closing = true;
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // best effort
  }
  http.closeAllConnections?.();
  http.close(() => process.exit(code));
  setTimeout(() => process.exit(code), 1000).unref();
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('exit', () => {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // best effort
  }
});
try {
  const st = fstatSync(0);
  if (st.isFIFO() || st.isSocket()) {
    process.stdin.on('end', () => shutdown(0));
    process.stdin.on('error', () => shutdown(0));
    process.stdin.resume();
  }
} catch {
  // no stdin
}
