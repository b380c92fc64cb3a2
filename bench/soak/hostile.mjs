// Hostile and misbehaving clients for the soak test. Each action records its
// outcome in ctx.tally under its own kind. ctx.shared (SharedSessions) holds a
// few sessions to misbehave on; actions that need a standalone GET stream open
// (and DELETE) a session of their own.
//
// Left out on purpose, covered by dedicated regression tests: chunked bodies
// with huge trailers, idle keep-alive connections after big requests, SSE
// backlogs large in bytes.
import { ACCEPT, mcpHeaders, rand, randHex, raw, rawPost, send, sleep, tryJson, VERSION } from './client.mjs';
import { deleteSession, openSession } from './normal.mjs';

const MiB = 1 << 20;

// The sessions hostile clients misbehave on, each replaced after about
// lifetimeMs (one every lifetimeMs / size), so that their event stores (up to
// 512 events a session) reach a steady state early in the run. A replaced
// session is deleted once no action uses it any more.
export class SharedSessions {
  live = [];
  constructor(ctx, size, lifetimeMs = 16000) { Object.assign(this, { ctx, size, lifetimeMs }); }
  async open() {
    const s = await openSession(this.ctx, 'shared');
    if (s) this.live.push({ sid: s.sid, users: 0, retired: false });
    return s !== null;
  }
  async use(fn) {
    const s = this.live[rand(0, this.live.length - 1)];
    s.users++;
    try {
      return await fn(s.sid);
    } finally {
      if (--s.users === 0 && s.retired) await deleteSession(this.ctx, s.sid, 'DELETE (shared session)');
    }
  }
  async rotate() {
    while (!this.ctx.stopping) {
      await this.ctx.wait(this.lifetimeMs / this.size);
      if (this.ctx.stopping || !(await this.open())) continue;
      const old = this.live.shift();
      old.retired = true;
      if (old.users === 0) await deleteSession(this.ctx, old.sid, 'DELETE (shared session)');
    }
  }
}

let lastId = 1e6;  // one counter for all hostile requests: ids are never reused in a session
const callBody = (name, args, meta) => JSON.stringify({ jsonrpc: '2.0', id: ++lastId, method: 'tools/call',
  params: { name, arguments: args, ...(meta && { _meta: meta }) } });
