// Soak test driver (issue 8), started by bench/soak.sh against a running mcpxd:
//   node bench/soak.mjs --port PORT --pid PID [--seconds 600]
// Runs normal MCP clients with session churn, long-lived and short standalone
// SSE streams and hostile clients (bench/soak/*.mjs) together, samples RSS and
// the /metrics gauges every 5 s, then stops the load, DELETEs every session
// still known, waits for the gauges to return to their baseline and checks:
// server alive, 0 unexpected outcomes, gauges back to baseline, final RSS
// within 10% of the RSS after warm-up. Prints a markdown summary; exits 1 on
// any FAIL. Env: SOAK_CLIENTS (64 normal clients), SOAK_RATE (3000: cap on
// normal requests/s), SOAK_HOSTILE (16 hostile actions at a time),
// SOAK_HOSTILE_RATE (40 hostile actions/s), SOAK_LONG_STREAMS (4),
// SOAK_SHARED (8 sessions the hostile clients misbehave on, replaced
// continuously), SOAK_REPORT
// (also write the summary to this file), SOAK_COMMIT (for the heading).
import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { pick, send, sleep, Tally } from './soak/client.mjs';
import { HOSTILE, longStream, SharedSessions } from './soak/hostile.mjs';
import { deleteSession, normalClient } from './soak/normal.mjs';

const { values: args } = parseArgs({ options: { port: { type: 'string' }, pid: { type: 'string' }, seconds: { type: 'string', default: '600' } } });
const env = (name, def) => Number(process.env[name] ?? def);
const cfg = {
  port: Number(args.port), pid: Number(args.pid), seconds: Number(args.seconds),
  clients: env('SOAK_CLIENTS', 64), rate: env('SOAK_RATE', 3000), hostile: env('SOAK_HOSTILE', 16),
  hostileRate: env('SOAK_HOSTILE_RATE', 40), longStreams: env('SOAK_LONG_STREAMS', 4), shared: env('SOAK_SHARED', 8),
};
if (!cfg.port || !cfg.pid || !(cfg.seconds > 0)) {
  console.error('usage: node bench/soak.mjs --port PORT --pid PID [--seconds 600]');
  process.exit(2);
}
const warmupS = Math.min(60, cfg.seconds * 0.1);
const SAMPLE_MS = 5000;
const GAUGES = [['mcpx_http_connections', 'conns'], ['mcpx_sse_streams', 'sse'], ['mcpx_requests_inflight', 'inflight'],
  ['mcpx_sessions_active', 'sessions'], ['mcpx_worker_queue_depth', 'queue'], ['mcpx_event_store_events', 'events']];

// --- Server probes ---------------------------------------------------------------
function procStatus() {
  try { return fs.readFileSync(`/proc/${cfg.pid}/status`, 'utf8'); } catch { return null; }
}
function alive() {
  const st = procStatus();
  return st !== null && !/^State:\s+[ZX]/m.test(st);
}
function rssKb() {
  const m = /^VmRSS:\s+(\d+)/m.exec(procStatus() ?? '');
  return m ? Number(m[1]) : null;
}
// The gauges, read on a fresh connection (which the connections gauge counts:
// the baseline is read the same way).
async function gauges(names = GAUGES.map(([n]) => n)) {
  const r = await send(cfg.port, { method: 'GET', path: '/metrics', agent: false, timeoutMs: 5000 });
  if (r.status !== 200) return null;
  const g = {};
  for (const name of names) {
    const m = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(r.text);
    g[name] = m ? Number(m[1]) : NaN;
  }
  return g;
}
// Server-side counters for the summary (cross-checks of the tally).
const COUNTERS = ['mcpx_sessions_created_total', 'mcpx_sessions_closed_total', 'mcpx_http_errors_total',
  'mcpx_messages_dropped_total', 'mcpx_sse_events_total', 'mcpx_requests_timed_out_total',
  'mcpx_requests_total{method="tools/call",outcome="cancelled"}', 'mcpx_requests_total{method="tools/call",outcome="error"}'];
const mib = (kb) => (kb == null ? 'n/a' : `${(kb / 1024).toFixed(1)} MiB`);
const gaugeLine = (g) => (g ? GAUGES.map(([n, short]) => `${short} ${g[n]}`).join(' ') : 'metrics unavailable');

