// Well-behaved MCP clients for the soak test: session set-up and tear-down,
// checked calls, and the normal client loop (sessions with a random mix of
// calls, replaced continuously). Every outcome lands in ctx.tally.
import { judgeRpc, mcpHeaders, pick, rand, randHex, send, VERSION } from './client.mjs';

// ctx: {port, agent, tally, sessions (Set of live ids), stopping, pace()}.

// initialize + notifications/initialized. Returns {sid, nextId} or null.
export async function openSession(ctx, client = 'soak') {
  await ctx.pace();
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {
    protocolVersion: VERSION, capabilities: {}, clientInfo: { name: client, version: '1' } } });
  const r = await send(ctx.port, { headers: mcpHeaders(), body, agent: ctx.agent });
  const j = judgeRpc(r, 1);
  const sid = r.headers?.['mcp-session-id'];
  if (j.busy) { ctx.tally.ok('initialize', '503 with Retry-After'); return null; }
  if (!j.ok) { ctx.tally.bad('initialize', j.label, j.detail); return null; }
  if (!sid || j.msg.result.protocolVersion !== VERSION) {
    ctx.tally.bad('initialize', 'no session id or wrong version', JSON.stringify(j.msg.result).slice(0, 120));
    return null;
  }
  ctx.tally.ok('initialize');
  ctx.sessions.add(sid);
  const s = { sid, nextId: 2 };
  await ctx.pace();
  const n = await send(ctx.port, { headers: mcpHeaders(sid), agent: ctx.agent,
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  if (n.status === 202) ctx.tally.ok('notifications/initialized', '202');
  else ctx.tally.bad('notifications/initialized', n.error ?? `http ${n.status}`, n.text ?? '');
  return s;
}

// DELETE; expects 200. kind: the tally row.
export async function deleteSession(ctx, sid, kind = 'DELETE') {
  const r = await send(ctx.port, { method: 'DELETE', headers: mcpHeaders(sid), agent: ctx.agent });
  if (r.status === 200) { ctx.tally.ok(kind, '200'); ctx.sessions.delete(sid); return true; }
  ctx.tally.bad(kind, r.error ?? `http ${r.status}`, (r.text ?? '').slice(0, 200));
  if (r.status === 404) ctx.sessions.delete(sid);
  return false;
}

// One checked JSON-RPC call. check(msg, r) returns true when the result is
// right. Returns false when the session is gone or the call failed.
export async function call(ctx, s, kind, method, params, check, { waitMs = 0, meta } = {}) {
  await ctx.pace();
  const id = s.nextId++;
  const p = meta ? { ...params, _meta: meta } : params;
  const body = JSON.stringify({ jsonrpc: '2.0', id, method, ...(p && { params: p }) });
  const r = await send(ctx.port, { headers: mcpHeaders(s.sid), body, agent: ctx.agent, timeoutMs: 10000 + waitMs });
  const j = judgeRpc(r, id);
  if (j.busy) { ctx.tally.ok(kind, '503 with Retry-After'); return true; }
  if (!j.ok) { ctx.tally.bad(kind, j.label, j.detail); return false; }
  if (!check(j.msg, r)) { ctx.tally.bad(kind, 'wrong result', JSON.stringify(j.msg.result).slice(0, 200)); return false; }
  ctx.tally.ok(kind, r.events ? 'sse' : 'json');
  return true;
}

const text0 = (m) => m.result.content?.[0]?.text;

// The normal mix: [operation, weight].
export const OPS = [
  [(ctx, s) => {
    const text = `soak ${randHex(8)}`;
    return call(ctx, s, 'tools/call echo', 'tools/call', { name: 'echo', arguments: { text } }, (m) => text0(m) === text);
  }, 30],
  [(ctx, s) => {
    const a = rand(-1000, 1000), b = rand(-1000, 1000);
    return call(ctx, s, 'tools/call add', 'tools/call', { name: 'add', arguments: { a, b } },
      (m) => m.result.structuredContent?.sum === a + b);
  }, 15],
  [(ctx, s) => call(ctx, s, 'ping', 'ping', undefined, (m) => Object.keys(m.result).length === 0), 15],
  [(ctx, s) => call(ctx, s, 'resources/read about', 'resources/read', { uri: 'mcpx://about' },
    (m) => m.result.contents?.[0]?.text?.startsWith('# mcpxd')), 10],
  [(ctx, s) => call(ctx, s, 'prompts/list', 'prompts/list', {},
    (m) => m.result.prompts?.some((p) => p.name === 'summarize')), 10],
  [(ctx, s) => {
    const ms = rand(1, 50);
    return call(ctx, s, 'tools/call sleep', 'tools/call', { name: 'sleep', arguments: { ms } },
      (m) => text0(m) === `slept ${ms} ms`, { waitMs: ms });
  }, 12],
  [(ctx, s) => countdown(ctx, s, rand(1, 5)), 8],
];

// countdown with a progress token: an SSE answer with n+1 progress events in
// order, then the result.
export function countdown(ctx, s, n) {
  const token = `p-${randHex(6)}`;
  return call(ctx, s, 'tools/call countdown (SSE)', 'tools/call', { name: 'countdown', arguments: { n } }, (m, r) => {
    if (!r.events) return false;
    const progress = r.events.filter((e) => e.json?.method === 'notifications/progress').map((e) => e.json.params);
    return text0(m) === `liftoff after ${n} steps` && progress.length === n + 1 &&
      progress.every((p, i) => p.progressToken === token && p.progress === i && p.total === n);
  }, { waitMs: n * 100, meta: { progressToken: token } });
}

// A normal client: sessions of 10-50 calls, each deleted at the end of its
// life and replaced by a new one, until ctx.stopping.
export async function normalClient(ctx, index) {
  while (!ctx.stopping) {
    const s = await openSession(ctx, `normal-${index}`);
    if (!s) { await ctx.wait(200); continue; }
    const calls = rand(10, 50);
    let alive = true;
    for (let i = 0; i < calls && alive && !ctx.stopping; i++) alive = await pick(OPS)(ctx, s);
    await deleteSession(ctx, s.sid);
  }
}
