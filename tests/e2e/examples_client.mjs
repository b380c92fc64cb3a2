// Drives the programs under examples/ with the official TypeScript SDK client
// over Streamable HTTP: what each example promises, as a client sees it.
// Exits non-zero on the first wrong answer; prints "N passed, M failed".
//
// Usage: node examples_client.mjs <dir>
//   where <dir>/<example>/<example>_server (a build tree's examples/) or
//   <dir>/<example>_server is each of typed_tools, async_progress, resources
//   and prompts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checks } from './checks.mjs';

const sdkRoot = new URL('../../tools/npm/node_modules/@modelcontextprotocol/sdk/dist/esm/', import.meta.url);
const { Client } = await import(new URL('client/index.js', sdkRoot));
const { StreamableHTTPClientTransport } = await import(new URL('client/streamableHttp.js', sdkRoot));
const { ResourceUpdatedNotificationSchema } = await import(new URL('types.js', sdkRoot));

const dir = process.argv[2];
const { check, fail, finish } = checks();

// Starts an example with --http 0 and connects a client to the URL it prints.
async function open(name) {
  const nested = join(dir, name.replace(/_server$/, ''), name);
  const child = spawn(existsSync(nested) ? nested : join(dir, name), ['--http', '0'],
                      { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${text}`)), 10000);
    child.stderr.on('data', (d) => {
      text += d;
      const m = text.match(/listening on (http:\/\/\S+)\n/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`${name} exited ${code}: ${text}`)));
  });
  const client = new Client({ name: 'examples-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return {
    client,
    async close() {
      await client.close();
      child.kill('SIGKILL');
    },
  };
}

async function typedTools() {
  const { client, close } = await open('typed_tools_server');
  const { tools } = await client.listTools();
  const add = tools.find((t) => t.name === 'add');
  check(add?.outputSchema?.properties?.result?.type === 'number', 'add has an outputSchema');
  const forecastTool = tools.find((t) => t.name === 'forecast');
  check(forecastTool?.inputSchema?.properties?.days?.maximum === 7, 'forecast days has its maximum');
  check(JSON.stringify(forecastTool?.inputSchema?.required) === '["city"]', 'forecast requires only city');

  // Integers where the schema says number: once -32603 with every outside client.
  const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 4.75 } });
  check(sum.structuredContent?.result === 6.75, `add structuredContent ${JSON.stringify(sum)}`);
  check(sum.content?.[0]?.text === '{"result":6.75}', `add text ${sum.content?.[0]?.text}`);

  const forecast = await client.callTool({ name: 'forecast', arguments: { city: 'Oslo', days: 2 } });
  check(forecast.structuredContent?.days?.length === 2, 'forecast has 2 days');
  check(forecast.structuredContent?.units === 'celsius', 'forecast units default');

  const atlantis = await client.callTool({ name: 'forecast', arguments: { city: 'Atlantis' } });
  check(atlantis.isError === true && atlantis.content?.[0]?.text?.includes('try a city on land'),
        `ToolError is an error result: ${JSON.stringify(atlantis)}`);
  const missing = await client.callTool({ name: 'forecast', arguments: { days: 2 } });
  check(missing.isError === true && missing.content?.[0]?.text?.includes("'city'"),
        `missing city is an error result naming it: ${JSON.stringify(missing)}`);
  const tooFar = await client.callTool({ name: 'forecast', arguments: { city: 'Oslo', days: 9 } });
  check(tooFar.isError === true && tooFar.content?.[0]?.text?.includes('days'),
        `days over the maximum is an error result naming it: ${JSON.stringify(tooFar)}`);
  const badUnits = await client.callTool({ name: 'forecast', arguments: { city: 'Oslo', units: 'kelvin' } });
  check(badUnits.isError === true, `an unknown enum value is an error result: ${JSON.stringify(badUnits)}`);
  await close();
}

async function asyncProgress() {
  const { client, close } = await open('async_progress_server');
  const progress = [];
  const done = await client.callTool({ name: 'countdown', arguments: { from: 3, step_ms: 10 } }, undefined, {
    onprogress: (p) => progress.push(p.progress),
  });
  check(done.structuredContent?.counted === 3 && done.structuredContent?.cancelled === false,
        `countdown result ${JSON.stringify(done)}`);
  check(JSON.stringify(progress) === '[1,2,3]', `countdown progress ${JSON.stringify(progress)}`);

  // Cancelled after its first step: the client's AbortSignal sends
  // notifications/cancelled and the countdown stops.
  const controller = new AbortController();
  let error = null;
  try {
    await client.callTool({ name: 'countdown', arguments: { from: 50, step_ms: 50 } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort('enough'),
    });
  } catch (e) {
    error = e;
  }
  check(error !== null, 'a cancelled countdown does not complete');
  await close();
}

async function resources() {
  const { client, close } = await open('resources_server');
  const welcome = await client.readResource({ uri: 'notes://welcome' });
  check(welcome.contents?.[0]?.text === 'Hello from mcpx.', 'notes://welcome');
  const file = await client.readResource({ uri: 'files://src/engine/a%20b.cc' });
  check(file.contents?.[0]?.text === 'contents of src/engine/a b.cc', `{+path} spans '/': ${JSON.stringify(file)}`);
  const { resourceTemplates } = await client.listResourceTemplates();
  check(resourceTemplates.some((t) => t.uriTemplate === 'files://{+path}'), 'templates listed');

  const updated = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updated.push(n.params.uri));
  await client.subscribeResource({ uri: 'notes://todo' });
  const saved = await client.callTool({ name: 'write_note', arguments: { title: 'todo', text: 'ship it' } });
  check(saved.content?.[0]?.text === 'Saved notes://todo', 'write_note');
  for (let i = 0; i < 50 && !updated.includes('notes://todo'); i++) await new Promise((r) => setTimeout(r, 20));
  check(updated.includes('notes://todo'), `a subscriber hears of the update: ${JSON.stringify(updated)}`);
  check(!updated.includes('notes://index'), 'and only of what it subscribed to');
  const todo = await client.readResource({ uri: 'notes://todo' });
  check(todo.contents?.[0]?.text === 'ship it', 'the new note reads back');
  let unknown = null;
  try {
    await client.readResource({ uri: 'elsewhere://x' });
  } catch (e) {
    unknown = e;
  }
  check(unknown?.code === -32002, `an unknown URI is -32002: ${unknown}`);
  await close();
}

async function prompts() {
  const { client, close } = await open('prompts_server');
  const { prompts: list } = await client.listPrompts();
  const review = list.find((p) => p.name === 'code_review');
  check(review?.arguments?.length === 3 && review.arguments[0].required === true &&
        review.arguments[2].required === false, `prompt arguments from the struct ${JSON.stringify(review)}`);
  const got = await client.getPrompt({ name: 'code_review', arguments: { language: 'c++', code: 'int x;' } });
  check(got.messages?.[0]?.content?.text?.includes('Review this c++ code, mostly for correctness'),
        'prompts/get');
  const completion = await client.complete({
    ref: { type: 'ref/prompt', name: 'code_review' },
    argument: { name: 'language', value: 'ty' },
  });
  check(JSON.stringify(completion.completion?.values) === '["typescript"]',
        `completion ${JSON.stringify(completion)}`);
  await close();
}

for (const [name, run] of [['typed_tools', typedTools], ['async_progress', asyncProgress],
                           ['resources', resources], ['prompts', prompts]]) {
  try {
    await run();
  } catch (e) {
    fail(`${name}: ${e?.stack ?? e}`);
  }
}
finish();
