// Drives mcpxd with the official TypeScript SDK v2 client
// (@modelcontextprotocol/client) on the 2026-07-28 wire: over Streamable HTTP
// and over stdio, each once with the version pinned to 2026-07-28 and once in
// 'auto' mode (server/discover probe, falling back to initialize). Prints one
// line per check and "N passed, M failed"; exits non-zero on any failure.
// The 2025 wire is covered by sdk_clients.mjs (SDK v1).
//
// Usage: node sdk_v2_clients.mjs <path-to-mcpxd> [--with-mrtr] [--with-listen] [--trace]
//   --with-mrtr    also call the demo tool `ask_name`, which asks for a name
//                  through an input_required (elicitation) result
//   --with-listen  also open a subscriptions/listen stream and expect
//                  notifications/tools/list_changed (after `toggle_bonus_tool`)
//                  and notifications/resources/updated (after `set_motd`)
//   --trace        (or MCPX_E2E_TRACE=1) log every HTTP exchange and every
//                  JSON-RPC message to stderr
import { spawn } from 'node:child_process';
import { once } from 'node:events';

const clientRoot = new URL('../../tools/npm/node_modules/@modelcontextprotocol/client/dist/', import.meta.url);
const { Client, StreamableHTTPClientTransport } = await import(new URL('index.mjs', clientRoot));
const { StdioClientTransport } = await import(new URL('stdio.mjs', clientRoot));

const args = process.argv.slice(2);
const mcpxd = args.find((a) => !a.startsWith('--'));
const WITH_MRTR = args.includes('--with-mrtr');
const WITH_LISTEN = args.includes('--with-listen');
const TRACE = args.includes('--trace') || !!process.env.MCPX_E2E_TRACE;
if (!mcpxd) {
  console.error('usage: node sdk_v2_clients.mjs <path-to-mcpxd> [--with-mrtr] [--with-listen] [--trace]');
  process.exit(2);
}

const MODERN = '2026-07-28';
const STEP_TIMEOUT_MS = 5000; // per request of the optional parts, and per awaited notification
let passed = 0;
let failed = 0;

function check(cond, what, detail = '') {
  if (cond) {
    passed++;
    console.log(`ok   ${what}`);
  } else {
    failed++;
    console.log(`FAIL ${what}${detail ? `: ${detail}` : ''}`);
  }
}

function describe(e) {
  if (!e) return String(e);
  const parts = [`${e.name ?? 'Error'}: ${e.message}`];
  if (e.code !== undefined) parts.push(`code=${JSON.stringify(e.code)}`);
  if (e.data !== undefined) parts.push(`data=${JSON.stringify(e.data)}`);
  if (e.cause) parts.push(`cause=${e.cause?.message ?? e.cause}`);
  return parts.join(' ');
}

// Runs one check whose body may throw: a throw is a failure with the error.
async function step(what, fn) {
  try {
    const [cond, detail] = await fn();
    check(cond, what, detail);
  } catch (e) {
    check(false, what, describe(e));
  }
}

const trace = (label, ...parts) => TRACE && console.error(`[${label}]`, ...parts);

// HTTP: every request and response, SSE bodies chunk by chunk as they arrive.
function tracingFetch(label) {
  return async (url, init) => {
    const h = Object.fromEntries(new Headers(init?.headers).entries());
    trace(label, `>> ${init?.method ?? 'GET'} ${url} ${JSON.stringify(h)} ${init?.body ?? ''}`);
    const res = await fetch(url, init);
    trace(label, `<< ${res.status} ${JSON.stringify(Object.fromEntries(res.headers.entries()))}`);
    if (!res.body) return res;
    const [mine, theirs] = res.body.tee();
    (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of mine) trace(label, `<< body ${JSON.stringify(decoder.decode(chunk, { stream: true }))}`);
      } catch {
        // aborted stream: the client closed it
      }
    })();
    return new Response(theirs, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

// stdio (and HTTP at the JSON-RPC level): every message sent and received.
// Patches the instance, not a subclass: the SDK probes stdio on a sibling
// process only for the base StdioClientTransport.
function traceTransport(label, transport) {
  if (!TRACE) return transport;
  const send = transport.send.bind(transport);
  transport.send = (msg, opts) => {
    trace(label, `-> ${JSON.stringify(msg)}`);
    return send(msg, opts);
  };
  let handler;
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => handler,
    set: (fn) => {
      handler = fn && ((msg, extra) => {
        trace(label, `<- ${JSON.stringify(msg)}`);
        return fn(msg, extra);
      });
    },
  });
  return transport;
}

