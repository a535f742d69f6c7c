// An MCP resource server built the way the official TypeScript SDK (@modelcontextprotocol/sdk,
// pinned by scripts/install-deps.sh) documents it, trusting an external authorization server — the
// mock IdP in our tests:
//
//   * createMcpExpressApp() (Express with the SDK's localhost Host-header validation),
//   * mcpAuthMetadataRouter() for the Protected Resource Metadata (RFC 9728) and the mirror of the
//     authorization server's metadata the SDK serves next to it,
//   * requireBearerAuth() in front of /mcp, with a token verifier of ours: RS256 JWTs checked
//     with jose against the IdP's JWKS (signature by `kid`, `iss`, `aud` = this server's resource
//     URL, `exp`, `nbf`), every failure thrown as the SDK's InvalidTokenError (401
//     invalid_token), and the SDK's own `expectedResource` check on top,
//   * McpServer + StreamableHTTPServerTransport with sessions (initialize creates one; unknown
//     session ids get 404, requests without one 400; GET opens the SSE stream; DELETE ends it).
//
//   MCP_PORT=8000 IDP_ISSUER=http://127.0.0.1:9000 IDP_JWKS_URI=http://127.0.0.1:9000/jwks \
//     <deps>/node22/node_modules/node/bin/node tests/servers/ts_sdk_resource_server.mjs
//
// Environment:
//   MCP_PORT             required; port on 127.0.0.1 (nothing else is ever bound).
//   IDP_ISSUER           required; the exact `iss` tokens must carry, and the authorization server
//                        the PRM names. Its RFC 8414 metadata
//                        (<issuer>/.well-known/oauth-authorization-server) is fetched at start.
//   IDP_JWKS_URI         required; the IdP's JWKS URL.
//   MCP_AUDIENCE         optional; this server's resource URL, which tokens' `aud` must be (or
//                        contain). Default http://127.0.0.1:MCP_PORT/mcp.
//   MCP_REQUIRED_SCOPES  optional; scopes every request's token must hold (SDK `requiredScopes`,
//                        403 insufficient_scope otherwise, and named in the 401 challenge), space
//                        or comma separated. Default "mcp:read"; set it empty for none.
//   TS_SDK_MODULES       optional; the node_modules holding the SDK and jose (default
//                        ${CONNECTOR_HARNESS_DEPS:-<repo>/.cache/deps}/ts-sdk/node_modules).
//
// Tools: `whoami` (the token's client id, scopes and subject) and `echo` ({text}).
// It prints nothing when ready (poll the port or the PRM); errors go to stderr. It exits on
// SIGTERM, SIGINT or SIGHUP, and when its parent dies (parent pid polled every 250 ms).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const LOOPBACK = '127.0.0.1';
const MCP_PATH = '/mcp';

function fail(message) {
  process.stderr.write(`ts_sdk_resource_server.mjs: ${message}\n`);
  process.exit(2);
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => process.exit(0));
}
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) process.exit(0);
}, 250).unref();

// --- Configuration. ---
function required(name) {
  const value = (process.env[name] ?? '').trim();
  if (!value) fail(`${name} must be set`);
  return value;
}
const portText = required('MCP_PORT');
if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) fail(`MCP_PORT is not a port: ${portText}`);
const port = Number(portText);
const issuer = required('IDP_ISSUER');
const jwksUri = required('IDP_JWKS_URI');
const resourceUrl = new URL(process.env.MCP_AUDIENCE || `http://${LOOPBACK}:${port}${MCP_PATH}`);
const requiredScopes = (process.env.MCP_REQUIRED_SCOPES ?? 'mcp:read').replaceAll(',', ' ').split(/\s+/).filter(Boolean);

// --- The SDK and jose, imported by file URL from the install (ESM ignores NODE_PATH). ---
const deps = process.env.CONNECTOR_HARNESS_DEPS || join(repo, '.cache', 'deps');
const modules = process.env.TS_SDK_MODULES || join(deps, 'ts-sdk', 'node_modules');
async function load(relative) {
  const file = join(modules, relative);
  if (!existsSync(file)) fail(`${file} not found; run scripts/install-deps.sh or set TS_SDK_MODULES`);
  return import(pathToFileURL(file).href);
}
const sdk = (p) => load(join('@modelcontextprotocol', 'sdk', 'dist', 'esm', p));
const { McpServer } = await sdk('server/mcp.js');
const { StreamableHTTPServerTransport } = await sdk('server/streamableHttp.js');
const { createMcpExpressApp } = await sdk('server/express.js');
const { requireBearerAuth } = await sdk('server/auth/middleware/bearerAuth.js');
const { mcpAuthMetadataRouter, getOAuthProtectedResourceMetadataUrl } = await sdk('server/auth/router.js');
const { InvalidTokenError } = await sdk('server/auth/errors.js');
const { isInitializeRequest } = await sdk('types.js');
const { createRemoteJWKSet, jwtVerify } = await load(join('jose', 'dist', 'webapi', 'index.js'));

