// The TypeScript SDK v2 peer (@modelcontextprotocol/server 2.4.0) for the F1
// fan-out benchmark (bench/f1.sh) and the stateless W1 one (bench/w1_stateless.sh).
//
// One endpoint, both eras, as the SDK documents it (createMcpHandler's JSDoc,
// isLegacyRequest's pattern):
//   2026-07-28  createMcpHandler(factory, { legacy: 'reject' }): a fresh
//               McpServer per request; subscriptions/listen streams are the
//               SDK's own (ack first, filtering, subscriptionId stamping);
//               handler.notify.resourceUpdated(uri) publishes to them.
//   2025-11-25  routed by isLegacyRequest() to a sessionful
//               WebStandardStreamableHTTPServerTransport per session (JSON
//               responses, like bench/ts_server.mjs); resources/subscribe is
//               a handler on the low-level Server (McpServer has none), and
//               updates go out with server.server.sendResourceUpdated() on the
//               session's standalone GET stream.
// Node's http is bridged to fetch with @hono/node-server's getRequestListener,
// the adapter the v1 SDK's Node transport wraps (@modelcontextprotocol/node,
// v2's, is not installed here).
//
// Resource: bench://watched (any URI may be subscribed). Tools: echo {text},
// touch_resource {uri} (notifies every subscriber of uri, both eras).
//
// Usage: node ts_server_v2.mjs [--max-subscriptions N] [--port] <port>
//   --max-subscriptions: listen streams open at once (SDK default 1024; here
//   1000000). The isLegacyRequest() routing in front of the modern handler
//   costs nothing measurable on stateless W1 (1696 against 1673 req/s for
//   createMcpHandler mounted alone, wrk -t2 -c64, 2 cores).
import { randomUUID } from 'node:crypto';
import http from 'node:http';

const nm = new URL('../tools/npm/node_modules/', import.meta.url);
const { McpServer, createMcpHandler, isLegacyRequest, WebStandardStreamableHTTPServerTransport } = await import(
  new URL('@modelcontextprotocol/server/dist/index.mjs', nm));
const { getRequestListener } = await import(new URL('@hono/node-server/dist/index.mjs', nm));
const { z } = await import(new URL('zod/index.js', nm));

const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf(name); return i >= 0 ? Number(argv.splice(i, 2)[1]) : def; };
const maxSubscriptions = opt('--max-subscriptions', 1000000);
const port = opt('--port', Number(argv.find((a) => !a.startsWith('--')) ?? 0));

const sessions = new Map(); // 2025 session id -> { transport, server, subs: Set<uri> }

function touch(uri) {
  modern.notify.resourceUpdated(uri);
  for (const s of sessions.values()) {
    if (s.subs.has(uri)) s.server.server.sendResourceUpdated({ uri }).catch(() => {});
  }
}

function makeServer(session) {
  const server = new McpServer({ name: 'ts-v2-bench-server', version: '1.0.0' },
    { capabilities: { resources: { subscribe: true, listChanged: true } } });
  server.registerResource('watched', 'bench://watched', { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, text: 'watched' }] }));
  server.registerTool('echo', { description: 'Returns the text.', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text }] }));
  server.registerTool('touch_resource', { description: 'Notifies subscribers of uri.', inputSchema: z.object({ uri: z.string() }) },
    async ({ uri }) => { touch(uri); return { content: [{ type: 'text', text: 'touched' }] }; });
  if (session) {
    server.server.setRequestHandler('resources/subscribe', async (req) => { session.subs.add(req.params.uri); return {}; });
    server.server.setRequestHandler('resources/unsubscribe', async (req) => { session.subs.delete(req.params.uri); return {}; });
  }
  return server;
}

const modern = createMcpHandler(() => makeServer(null), {
  legacy: 'reject', maxSubscriptions, onerror: (e) => process.env.TS_V2_DEBUG && console.error('modern:', e.message),
});

const jsonError = (status, message) => new Response(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message } }),
  { status, headers: { 'Content-Type': 'application/json' } });

async function legacy(request) {
  const sid = request.headers.get('mcp-session-id');
  let session = sid ? sessions.get(sid) : undefined;
  if (!session) {
    if (sid) return jsonError(404, 'Session not found');
    if (request.method !== 'POST') return jsonError(400, 'No session');
    session = { subs: new Set() };
    session.transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => sessions.set(id, session),
      onsessionclosed: (id) => sessions.delete(id),
    });
    session.server = makeServer(session);
    await session.server.connect(session.transport);
  }
  return session.transport.handleRequest(request);
}

const listener = getRequestListener(async (request) => {
  if (new URL(request.url).pathname !== '/mcp') return new Response(null, { status: 404 });
  return (await isLegacyRequest(request)) ? legacy(request) : modern.fetch(request);
});
const httpServer = http.createServer(listener);
httpServer.keepAliveTimeout = 120000;
httpServer.requestTimeout = 0; // subscription streams stay open
httpServer.listen(port, '127.0.0.1', () => {
  console.error(`listening on http://127.0.0.1:${httpServer.address().port}/mcp`);
});
