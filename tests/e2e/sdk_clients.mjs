// Drives mcpxd with the official TypeScript SDK client: many concurrent HTTP
// clients with parallel calls, then one client over stdio. Exits non-zero on
// the first wrong answer; prints "N passed, M failed".
//
// With --tls, mcpxd serves HTTPS with a self-signed certificate made here
// (openssl), which the clients trust through NODE_EXTRA_CA_CERTS; midway the
// certificate files are replaced and SIGHUP makes mcpxd serve the new one.
//
// Usage: node sdk_clients.mjs <path-to-mcpxd> [clients] [calls-per-client] [--tls]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { checks } from './checks.mjs';

const TLS = process.argv.includes('--tls');
const TLS_DIR = process.env.MCPX_E2E_TLS_DIR;
if (TLS && !TLS_DIR) {
  // Node reads NODE_EXTRA_CA_CERTS only at start: make the certificates,
  // then run this script again with them trusted.
  const dir = mkdtempSync(join(tmpdir(), 'mcpx-e2e-tls-'));
  for (const name of ['a', 'b']) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-subj', `/CN=mcpx-e2e-${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1',
      '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)], { stdio: 'ignore' });
  }
  copyFileSync(join(dir, 'a.pem'), join(dir, 'server.pem'));
  copyFileSync(join(dir, 'a.key'), join(dir, 'server.key'));
  writeFileSync(join(dir, 'trust.pem'), readFileSync(join(dir, 'a.pem')) + readFileSync(join(dir, 'b.pem')));
  const run = spawnSync(process.execPath, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'trust.pem'), MCPX_E2E_TLS_DIR: dir },
  });
  rmSync(dir, { recursive: true, force: true });
  process.exit(run.status ?? 1);
}

const sdkRoot = new URL('../../tools/npm/node_modules/@modelcontextprotocol/sdk/dist/esm/', import.meta.url);
const { Client } = await import(new URL('client/index.js', sdkRoot));
const { StreamableHTTPClientTransport } = await import(new URL('client/streamableHttp.js', sdkRoot));
const { StdioClientTransport } = await import(new URL('client/stdio.js', sdkRoot));

const [mcpxd, clientsArg = '64', callsArg = '8'] = process.argv.slice(2).filter((a) => a !== '--tls');
const CLIENTS = Number(clientsArg);
const CALLS = Number(callsArg);
const { check, finish } = checks();

async function startServer() {
  const args = ['--port', '0'];
  if (TLS) args.push('--tls-cert', join(TLS_DIR, 'server.pem'), '--tls-key', join(TLS_DIR, 'server.key'));
  const child = spawn(mcpxd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mcpxd did not start: ' + text)), 10000);
    child.stderr.on('data', (d) => {
      text += d;
      // Only a whole line: stderr may arrive in pieces ("...127.0.0.1:" then the port).
      const m = text.match(/listening on (https?:\/\/\S+)\n/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`mcpxd exited ${code}: ${text}`)));
  });
  return { child, url };
}