// --- The authorization server's metadata (the SDK's metadata router needs it). ---
let oauthMetadata;
try {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/oauth-authorization-server`);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  oauthMetadata = await response.json();
} catch (error) {
  fail(`cannot fetch the authorization server metadata of ${issuer}: ${error.message}`);
}

// --- Token verification: the IdP's RS256 JWTs. ---
const jwks = createRemoteJWKSet(new URL(jwksUri));
const verifier = {
  async verifyAccessToken(token) {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer,
        audience: resourceUrl.href,
        algorithms: ['RS256'],
      }));
    } catch (error) {
      throw new InvalidTokenError(`Invalid token: ${error.code ?? error.message}`);
    }
    const audiences = [payload.aud ?? []].flat();
    return {
      token,
      clientId: String(payload.client_id ?? payload.azp ?? ''),
      scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
      expiresAt: payload.exp,
      resource: audiences.includes(resourceUrl.href) ? resourceUrl : undefined,
      extra: { sub: payload.sub, iss: payload.iss },
    };
  },
};

// --- The MCP server. ---
function mcpServer() {
  const server = new McpServer({ name: 'connector-harness-ts-sdk-resource-server', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who the bearer token says the caller is.' }, async (extra) => {
    const auth = extra.authInfo;
    const who = { client_id: auth?.clientId, scopes: auth?.scopes, sub: auth?.extra?.sub };
    return { content: [{ type: 'text', text: JSON.stringify(who) }] };
  });
  return server;
}

const app = createMcpExpressApp();
app.use(
  mcpAuthMetadataRouter({
    oauthMetadata,
    resourceServerUrl: resourceUrl,
    scopesSupported: ['mcp:read', 'mcp:write'],
    resourceName: 'connector-harness TypeScript SDK resource server',
  }),
);
const auth = requireBearerAuth({
  verifier,
  requiredScopes,
  resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(resourceUrl),
  expectedResource: resourceUrl,
});

const sessions = new Map();
const MAX_SESSIONS = 200;

app.post(MCP_PATH, auth, async (req, res) => {
  const sessionId = req.headers['mcp-session-id'];
  try {
    if (sessionId) {
      const transport = sessions.get(sessionId);
      if (!transport) {
        res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
        return;
      }
      await transport.handleRequest(req, res, req.body);
      return;
    }
    if (!isInitializeRequest(req.body)) {
      res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: No valid session ID provided' }, id: null });
      return;
    }
    if (sessions.size >= MAX_SESSIONS) {
      res.status(503).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Too many open sessions' }, id: null });
      return;
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => sessions.set(id, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await mcpServer().connect(transport);
    await transport.handleRequest(req, res, req.body);
  } catch (error) {
    process.stderr.write(`ts_sdk_resource_server.mjs: ${error?.stack ?? error}\n`);
    if (!res.headersSent) {
      res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: null });
    }
  }
});

// GET (the SSE stream) and DELETE (end the session) need a known session.
const sessionRequest = async (req, res) => {
  const sessionId = req.headers['mcp-session-id'];
  if (!sessionId) {
    res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: Mcp-Session-Id required' }, id: null });
    return;
  }
  const transport = sessions.get(sessionId);
  if (!transport) {
    res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
    return;
  }
  await transport.handleRequest(req, res);
};
app.get(MCP_PATH, auth, sessionRequest);
app.delete(MCP_PATH, auth, sessionRequest);

const httpServer = app.listen(port, LOOPBACK, (error) => {
  if (error) fail(`cannot listen on ${LOOPBACK}:${port}: ${error.message}`);
});
httpServer.on('error', (error) => fail(`cannot listen on ${LOOPBACK}:${port}: ${error.message}`));
