// Shared helpers for the OAuth end-to-end harness: loading the pinned test
// packages from tools/npm/node_modules, argument parsing, JWT bits.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const toolsPkg = new URL('../../../tools/npm/package.json', import.meta.url);
const requireTools = createRequire(toolsPkg);
export const nodeModules = new URL('../../../tools/npm/node_modules/', import.meta.url);

// Imports a package installed under tools/npm (ESM entry where one exists).
export async function load(name) {
  const esmEntries = {
    zod: 'zod/index.js',
  };
  if (esmEntries[name]) return import(new URL(esmEntries[name], nodeModules));
  return import(pathToFileURL(requireTools.resolve(name)));
}

// --name value / --name=value / --flag; repeated names collect into arrays when
// `multi` lists them.
export function parseArgs(argv, { multi = [] } = {}) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out._.push(a);
      continue;
    }
    let [k, v] = a.slice(2).split(/=(.*)/s);
    if (v === undefined) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        v = next;
        i++;
      } else {
        v = true;
      }
    }
    if (multi.includes(k)) (out[k] ??= []).push(v);
    else out[k] = v;
  }
  return out;
}

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const b64urlJson = (obj) => b64url(JSON.stringify(obj));

export function decodeJwt(token) {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
  };
}

// Scopes every MCP tool of the harness needs; the server under test must
// enforce exactly these.
export const TOOL_SCOPES = { echo: 'mcp:tools', admin_only: 'mcp:admin' };
export const ALL_SCOPES = ['mcp:tools', 'mcp:admin'];