async function startServer() {
  const child = spawn(mcpxd, ['--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mcpxd did not start: ' + text)), 10000);
    child.stderr.on('data', (d) => {
      text += d;
      if (TRACE) process.stderr.write(`[mcpxd] ${d}`);
      // Only a whole line: stderr may arrive in pieces ("...127.0.0.1:" then the port).
      const m = text.match(/listening on (http:\/\/\S+)\n/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`mcpxd exited ${code}: ${text}`)));
  });
  return { child, url };
}

// Notifications the client received, and waiting for one.
function notificationLog(client) {
  const seen = [];
  const waiters = [];
  const record = (n) => {
    seen.push(n);
    for (const w of [...waiters]) {
      if (w.pred(n)) {
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(n);
      }
    }
  };
  for (const method of ['notifications/tools/list_changed', 'notifications/resources/updated']) {
    client.setNotificationHandler(method, (n) => record({ method, ...n }));
  }
  return {
    seen,
    // Resolves with the first notification (already seen after `from`, or
    // still to come) that matches; undefined after STEP_TIMEOUT_MS.
    waitFor(pred, from = 0) {
      const hit = seen.slice(from).find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve) => {
        const w = { pred, resolve, timer: setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          resolve(undefined);
        }, STEP_TIMEOUT_MS) };
        waiters.push(w);
      });
    },
  };
}

const toolNames = async (client) => (await client.listTools(undefined, { cacheMode: 'bypass' })).tools.map((t) => t.name);

async function exercise(client, label, { transport, pinned }) {
  // Connection facts.
  check(client.getProtocolEra() === 'modern' && client.getNegotiatedProtocolVersion() === MODERN,
    `${label} negotiated ${MODERN}`, `era=${client.getProtocolEra()} version=${client.getNegotiatedProtocolVersion()}`);
  const discovered = client.getDiscoverResult();
  check(discovered?.supportedVersions?.includes(MODERN), `${label} server/discover lists ${MODERN}`,
    JSON.stringify(discovered?.supportedVersions));
  check(client.getServerVersion()?.name === 'mcpxd', `${label} serverInfo`, JSON.stringify(client.getServerVersion()));
  if (transport) check(transport.sessionId === undefined, `${label} no Mcp-Session-Id`, transport.sessionId);

  // Tools.
  await step(`${label} tools/list`, async () => {
    const names = await toolNames(client);
    const want = ['echo', 'add', 'sleep', 'countdown', 'sessions'];
    return [want.every((n) => names.includes(n)), JSON.stringify(names)];
  });
  await step(`${label} tools/call echo`, async () => {
    const r = await client.callTool({ name: 'echo', arguments: { text: `hi ${label}` } });
    return [r.content?.[0]?.text === `hi ${label}` && !r.isError, JSON.stringify(r)];
  });
  await step(`${label} tools/call add structuredContent`, async () => {
    const r = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
    return [r.structuredContent?.sum === 42, JSON.stringify(r)];
  });
  await step(`${label} tools/call countdown with progress`, async () => {
    const progress = [];
    const r = await client.callTool({ name: 'countdown', arguments: { n: 3 } }, {
      onprogress: (p) => progress.push(p.progress),
    });
    // Over stdio the last progress may be dropped by the client when it arrives in
    // the same read as the response (see sdk_clients.mjs); over HTTP all must arrive.
    const want = label.startsWith('stdio') ? [0, 1, 2] : [0, 1, 2, 3];
    const ok = r.content?.[0]?.text === 'liftoff after 3 steps' && want.every((v, i) => progress[i] === v);
    return [ok, `result=${JSON.stringify(r)} progress=${JSON.stringify(progress)}`];
  });
  await step(`${label} tools/call unknown tool is -32602`, async () => {
    try {
      const r = await client.callTool({ name: 'no_such_tool', arguments: {} });
      return [false, `no error: ${JSON.stringify(r)}`];
    } catch (e) {
      return [e.code === -32602, describe(e)];
    }
  });

  // Resources.
  await step(`${label} resources/list`, async () => {
    const r = await client.listResources(undefined, { cacheMode: 'bypass' });
    const uris = r.resources.map((x) => x.uri);
    return [uris.includes('mcpx://about') && uris.includes('mcpx://stats'), JSON.stringify(uris)];
  });
  await step(`${label} resources/read`, async () => {
    const r = await client.readResource({ uri: 'mcpx://about' }, { cacheMode: 'bypass' });
    return [r.contents?.[0]?.text?.includes('mcpxd') && r.contents[0].uri === 'mcpx://about', JSON.stringify(r)];
  });
  await step(`${label} resources/templates/list`, async () => {
    const r = await client.listResourceTemplates(undefined, { cacheMode: 'bypass' });
    return [r.resourceTemplates.some((t) => t.uriTemplate === 'mcpx://greeting/{name}'), JSON.stringify(r)];
  });
  await step(`${label} resources/read template`, async () => {
    const r = await client.readResource({ uri: 'mcpx://greeting/ada' }, { cacheMode: 'bypass' });
    return [r.contents?.[0]?.text === 'Hello, ada!', JSON.stringify(r)];
  });
  await step(`${label} resources/read unknown is -32602`, async () => {
    try {
      const r = await client.readResource({ uri: 'mcpx://no-such-resource' }, { cacheMode: 'bypass' });
      return [false, `no error: ${JSON.stringify(r)}`];
    } catch (e) {
      return [e.code === -32602, describe(e)];
    }
  });

  // Prompts and completion.
  await step(`${label} prompts/list`, async () => {
    const r = await client.listPrompts(undefined, { cacheMode: 'bypass' });
    const p = r.prompts.find((x) => x.name === 'summarize');
    return [p && p.arguments?.some((a) => a.name === 'text' && a.required), JSON.stringify(r)];
  });
  await step(`${label} prompts/get`, async () => {
    const r = await client.getPrompt({ name: 'summarize', arguments: { text: 'abc', style: 'detailed' } });
    const text = r.messages?.[0]?.content?.text ?? '';
    return [text.includes('abc') && text.includes('detailed'), JSON.stringify(r)];
  });
  await step(`${label} completion/complete`, async () => {
    const r = await client.complete({
      ref: { type: 'ref/prompt', name: 'summarize' },
      argument: { name: 'style', value: 'det' },
    });
    return [JSON.stringify(r.completion?.values) === '["detailed"]', JSON.stringify(r)];
  });

  if (WITH_MRTR) await exerciseMrtr(client, label);
  if (WITH_LISTEN) await exerciseListen(client, label);
}

