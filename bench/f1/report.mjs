// Renders bench/f1/driver.cc results (one JSON object per server) as the F1
// Markdown table.
// Usage: node report.mjs <S> <label>=<result.json> ...
import fs from 'node:fs';

const [S, ...runs] = process.argv.slice(2);
const rows = runs.map((a) => {
  const [label, file] = a.split('=');
  try { return { label, r: JSON.parse(fs.readFileSync(file, 'utf8')) }; } catch { return { label, r: null }; }
});
const f = (x, d = 1) => (x === null || x === undefined ? 'n/a' : Number(x).toFixed(d));
console.log(`| server | streams held of ${S} (2025 + 2026) | time to last delivery ms | first / p50 / p99 ms | delivered (within 5 s); 2025 + 2026 | RSS per idle stream KiB (2025 / 2026) | notes |`);
console.log('|---|---|---|---|---|---|---|');
for (const { label, r } of rows) {
  if (!r) { console.log(`| ${label} | driver failed (see its log) | | | | | |`); continue; }
  if (r.kind === 'null') {
    console.log(`| ${label} | ${r.held} sockets | ${f(r.last_ms)} | ${f(r.first_ms)} / ${f(r.p50_ms)} / ${f(r.p99_ms)} | ${r.delivered} of ${r.target} | n/a | ` +
      'the kernel floor: one thread writes a 200-byte frame to each loopback socket, no MCP |');
    continue;
  }
  const notes = [];
  if (r.trigger === 'wait') notes.push('no trigger: times from the first arrival (first-to-last spread)');
  if (r.trigger_error) notes.push(r.trigger_error.replace(/\|/g, '/'));
  const fails = Object.entries(r.failures ?? {}).sort((x, y) => y[1] - x[1]);
  for (const [m, n] of fails.slice(0, 3)) notes.push(`${n}x ${m.replace(/\|/g, '/')}`);
  if (fails.length > 3) notes.push(`${fails.slice(3).reduce((a, x) => a + x[1], 0)}x other failures`);
  if (r.bad_subscription_id) notes.push(`${r.bad_subscription_id} wrong subscriptionId`);
  if (r.held_at_end !== r.held) notes.push(`${r.held - r.held_at_end} streams closed during the run`);
  notes.push(`set-up ${r.setup_s} s; trigger reply ${f(r.trigger_reply_ms)} ms; driver CPU during delivery ${f(r.driver_cpu_ms, 0)} ms`);
  if (r.driver_floor) notes.push(`driver floor ${f(r.driver_floor.last_ms)} ms (its own time to take in ${r.driver_floor.delivered} queued arrivals)`);
  console.log(`| ${label} | ${r.held} (${r.held_2025} + ${r.held_2026}) | ${r.delivered ? f(r.last_ms) : 'n/a'} | ${f(r.first_ms)} / ${f(r.p50_ms)} / ${f(r.p99_ms)} | ${r.delivered} of ${r.target} (${r.delivered_5s}); ${r.delivered_2025} + ${r.delivered_2026} | ${f(r.kib_per_stream, 2)} (${f(r.kib_per_2025, 2)} / ${f(r.kib_per_2026, 2)}) | ${notes.join('; ')} |`);
}
const by = (l) => rows.find((x) => x.label === l)?.r;
const [m, t, z] = [by('mcpx'), by('ts-v2'), by('C write loop')];
const ratios = [];
if (m?.delivered && t?.delivered) ratios.push(`time to last mcpx/ts-v2 ${(m.last_ms / t.last_ms).toFixed(2)}`, `RSS per stream mcpx/ts-v2 ${(m.kib_per_stream / t.kib_per_stream).toFixed(2)}`);
for (const [l, r] of [['mcpx', m], ['ts-v2', t]]) if (r?.delivered && z?.delivered) ratios.push(`time to last ${l}/C write loop ${(r.last_ms / z.last_ms).toFixed(2)}`);
if (ratios.length) console.log(`\nRatios (same run): ${ratios.join(', ')}.`);
console.log('\nTargets: time to last of 10,000 <= 100 ms; RSS per idle stream <= 8 KiB.');