// --- Load context ------------------------------------------------------------------
let stop;
const ctx = {
  port: cfg.port,
  // Idle pooled sockets are closed after 30 s, well before the server's 120 s
  // keep-alive timeout, so that no request races the server's close.
  agent: new http.Agent({ keepAlive: true, timeout: 30000 }),
  tally: new Tally(),
  sessions: new Set(),  // every session created and not yet deleted
  sockets: new Set(),   // raw sockets still open
  stopping: false,
  stopped: new Promise((resolve) => { stop = resolve; }),
  wait: (ms) => Promise.race([sleep(ms), ctx.stopped]),
  nextSlot: 0,
  // Spaces normal requests at most cfg.rate per second, across all clients.
  pace: async () => {
    const now = performance.now();
    const slot = Math.max(now, ctx.nextSlot);
    ctx.nextSlot = slot + 1000 / cfg.rate;
    if (slot - now >= 1) await sleep(slot - now);
  },
};

async function hostileLoop() {
  const running = new Set();
  while (!ctx.stopping) {
    if (running.size < cfg.hostile) {
      const p = pick(HOSTILE.map(([, w, fn]) => [fn, w]))(ctx).catch((e) => ctx.tally.bad('script error', e.message));
      running.add(p);
      p.finally(() => running.delete(p));
    }
    await ctx.wait(1000 / cfg.hostileRate);
  }
  await Promise.all(running);
}

// --- Run -------------------------------------------------------------------------------
process.on('uncaughtException', (e) => { console.error('soak.mjs bug:', e); process.exit(2); });

ctx.shared = new SharedSessions(ctx, cfg.shared);
const t0 = performance.now();
const elapsed = () => (performance.now() - t0) / 1000;
const base = { rss: rssKb(), g: await gauges() };
if (!base.g) {
  const r = await send(cfg.port, { method: 'GET', path: '/metrics', agent: false, timeoutMs: 5000 });
  console.error(`FAIL: cannot read /metrics before the load (${r.error ?? `http ${r.status}`})`);
  process.exit(2);
}
console.log(`soak: ${cfg.seconds} s against mcpxd pid ${cfg.pid} on port ${cfg.port}; ${cfg.clients} normal clients (<= ${cfg.rate} req/s), ` +
  `<= ${cfg.hostile} hostile actions at a time (${cfg.hostileRate}/s), ${cfg.longStreams} long streams; warm-up ${warmupS} s`);
console.log(`baseline: rss ${mib(base.rss)} | ${gaugeLine(base.g)}`);

const peak = { rss: base.rss ?? 0, g: { ...base.g } };
let warmRss = null;
let crashedAt = null;
let lastCount = 0;
let lastT = 0;
async function sample() {
  const t = elapsed();
  if (!alive()) {
    if (crashedAt === null) { crashedAt = t; console.log(`[${t.toFixed(0).padStart(4)}s] SERVER PROCESS GONE: stopping the load`); }
    return;
  }
  const rss = rssKb();
  const g = await gauges();
  peak.rss = Math.max(peak.rss, rss ?? 0);
  if (g) for (const [n] of GAUGES) peak.g[n] = Math.max(peak.g[n], g[n]);
  const count = ctx.tally.sum('n');
  const rate = (count - lastCount) / Math.max(0.001, t - lastT);
  lastCount = count;
  lastT = t;
  console.log(`[${t.toFixed(0).padStart(4)}s] rss ${mib(rss)} | ${gaugeLine(g)} | ${rate.toFixed(0)} req/s, ` +
    `${ctx.tally.sum('unexpected')} unexpected, ${ctx.sockets.size} raw sockets`);
}

for (let i = 0; i < cfg.shared; i++) await ctx.shared.open();
if (ctx.shared.live.length === 0) { console.error('could not open any session'); process.exit(2); }
const work = [ctx.shared.rotate()];
for (let i = 0; i < cfg.longStreams; i++) work.push(longStream(ctx));
for (let i = 0; i < cfg.clients; i++) work.push(normalClient(ctx, i));
work.push(hostileLoop());
const sampler = setInterval(() => { sample().catch(() => {}); }, SAMPLE_MS);
const warmTimer = setTimeout(() => { warmRss = rssKb(); console.log(`[${elapsed().toFixed(0).padStart(4)}s] warm-up over: rss ${mib(warmRss)}`); }, warmupS * 1000);

const deadline = t0 + cfg.seconds * 1000;
while (performance.now() < deadline && crashedAt === null) {
  await sleep(Math.min(250, Math.max(1, deadline - performance.now())));
  if (!alive()) await sample();  // notes the crash at once
}
const loadSeconds = elapsed();
ctx.stopping = true;
stop();
clearTimeout(warmTimer);
if (warmRss === null) warmRss = rssKb();
console.log(`[${elapsed().toFixed(0).padStart(4)}s] stopping the load`);
const drained = await Promise.race([Promise.all(work).then(() => true), sleep(30000).then(() => false)]);
if (!drained) console.log('some clients were still busy 30 s after the stop');
clearInterval(sampler);
for (const s of ctx.sockets) s.destroy();
ctx.agent.destroy();

