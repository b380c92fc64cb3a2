// Makes an ES256 key pair, writes its public half as a JWKS file, and prints
// a JWT access token signed with it (2 h, scope mcp:tools) for the given
// issuer and resource: the bearer token of the authenticated load runs.
//
// Usage: node bench/make_token.mjs <jwks file> <issuer> <resource>
import { writeFileSync } from 'node:fs';

const jose = await import(new URL('../tools/npm/node_modules/jose/dist/webapi/index.js', import.meta.url));
const [jwksFile, issuer, resource] = process.argv.slice(2);
const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
const token = await new jose.SignJWT({ scope: 'mcp:tools', client_id: 'bench' })
  .setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'at+jwt' })
  .setIssuer(issuer)
  .setAudience(resource)
  .setSubject('bench')
  .setIssuedAt()
  .setExpirationTime('2h')
  .sign(privateKey);
process.stdout.write(token);