async function exerciseClient(client, label) {
  const tools = await client.listTools();
  const names = tools.tools.map((t) => t.name);
  check(['echo', 'add', 'sleep', 'countdown', 'sessions'].every((n) => names.includes(n)), `${label} tools/list`);

  // Parallel calls within one session.
  const calls = [];
  for (let i = 0; i < CALLS; i++) {
    calls.push(client.callTool({ name: 'echo', arguments: { text: `${label}-${i}` } }));
  }
  const results = await Promise.all(calls);
  results.forEach((r, i) => check(r.content?.[0]?.text === `${label}-${i}`, `${label} echo ${i}`));

  const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
  check(sum.structuredContent?.sum === 42, `${label} add structuredContent`);

  const progress = [];
  const countdown = await client.callTool({ name: 'countdown', arguments: { n: 3 } }, undefined, {
    onprogress: (p) => progress.push(p.progress),
  });
  check(countdown.content?.[0]?.text === 'liftoff after 3 steps', `${label} countdown result`);
  // Over stdio the SDK runs progress handlers in a microtask but responses at
  // once, so a progress notification that arrives in the same read as the
  // response is dropped by the client (the server's order is right: see
  // stdio_transport_test). Over HTTP every step must arrive.
  const wanted = label === 'stdio' ? [0, 1, 2] : [0, 1, 2, 3];
  check(wanted.every((v, i) => progress[i] === v), `${label} countdown progress ${JSON.stringify(progress)}`);

  const about = await client.readResource({ uri: 'mcpx://about' });
  check(about.contents?.[0]?.text?.includes('mcpxd'), `${label} resources/read`);
  const greet = await client.readResource({ uri: 'mcpx://greeting/ada' });
  check(greet.contents?.[0]?.text === 'Hello, ada!', `${label} resource template`);

  const prompt = await client.getPrompt({ name: 'summarize', arguments: { text: 'abc' } });
  check(prompt.messages?.[0]?.content?.text?.includes('abc'), `${label} prompts/get`);

  let unknown = null;
  try {
    await client.callTool({ name: 'no_such_tool', arguments: {} });
  } catch (e) {
    unknown = e;
  }
  check(unknown && unknown.code === -32602, `${label} unknown tool is -32602`);
}

async function httpClients(url) {
  const start = Date.now();
  const clients = [];
  for (let i = 0; i < CLIENTS; i++) {
    clients.push((async () => {
      const client = new Client({ name: `e2e-${i}`, version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(url));
      await client.connect(transport);
      await exerciseClient(client, `http${i}`);
      await transport.terminateSession();
      await client.close();
    })());
  }
  const settled = await Promise.allSettled(clients);
  settled.forEach((s, i) => check(s.status === 'fulfilled', `http client ${i}: ${s.reason ?? ''} ${s.reason?.cause ?? ''}`));
  console.log(`http: ${CLIENTS} clients x ${CALLS} parallel calls in ${Date.now() - start} ms`);
}

async function stdioClient() {
  const transport = new StdioClientTransport({ command: mcpxd, args: ['--stdio'], stderr: 'ignore' });
  const client = new Client({ name: 'e2e-stdio', version: '1.0.0' });
  await client.connect(transport);
  await exerciseClient(client, 'stdio');
  await client.close();
}

// The common name of the certificate the server presents now (verified
// against the trusted ones).
async function peerName(url) {
  const { hostname, port } = new URL(url);
  const socket = tls.connect({ host: hostname, port: Number(port) });
  await once(socket, 'secureConnect');
  const name = socket.getPeerCertificate().subject?.CN;
  socket.destroy();
  return name;
}

// Replaces the certificate files and sends SIGHUP: new connections get the
// new certificate, and clients go on working.
async function rotateCertificate(child, url) {
  check((await peerName(url)) === 'mcpx-e2e-a', 'TLS: the first certificate is served');
  copyFileSync(join(TLS_DIR, 'b.pem'), join(TLS_DIR, 'server.pem'));
  copyFileSync(join(TLS_DIR, 'b.key'), join(TLS_DIR, 'server.key'));
  child.kill('SIGHUP');
  let name = '';
  for (let i = 0; i < 100 && name !== 'mcpx-e2e-b'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    name = await peerName(url);
  }
  check(name === 'mcpx-e2e-b', `TLS: after SIGHUP the new certificate is served (got ${name})`);
  const client = new Client({ name: 'e2e-after-reload', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  await exerciseClient(client, 'after-reload');
  await transport.terminateSession();
  await client.close();
}

const { child, url } = await startServer();
try {
  check(url.startsWith(TLS ? 'https://' : 'http://'), `announced ${url}`);
  await httpClients(url);
  if (TLS) await rotateCertificate(child, url);
  // Every session was terminated with DELETE: none remain.
  const sessions = await fetch(url.replace('/mcp', '/metrics')).then((r) => r.text());
  check(/\nmcpx_sessions_active 0\n/.test(sessions), 'all HTTP sessions closed after DELETE');
  await stdioClient();
} catch (e) {
  check(false, `unexpected error: ${e?.stack ?? e}`);
} finally {
  child.kill('SIGTERM');
  await once(child, 'exit');
}
finish();