const getHeaders = (sid) => ({ accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': VERSION });
const rawGet = (port, sid) => `GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n` +
  `Mcp-Session-Id: ${sid}\r\nMCP-Protocol-Version: ${VERSION}\r\n\r\n`;
const isPriming = (ev) => ev.id && ev.data === '';
const isProgress = (ev) => ev.json?.method === 'notifications/progress';

// A standalone GET stream: 200 with an SSE priming event, then held open
// (ended by DELETE, which must end the response) or dropped abruptly.
async function sseGet(ctx, kind, mode) {
  const s = await openSession(ctx, kind);
  if (!s) return;
  const ctl = {};
  const hold = rand(1000, 8000);
  let primed;
  const primedP = new Promise((resolve) => { primed = resolve; });
  const done = send(ctx.port, { method: 'GET', headers: getHeaders(s.sid), agent: false, ctl, timeoutMs: hold + 20000,
    onEvent: (ev) => { if (isPriming(ev)) { primed(true); if (mode === 'drop') return 'stop'; } } });
  if (!(await Promise.race([primedP, done.then(() => false)]))) {
    const r = await done;
    ctx.tally.bad(kind, r.error ?? `http ${r.status}`, 'no priming event');
  } else if (mode === 'drop') {
    await done;
    ctx.tally.ok(kind, 'dropped after priming');
  } else {
    await ctx.wait(hold);
    await deleteSession(ctx, s.sid, 'DELETE (with GET stream)');
    const r = await Promise.race([done, sleep(5000).then(() => ({ error: 'stream not ended 5 s after DELETE' }))]);
    ctl.req.destroy();
    if (r.error) ctx.tally.bad(kind, r.error);
    else ctx.tally.ok(kind, 'ended by DELETE');
    return;
  }
  await deleteSession(ctx, s.sid, 'DELETE (with GET stream)');
}

export const HOSTILE = [
  ['GET SSE kept, ended by DELETE', 3, (ctx) => sseGet(ctx, 'GET SSE kept, ended by DELETE', 'keep')],
  ['GET SSE dropped abruptly', 3, (ctx) => sseGet(ctx, 'GET SSE dropped abruptly', 'drop')],
  ['GET SSE never read', 2, async (ctx) => {
    const s = await openSession(ctx, 'unread');
    if (!s) return;
    await raw(ctx.port, rawGet(ctx.port, s.sid), { pause: true, destroyAfterMs: rand(2000, 8000), sockets: ctx.sockets });
    ctx.tally.ok('GET SSE never read', 'held unread, destroyed');
    await deleteSession(ctx, s.sid, 'DELETE (with GET stream)');
  }],
  ['vanish: half a request', 4, (ctx) => ctx.shared.use(async (sid) => {
    const full = rawPost(ctx.port, sid, callBody('echo', { text: 'x'.repeat(rand(10, 4000)) }));
    const cut = rand(1, full.length - 1);  // anywhere: in the request line, the headers or the body
    const r = await raw(ctx.port, full.slice(0, cut), { destroyAfterMs: rand(5, 300), sockets: ctx.sockets });
    ctx.tally.ok('vanish: half a request', r.status ? `answered ${r.status} before vanishing` : 'vanished');
  })],
  ['vanish: during sleep call', 4, (ctx) => ctx.shared.use(async (sid) => {
    const body = callBody('sleep', { ms: rand(500, 3000) });
    await raw(ctx.port, rawPost(ctx.port, sid, body), { destroyAfterMs: rand(10, 300), sockets: ctx.sockets });
    ctx.tally.ok('vanish: during sleep call', 'vanished');
  })],
  ['vanish: mid SSE stream', 4, (ctx) => ctx.shared.use(async (sid) => {
    const r = await send(ctx.port, { headers: mcpHeaders(sid), agent: false, timeoutMs: 15000,
      body: callBody('countdown', { n: rand(3, 15) }, { progressToken: randHex(6) }),
      onEvent: (ev) => (isProgress(ev) ? 'stop' : undefined) });
    if (r.stopped && r.status === 200) ctx.tally.ok('vanish: mid SSE stream', 'dropped after first progress');
    else ctx.tally.bad('vanish: mid SSE stream', r.error ?? `http ${r.status}`, 'no progress event to drop after');
  })],
  ['SSE answer never read', 2, (ctx) => ctx.shared.use(async (sid) => {
    const body = callBody('countdown', { n: rand(5, 20) }, { progressToken: randHex(6) });
    await raw(ctx.port, rawPost(ctx.port, sid, body), { pause: true, destroyAfterMs: rand(2000, 6000), sockets: ctx.sockets });
    ctx.tally.ok('SSE answer never read', 'held unread, destroyed');
  })],
  ['oversized body (413)', 3, (ctx) => ctx.shared.use(async (sid) => {
    const head = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${ctx.port}\r\nContent-Type: application/json\r\nAccept: ${ACCEPT}\r\n` +
      `Mcp-Session-Id: ${sid}\r\nContent-Length: ${4 * MiB + rand(1, MiB)}\r\n\r\n`;
    const r = await raw(ctx.port, [head, Buffer.alloc(rand(0, 256) * 1024, 'a')], { sockets: ctx.sockets });
    expectStatus(ctx, 'oversized body (413)', r, 413);
  })],
  ['oversized headers (431)', 3, (ctx) => ctx.shared.use(async (sid) => {
    const pad = Math.random() < 0.5 ? `X-Pad: ${'p'.repeat(rand(17, 64) * 1024)}\r\n`
      : Array.from({ length: rand(400, 1000) }, (_, i) => `X-Pad-${i}: ${'p'.repeat(40)}\r\n`).join('');
    const r = await raw(ctx.port, rawPost(ctx.port, sid, `{"jsonrpc":"2.0","id":${++lastId},"method":"ping"}`, pad), { sockets: ctx.sockets });
    expectStatus(ctx, 'oversized headers (431)', r, 431);
  })],
  ['bad JSON (400, -32700)', 4, (ctx) => ctx.shared.use(async (sid) => {
    const good = JSON.stringify({ jsonrpc: '2.0', id: ++lastId, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } });
    const body = Math.random() < 0.5 ? good.slice(0, rand(1, good.length - 2)) : `{"jsonrpc":"2.0",${randHex(8)}}`;
    const r = await send(ctx.port, { headers: mcpHeaders(sid), body, agent: ctx.agent });
    const code = tryJson(r.text ?? '')?.error?.code;
    if (r.status === 400 && code === -32700) ctx.tally.ok('bad JSON (400, -32700)', '400 -32700');
    else ctx.tally.bad('bad JSON (400, -32700)', r.error ?? `http ${r.status} code ${code}`, (r.text ?? '').slice(0, 200));
  })],
  ['bad chunked framing (400)', 4, async (ctx) => {
    const bad = oneOf(['zz\r\nhello\r\n0\r\n\r\n', '5\r\nhelloXX\r\n0\r\n\r\n', '-1\r\nx\r\n0\r\n\r\n']);
    const head = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${ctx.port}\r\nContent-Type: application/json\r\nAccept: ${ACCEPT}\r\n` +
      `Transfer-Encoding: chunked\r\n\r\n`;
    const r = await raw(ctx.port, head + bad, { sockets: ctx.sockets });
    expectStatus(ctx, 'bad chunked framing (400)', r, 400);
  }],
  ['garbage bytes (400 or close)', 4, async (ctx) => {
    const bytes = Buffer.from(Array.from({ length: rand(16, 2048) }, () => rand(0, 255)));
    bytes[0] = rand(0, 31);  // never a method token: the request is malformed from its first byte
    const r = await raw(ctx.port, [bytes, '\r\n\r\n'], { sockets: ctx.sockets });
    if (r.status === 400) ctx.tally.ok('garbage bytes (400 or close)', '400');
    else if (r.status === null && r.how === 'closed') ctx.tally.ok('garbage bytes (400 or close)', 'closed');
    else ctx.tally.bad('garbage bytes (400 or close)', r.status ? `http ${r.status}` : r.how, r.error ?? '');
  }],
  ['unknown session id (404)', 4, async (ctx) => {
    const sid = randHex(32);
    const method = oneOf(['POST', 'GET', 'DELETE']);
    const r = await send(ctx.port, { method, agent: ctx.agent, timeoutMs: 10000,
      headers: method === 'GET' ? getHeaders(sid) : mcpHeaders(sid),
      body: method === 'POST' ? JSON.stringify({ jsonrpc: '2.0', id: ++lastId, method: 'ping' }) : undefined });
    if (r.status === 404) ctx.tally.ok('unknown session id (404)', `${method} 404`);
    else ctx.tally.bad('unknown session id (404)', r.error ?? `${method} http ${r.status}`, (r.text ?? '').slice(0, 200));
  }],
];

function oneOf(list) { return list[rand(0, list.length - 1)]; }

function expectStatus(ctx, kind, r, want) {
  if (r.status === want) ctx.tally.ok(kind, String(want));
  else ctx.tally.bad(kind, r.status ? `http ${r.status}` : r.how, `${r.error ?? ''} ${r.text.slice(0, 120)}`);
}

// Long-lived standalone streams, held for the whole run (they see the
// server's keepalive comments) and ended by DELETE at the end.
export async function longStream(ctx) {
  const kind = 'GET SSE held for the whole run';
  const s = await openSession(ctx, 'long');
  if (!s) return;
  const ctl = {};
  const r = send(ctx.port, { method: 'GET', headers: getHeaders(s.sid), agent: false, ctl, timeoutMs: 1e9 });
  await ctx.stopped;
  await deleteSession(ctx, s.sid, 'DELETE (with GET stream)');
  const end = await Promise.race([r, sleep(5000).then(() => ({ error: 'stream not ended 5 s after DELETE' }))]);
  ctl.req.destroy();
  if (end.error) ctx.tally.bad(kind, end.error, `status ${end.status}`);
  else if (end.status !== 200 || !end.events?.some(isPriming)) ctx.tally.bad(kind, `http ${end.status}`, 'no priming event');
  else ctx.tally.ok(kind, 'ended by DELETE');
}