// Multi round trip: ask_name answers tools/call with an input_required result
// holding an elicitation/create request for {name}; the SDK answers it through
// the elicitation handler and retries the call with inputResponses (and the
// requestState echoed); the second answer is the greeting.
async function exerciseMrtr(client, label) {
  const name = `Ada ${label}`;
  const asked = [];
  client.setRequestHandler('elicitation/create', async (request) => {
    asked.push(request.params);
    return { action: 'accept', content: { name } };
  });
  await step(`${label} mrtr: tools/list has ask_name`, async () => {
    const names = await toolNames(client);
    return [names.includes('ask_name'), JSON.stringify(names)];
  });
  await step(`${label} mrtr: ask_name elicits and greets`, async () => {
    const r = await client.callTool({ name: 'ask_name', arguments: {} }, { timeout: STEP_TIMEOUT_MS });
    const schema = asked[0]?.requestedSchema;
    const ok = asked.length === 1 && schema?.properties?.name?.type === 'string' &&
      r.content?.[0]?.text === `Hello, ${name}!` && !r.isError;
    return [ok, `elicitations=${JSON.stringify(asked)} result=${JSON.stringify(r)}`];
  });
}

// subscriptions/listen: one stream asking for tools list changes and updates
// of mcpx://motd; toggle_bonus_tool adds or removes the tool `bonus` (so
// tools/list changes), set_motd {text} sets the text of mcpx://motd.
async function exerciseListen(client, label) {
  const caps = client.getServerCapabilities() ?? {};
  check(caps.tools?.listChanged === true && caps.resources?.subscribe === true,
    `${label} listen: discover declares tools.listChanged and resources.subscribe`, JSON.stringify(caps));
  const log = notificationLog(client);
  let sub;
  await step(`${label} listen: acknowledged`, async () => {
    sub = await client.listen({ toolsListChanged: true, resourceSubscriptions: ['mcpx://motd'] },
      { timeout: STEP_TIMEOUT_MS });
    const f = sub.honoredFilter;
    return [f?.toolsListChanged === true && f?.resourceSubscriptions?.includes('mcpx://motd'), JSON.stringify(f)];
  });
  if (!sub) return;

  await step(`${label} listen: notifications/tools/list_changed after toggle_bonus_tool`, async () => {
    const before = (await toolNames(client)).includes('bonus');
    const from = log.seen.length;
    const r = await client.callTool({ name: 'toggle_bonus_tool', arguments: {} }, { timeout: STEP_TIMEOUT_MS });
    const n = await log.waitFor((x) => x.method === 'notifications/tools/list_changed', from);
    const after = (await toolNames(client)).includes('bonus');
    return [!!n && after === !before, `result=${JSON.stringify(r)} notification=${JSON.stringify(n)} bonus ${before} -> ${after}`];
  });
  await step(`${label} listen: notifications/resources/updated after set_motd`, async () => {
    const text = `motd ${label} ${Date.now()}`;
    const from = log.seen.length;
    const r = await client.callTool({ name: 'set_motd', arguments: { text } }, { timeout: STEP_TIMEOUT_MS });
    const n = await log.waitFor((x) => x.method === 'notifications/resources/updated' && x.params?.uri === 'mcpx://motd', from);
    const read = await client.readResource({ uri: 'mcpx://motd' }, { cacheMode: 'bypass' });
    return [!!n && read.contents?.[0]?.text === text,
      `result=${JSON.stringify(r)} notification=${JSON.stringify(n)} read=${JSON.stringify(read)}`];
  });
  await step(`${label} listen: every notification carries the subscription id`, async () => {
    const bad = log.seen.filter((x) => !x.params?._meta?.['io.modelcontextprotocol/subscriptionId']);
    return [log.seen.length > 0 && bad.length === 0, JSON.stringify(log.seen)];
  });
  await step(`${label} listen: close`, async () => {
    await sub.close();
    const how = await Promise.race([sub.closed, new Promise((r) => setTimeout(() => r('timeout'), STEP_TIMEOUT_MS))]);
    return [how === 'local', how];
  });
}