// --- Tear-down: DELETE what is left, wait for the gauges ------------------------------------
let leftover = 0;
if (alive()) {
  leftover = ctx.sessions.size;
  for (const sid of [...ctx.sessions]) await deleteSession(ctx, sid, 'DELETE (final sweep)');
  ctx.agent.destroy();
}
const settleT0 = performance.now();
let finalG = null;
while (alive()) {
  finalG = await gauges();
  if (finalG && GAUGES.every(([n]) => finalG[n] === base.g[n])) break;
  if (performance.now() - settleT0 > 30000) break;
  await sleep(250);
}
const settleS = (performance.now() - settleT0) / 1000;
const finalRss = rssKb();
const counters = alive() ? await gauges(COUNTERS) : null;
const isAlive = alive() && crashedAt === null;

// --- Checks and summary ----------------------------------------------------------------------
const t = ctx.tally;
const checks = [
  [isAlive, isAlive ? 'server alive (0 crashes)' : `server process gone${crashedAt !== null ? ` (noticed at ${crashedAt.toFixed(0)} s)` : ''}`],
  [t.sum('unexpected') === 0, `${t.sum('unexpected')} unexpected outcomes`],
  [isAlive && finalG !== null && GAUGES.every(([n]) => finalG[n] === base.g[n]),
    `gauges back to baseline ${finalG ? `(${settleS.toFixed(1)} s after the sweep)` : '(unreadable)'}`],
  [isAlive && finalRss !== null && warmRss !== null && finalRss <= warmRss * 1.10,
    `final RSS ${mib(finalRss)} within 10% of the warm-up RSS ${mib(warmRss)}` +
    (finalRss && warmRss ? ` (${(((finalRss - warmRss) / warmRss) * 100).toFixed(1)}%)` : '')],
];
const total = t.sum('n');
const lines = [];
lines.push(`## Soak test (${new Date().toISOString().slice(0, 10)}, commit ${process.env.SOAK_COMMIT ?? '?'})`, '');
lines.push(`\`bench/soak.sh ${cfg.seconds}\`: mcpxd with default options on loopback; the Node load generator shares the machine ` +
  `(${(await import('node:os')).cpus().length} cores). Load for ${loadSeconds.toFixed(0)} s (warm-up ${warmupS} s): ${cfg.clients} normal clients ` +
  `(session churn, <= ${cfg.rate} req/s), <= ${cfg.hostile} hostile actions at a time, ${cfg.longStreams} GET streams held throughout. ` +
  `${total} requests in all (${(total / loadSeconds).toFixed(0)}/s); ${leftover} sessions left to the final sweep.`, '');
lines.push('| kind | requests | expected | unexpected | outcomes |', '|---|---|---|---|---|');
for (const [kind, e] of [...t.kinds].sort(([a], [b]) => a.localeCompare(b))) {
  const outcomes = [...e.outcomes].map(([label, n]) => `${label}: ${n}`).join(', ');
  lines.push(`| ${kind} | ${e.n} | ${e.expected} | ${e.unexpected} | ${outcomes} |`);
}
lines.push(`| **total** | ${total} | ${t.sum('expected')} | ${t.sum('unexpected')} | |`, '');
lines.push('| RSS baseline | after warm-up | peak (5 s samples) | final |', '|---|---|---|---|');
lines.push(`| ${mib(base.rss)} | ${mib(warmRss)} | ${mib(peak.rss)} | ${mib(finalRss)} |`, '');
lines.push('| gauge | baseline | peak (5 s samples) | final |', '|---|---|---|---|');
for (const [n] of GAUGES) lines.push(`| ${n} | ${base.g[n]} | ${peak.g[n]} | ${finalG ? finalG[n] : 'n/a'} |`);
if (counters) {
  lines.push('', `Server counters at the end: ${COUNTERS.map((n) => `${n} ${counters[n]}`).join(', ')} ` +
    `(the clients opened ${t.kinds.get('initialize')?.outcomes.get('ok') ?? 0} sessions).`);
}
lines.push('', ...checks.map(([ok, what]) => `- ${ok ? 'PASS' : 'FAIL'}: ${what}`));
if (t.examples.length) lines.push('', 'Unexpected outcomes (first 30):', '', ...t.examples.map((x) => `- ${x}`));
const report = lines.join('\n');
console.log(`\n${report}`);
if (process.env.SOAK_REPORT) fs.writeFileSync(process.env.SOAK_REPORT, `${report}\n`);
process.exit(checks.every(([ok]) => ok) ? 0 : 1);
