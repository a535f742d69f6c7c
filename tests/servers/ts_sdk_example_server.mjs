// The official MCP TypeScript SDK's own example server, unchanged, kept on 127.0.0.1:
// @modelcontextprotocol/sdk's dist/esm/examples/server/simpleStreamableHttp.js, run with --oauth
// (the SDK's demo in-memory authorization server on a second port, with DCR, PKCE and token
// introspection; the MCP server checks tokens by introspecting them there).
//
//   MCP_PORT=8000 <deps>/node22/node_modules/node/bin/node tests/servers/ts_sdk_example_server.mjs --oauth
//
// where <deps> is ${CONNECTOR_HARNESS_DEPS:-<repo>/.cache/deps} (scripts/install-deps.sh installs
// the SDK, pinned, into <deps>/ts-sdk). Every argument is handed to the example as it is
// (`--oauth`, `--oauth-strict`).
//
// What this wrapper adds, and nothing else:
//   * Loopback only. The example calls `app.listen(MCP_PORT)` and `authApp.listen(MCP_AUTH_PORT)`,
//     which listen on every interface. ./loopback_only.mjs (imported first) rewrites every TCP
//     listen that names no host to 127.0.0.1. The example's URLs say `localhost`, which is
//     127.0.0.1 here.
//   * A free port for the demo authorization server when MCP_AUTH_PORT is unset or 0 (the example
//     would take 3001), so concurrent runs do not collide. It is bound on 127.0.0.1 and released
//     just before the example binds it.
//   * It exits on SIGTERM, SIGINT or SIGHUP, and when its parent dies (parent pid polled every
//     250 ms), so a killed test leaves nothing behind.
//
// Environment:
//   MCP_PORT         required; the MCP server's port (its URL is http://localhost:MCP_PORT/mcp).
//   MCP_AUTH_PORT    optional; the demo authorization server's port (issuer
//                    http://localhost:MCP_AUTH_PORT/); default: a free port.
//   TS_SDK_MODULES   optional; the node_modules directory holding @modelcontextprotocol/sdk
//                    (default <deps>/ts-sdk/node_modules).
//
// The example logs every request to stdout; this wrapper prints nothing of its own.
import './loopback_only.mjs';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const LOOPBACK = '127.0.0.1';

function fail(message) {
  process.stderr.write(`ts_sdk_example_server.mjs: ${message}\n`);
  process.exit(2);
}

for (const signal of ['SIGTERM', 'SIGHUP']) {
  process.on(signal, () => process.exit(0));
}
// SIGINT: the example has its own handler (it closes its sessions and exits).
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) process.exit(0);
}, 250).unref();

if (!/^\d+$/.test(process.env.MCP_PORT ?? '') || Number(process.env.MCP_PORT) > 65535) {
  fail(`MCP_PORT must be a port, got ${JSON.stringify(process.env.MCP_PORT)}`);
}

async function freeLoopbackPort() {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

if (!process.env.MCP_AUTH_PORT || process.env.MCP_AUTH_PORT === '0') {
  process.env.MCP_AUTH_PORT = String(await freeLoopbackPort());
}

const deps = process.env.CONNECTOR_HARNESS_DEPS || join(repo, '.cache', 'deps');
const modules = process.env.TS_SDK_MODULES || join(deps, 'ts-sdk', 'node_modules');
const example = join(modules, '@modelcontextprotocol', 'sdk', 'dist', 'esm', 'examples', 'server', 'simpleStreamableHttp.js');
if (!existsSync(example)) {
  fail(`${example} not found; run scripts/install-deps.sh or set TS_SDK_MODULES`);
}
await import(pathToFileURL(example).href);
