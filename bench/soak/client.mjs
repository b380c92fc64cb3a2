// Client side of the soak test (bench/soak.mjs): HTTP requests with SSE
// parsing (node:http), raw TCP exchanges (node:net), JSON-RPC answer checks and
// the per-kind tally of expected and unexpected outcomes. Standard library only.
import http from 'node:http';
import net from 'node:net';

export const ACCEPT = 'application/json, text/event-stream';
export const VERSION = '2025-11-25';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const rand = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo + 1));
export const randHex = (n) => Array.from({ length: n }, () => rand(0, 15).toString(16)).join('');

// pick([[item, weight], ...]): a weighted random choice.
export function pick(weighted) {
  let x = Math.random() * weighted.reduce((sum, [, w]) => sum + w, 0);
  for (const [item, w] of weighted) if ((x -= w) < 0) return item;
  return weighted[weighted.length - 1][0];
}

function tryJson(text) {
  try { return JSON.parse(text); } catch { return undefined; }
}

// Outcomes per kind of action. An outcome is a short label; unexpected ones
// also keep a few detailed examples for the report.
export class Tally {
  kinds = new Map();
  examples = [];
  #entry(kind) {
    let e = this.kinds.get(kind);
    if (!e) this.kinds.set(kind, (e = { n: 0, expected: 0, unexpected: 0, outcomes: new Map() }));
    return e;
  }
  #count(e, label) { e.n++; e.outcomes.set(label, (e.outcomes.get(label) ?? 0) + 1); }
  ok(kind, label = 'ok') { const e = this.#entry(kind); e.expected++; this.#count(e, label); }
  bad(kind, label, detail = '') {
    const e = this.#entry(kind);
    e.unexpected++;
    this.#count(e, `UNEXPECTED ${label}`);
    if (this.examples.length < 30) this.examples.push(`${new Date().toISOString()} ${kind}: ${label} ${detail}`.trim());
  }
  sum(field) { let s = 0; for (const e of this.kinds.values()) s += e[field]; return s; }
}

function parseEvent(block) {
  const ev = { id: null, event: 'message', data: [] };
  let any = false;
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;  // keepalive comments
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    any = true;
    if (field === 'data') ev.data.push(value);
    else if (field === 'id') ev.id = value;
    else if (field === 'event') ev.event = value;
  }
  if (!any) return null;
  ev.data = ev.data.join('\n');
  ev.json = ev.data ? tryJson(ev.data) : undefined;
  return ev;
}

// One HTTP request. Resolves (never rejects) with {status, headers, text,
// events (SSE answers only), error?, stopped?}. onEvent(ev) returning 'stop'
// destroys the connection at once (a client vanishing mid-stream). ctl.req is
// the request, for a caller that wants to destroy it later.
export function send(port, { method = 'POST', path = '/mcp', headers = {}, body, agent, timeoutMs = 10000, onEvent, ctl = {} }) {
  return new Promise((resolve) => {
    let done = false;
    let out = {};
    const finish = (extra) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...out, ...extra });
    };
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const sse = String(res.headers['content-type'] ?? '').startsWith('text/event-stream');
      out = { status: res.statusCode, headers: res.headers, text: '', events: sse ? [] : null };
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        if (!sse) { out.text += chunk; return; }
        buf += chunk;
        for (let i; !done && (i = buf.indexOf('\n\n')) >= 0;) {
          const ev = parseEvent(buf.slice(0, i));
          buf = buf.slice(i + 2);
          if (!ev) continue;
          out.events.push(ev);
          if (onEvent?.(ev) === 'stop') { finish({ stopped: true }); req.destroy(); }
        }
      });
      res.on('end', () => finish({}));
      res.on('close', () => finish(res.complete ? {} : { error: 'aborted mid-response' }));
    });
    ctl.req = req;
    req.on('error', (e) => finish({ error: e.code ?? e.message }));
    const timer = setTimeout(() => { finish({ error: 'timeout' }); req.destroy(); }, timeoutMs);
    req.end(body);
  });
}

function responseComplete(text) {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, end));
  return m ? text.length - end - 4 >= Number(m[1]) : false;
}

// A raw TCP exchange: writes `data` (a string, Buffer or array of them) and
// resolves with {status, text, how, error}. With destroyAfterMs the socket is
// destroyed that long after connecting (a vanishing client); otherwise it waits
// for a whole answer or a close, at most waitMs. pause: never read a byte.
// `sockets` (a Set) tracks open sockets so the caller can destroy leftovers.
export function raw(port, data, { waitMs = 5000, destroyAfterMs, pause = false, sockets } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sockets?.add(sock);
    let text = '';
    let error;
    let done = false;
    const finish = (how) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sockets?.delete(sock);
      sock.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, text, how, error });
    };
    const timer = setTimeout(() => finish(destroyAfterMs != null ? 'destroyed' : 'no answer'), destroyAfterMs ?? waitMs);
    sock.on('connect', () => {
      if (pause) sock.pause();
      for (const piece of [].concat(data)) sock.write(piece);
    });
    sock.on('data', (d) => {
      text += d.toString('latin1');
      if (destroyAfterMs == null && responseComplete(text)) finish('answered');
    });
    sock.on('error', (e) => { error = e.code ?? e.message; });
    sock.on('close', () => finish('closed'));
  });
}

// The text of a raw POST /mcp carrying `body` (a string).
export function rawPost(port, sid, body, extra = '') {
  return `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: ${ACCEPT}\r\n` +
    (sid ? `Mcp-Session-Id: ${sid}\r\nMCP-Protocol-Version: ${VERSION}\r\n` : '') + extra +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

export function mcpHeaders(sid) {
  const h = { 'content-type': 'application/json', accept: ACCEPT };
  if (sid) Object.assign(h, { 'mcp-session-id': sid, 'mcp-protocol-version': VERSION });
  return h;
}

// Judges the answer to a JSON-RPC request with `id`: {ok, msg} for a result,
// {busy} for a 503 with Retry-After, {label, detail} for anything unexpected.
export function judgeRpc(r, id) {
  if (r.error) return { label: r.error, detail: `status ${r.status ?? '-'}` };
  if (r.status === 503) return r.headers['retry-after'] ? { busy: true } : { label: 'http 503 without Retry-After' };
  if (r.status !== 200) return { label: `http ${r.status}`, detail: (r.text ?? '').slice(0, 200) };
  const msg = r.events
    ? r.events.map((e) => e.json).find((j) => j && 'id' in j && !('method' in j))
    : tryJson(r.text);
  if (!msg || typeof msg !== 'object') return { label: 'no JSON-RPC response', detail: (r.text ?? '').slice(0, 200) };
  if (msg.jsonrpc !== '2.0' || msg.id !== id) return { label: 'wrong or missing id', detail: `want ${id}, got ${JSON.stringify(msg.id)}` };
  if (msg.error) return { label: `error ${msg.error.code}`, detail: msg.error.message };
  if (!msg.result || typeof msg.result !== 'object') return { label: 'no result', detail: JSON.stringify(msg).slice(0, 200) };
  return { ok: true, msg };
}

export { tryJson };
