// The peer in the load benchmarks: the official TypeScript SDK server with the
// same three tools as mcpx-bench-server, stateful sessions, JSON responses.
//
// Two front ends over the same session logic:
//   default    plain node:http, the body read by hand (the faster of the two);
//   --express  the SDK's documented setup: createMcpExpressApp() (express with
//              the SDK's Host-header check and express.json()) and app.post/
//              get/delete('/mcp') routes.
//
// Usage: node ts_server.mjs [--express] [--port] <port>
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import http from 'node:http';

const require = createRequire(new URL('../tools/npm/package.json', import.meta.url));
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { isInitializeRequest } = require('@modelcontextprotocol/sdk/types.js');
const { z } = require('zod');

function makeServer() {
  const server = new McpServer({ name: 'ts-bench-server', version: '1.0.0' });
  server.registerTool('echo', { description: 'Returns the text.', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }));
  server.registerTool('sleep_ms', { description: 'Waits ms milliseconds.', inputSchema: { ms: z.number().int() } },
    async ({ ms }) => {
      await new Promise((r) => setTimeout(r, Math.min(ms, 60000)));
      return { content: [{ type: 'text', text: 'slept' }] };
    });
  server.registerTool('spin_ms', { description: 'Burns CPU for ms milliseconds.', inputSchema: { ms: z.number().int() } },
    async ({ ms }) => {
      const end = Date.now() + Math.min(ms, 10000);
      let x = 0;
      while (Date.now() < end) x = (x * 1103515245 + 12345) % 2147483648;
      return { content: [{ type: 'text', text: String(x & 1) }] };
    });
  return server;
}

const transports = new Map();

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

// One MCP request, whichever front end parsed it.
async function handle(req, res, body) {
  try {
    const sid = req.headers['mcp-session-id'];
    let transport = sid ? transports.get(sid) : undefined;
    if (!transport) {
      if (sid || !isInitializeRequest(body)) {
        res.writeHead(sid ? 404 : 400, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'no session' } }));
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (id) => transports.set(id, transport),
      });
      transport.onclose = () => transport.sessionId && transports.delete(transport.sessionId);
      await makeServer().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  } catch (e) {
    if (!res.headersSent) res.writeHead(500).end(String(e));
  }
}

const useExpress = process.argv.includes('--express');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const port = Number(args[0] ?? 0);
let httpServer;
if (useExpress) {
  const { createMcpExpressApp } = require('@modelcontextprotocol/sdk/server/express.js');
  const app = createMcpExpressApp();
  app.post('/mcp', (req, res) => handle(req, res, req.body));
  app.get('/mcp', (req, res) => handle(req, res, undefined));
  app.delete('/mcp', (req, res) => handle(req, res, undefined));
  httpServer = http.createServer(app);
} else {
  httpServer = http.createServer(async (req, res) => {
    if (!req.url.startsWith('/mcp')) {
      res.writeHead(404).end();
      return;
    }
    let body;
    try {
      body = req.method === 'POST' ? await readBody(req) : undefined;
    } catch (e) {
      res.writeHead(400).end(String(e));
      return;
    }
    await handle(req, res, body);
  });
}
httpServer.keepAliveTimeout = 120000;
httpServer.listen(port, '127.0.0.1', () => {
  console.error(`listening on http://127.0.0.1:${httpServer.address().port}/mcp`);
});