function newClient(name, pinned) {
  return new Client({ name, version: '1.0.0' }, {
    capabilities: { elicitation: { form: {} } },
    versionNegotiation: { mode: pinned ? { pin: MODERN } : 'auto' },
  });
}

async function httpRun(url, pinned) {
  const label = `http/${pinned ? MODERN : 'auto'}`;
  const transport = traceTransport(label, new StreamableHTTPClientTransport(new URL(url),
    TRACE ? { fetch: tracingFetch(label) } : {}));
  const client = newClient(`e2e-v2-${label}`, pinned);
  await step(`${label} connect`, async () => {
    await client.connect(transport);
    return [true];
  });
  if (client.getProtocolEra()) await exercise(client, label, { transport, pinned });
  await client.close();
}

async function stdioRun(pinned) {
  const label = `stdio/${pinned ? MODERN : 'auto'}`;
  const transport = traceTransport(label, new StdioClientTransport({
    command: mcpxd, args: ['--stdio'], stderr: TRACE ? 'inherit' : 'ignore',
  }));
  const client = newClient(`e2e-v2-${label}`, pinned);
  await step(`${label} connect`, async () => {
    await client.connect(transport);
    return [true];
  });
  if (client.getProtocolEra()) await exercise(client, label, { pinned });
  await client.close();
}

// Never hang a test run: a request the server does not answer fails at the
// SDK's timeout, but a stuck stream could still keep the process alive.
const watchdog = setTimeout(() => {
  check(false, 'finished within 240 s');
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(1);
}, 240000);

const { child, url } = await startServer();
try {
  await httpRun(url, true);
  await httpRun(url, false);
  // 2026-07-28 is stateless: no session was created.
  const metrics = await fetch(url.replace(/\/mcp$/, '/metrics')).then((r) => r.text());
  check(/\nmcpx_sessions_active 0\n/.test(metrics), 'http: no sessions created',
    metrics.match(/\nmcpx_sessions_active \d+/)?.[0]?.trim());
  await stdioRun(true);
  await stdioRun(false);
} catch (e) {
  check(false, 'unexpected error', e?.stack ?? e);
} finally {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  clearTimeout(watchdog);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
