// An MCP server on the official TypeScript SDK v2 (@modelcontextprotocol/server 2.x, which serves
// MCP 2026-07-28; pinned by scripts/install-deps.sh), wired the way its READMEs and type
// documentation describe, trusting an external authorization server — the mock IdP in our tests:
//
//   * createMcpExpressApp() from @modelcontextprotocol/express (Express with the SDK's localhost
//     Host- and Origin-header validation),
//   * mcpAuthMetadataRouter() for the Protected Resource Metadata (RFC 9728, path-inserted for
//     /mcp) and the mirror of the authorization server's metadata the SDK serves at the root,
//   * requireBearerAuth() from the same package in front of /mcp (every method), with a token
//     verifier of ours — the SDK verifies no JWTs itself: RS256 JWTs checked with jose against
//     the IdP's JWKS (signature by `kid`, `iss`, `aud` = this server's resource URL, `exp`,
//     `nbf`), every failure thrown as the SDK's OAuthError invalid_token (401), and the SDK's own
//     `expectedResource` check on top,
//   * createMcpHandler(factory, { legacy }) — the v2 serving entry — mounted with toNodeHandler()
//     from @modelcontextprotocol/node, the verified AuthInfo passed through as `req.auth`.
//
// The mode is the first argument:
//   modern-only        legacy: 'reject'. Only 2026-07-28 (server/discover, the per-request `_meta`
//                      envelope, no sessions); a 2025-era request (initialize, a request without
//                      the envelope) gets the unsupported-protocol-version error.
//   stateless-legacy   legacy: 'stateless' (the SDK's default). 2026-07-28 as above, and 2025-era
//                      requests each answered by a fresh instance without sessions (GET and DELETE
//                      405).
//
//   MCP_PORT=8000 IDP_ISSUER=http://127.0.0.1:9000 IDP_JWKS_URI=http://127.0.0.1:9000/jwks \
//     <deps>/node22/node_modules/node/bin/node tests/servers/ts_sdk_v2_server.mjs modern-only
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
//                        403 insufficient_scope otherwise), space or comma separated. Default
//                        "mcp:read"; set it empty for none.
//   MCP_AUTH             optional; `none` serves /mcp without requireBearerAuth (the PRM is still
//                        served), for the conformance suite's server leg, which sends no token.
//                        Anything else, or unset: bearer auth as above.
//   TS_SDK_V2_MODULES    optional; the node_modules holding the SDK v2 packages and jose (default
//                        ${CONNECTOR_HARNESS_DEPS:-<repo>/.cache/deps}/ts-sdk-v2/node_modules).
//
// Surface (one factory for both eras, built per request with the caller's AuthInfo):
//   tool `echo` ({text}) — the same for everyone;
//   tool `whoami` — the token's subject, client id and scopes (per user);
//   resource `user://profile` — the caller's subject (per user; cache hint private, ttl 0).
// It prints nothing when ready (poll the port or the PRM); errors go to stderr. It exits on
// SIGTERM, SIGINT or SIGHUP, and when its parent dies (parent pid polled every 250 ms).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const LOOPBACK = '127.0.0.1';
const MCP_PATH = '/mcp';
const MODES = { 'modern-only': 'reject', 'stateless-legacy': 'stateless' };

function fail(message) {
  process.stderr.write(`ts_sdk_v2_server.mjs: ${message}\n`);
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
const mode = process.argv[2];
if (!Object.hasOwn(MODES, mode ?? '')) fail(`the first argument is the mode: ${Object.keys(MODES).join(' or ')}`);
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

// --- The packages, by file URL from the install (ESM ignores NODE_PATH); each entry point is the
// `import` target of the package's exports map. ---
const deps = process.env.CONNECTOR_HARNESS_DEPS || join(repo, '.cache', 'deps');
const modules = process.env.TS_SDK_V2_MODULES || join(deps, 'ts-sdk-v2', 'node_modules');
async function load(relative) {
  const file = join(modules, relative);
  if (!existsSync(file)) fail(`${file} not found; run scripts/install-deps.sh or set TS_SDK_V2_MODULES`);
  return import(pathToFileURL(file).href);
}
const { McpServer, createMcpHandler, fromJsonSchema, OAuthError, OAuthErrorCode } = await load(
  join('@modelcontextprotocol', 'server', 'dist', 'index.mjs'),
);
const { createMcpExpressApp, requireBearerAuth, mcpAuthMetadataRouter, getOAuthProtectedResourceMetadataUrl } =
  await load(join('@modelcontextprotocol', 'express', 'dist', 'index.mjs'));
const { toNodeHandler } = await load(join('@modelcontextprotocol', 'node', 'dist', 'index.mjs'));
const { createRemoteJWKSet, jwtVerify } = await load(join('jose', 'dist', 'webapi', 'index.js'));

// --- The authorization server's metadata (the SDK's metadata router needs it). ---
let oauthMetadata;
try {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/oauth-authorization-server`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  oauthMetadata = await response.json();
} catch (error) {
  fail(`cannot fetch the authorization server metadata of ${issuer}: ${error.message}`);
}

// --- Token verification: the IdP's RS256 JWTs. ---
const jwks = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5_000 });
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
      throw new OAuthError(OAuthErrorCode.InvalidToken, `Invalid token: ${error.code ?? error.message}`);
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

// --- The MCP server: one factory for both eras, per request, with the caller's AuthInfo. ---
function textResult(value) {
  return { content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }] };
}
function factory({ authInfo }) {
  const server = new McpServer({ name: 'connector-harness-ts-sdk-v2-server', version: '1.0.0' });
  const who = () => ({ sub: authInfo?.extra?.sub, client_id: authInfo?.clientId, scopes: authInfo?.scopes });
  server.registerTool(
    'echo',
    {
      description: 'Returns its text argument.',
      inputSchema: fromJsonSchema({
        type: 'object',
        properties: { text: { type: 'string', maxLength: 4096 } },
        required: ['text'],
        additionalProperties: false,
      }),
    },
    async ({ text }) => textResult(text),
  );
  server.registerTool('whoami', { description: 'Who the bearer token says the caller is.' }, async () =>
    textResult(who()),
  );
  server.registerResource(
    'profile',
    'user://profile',
    { description: 'The caller’s profile (per user).', mimeType: 'application/json', cacheHint: { cacheScope: 'private', ttlMs: 0 } },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(who()) }] }),
  );
  return server;
}

const handler = createMcpHandler(factory, {
  legacy: MODES[mode],
  maxRequestBodySize: 256 * 1024,
  onerror: (error) => process.stderr.write(`ts_sdk_v2_server.mjs: ${error?.message ?? error}\n`),
});

const app = createMcpExpressApp({ jsonLimit: '256kb' });
app.use(
  mcpAuthMetadataRouter({
    oauthMetadata,
    resourceServerUrl: resourceUrl,
    scopesSupported: ['mcp:read', 'mcp:write'],
    resourceName: 'connector-harness TypeScript SDK v2 server',
  }),
);
const auth = requireBearerAuth({
  verifier,
  requiredScopes,
  resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(resourceUrl),
  expectedResource: resourceUrl,
});
// toNodeHandler reads the verified AuthInfo from `req.auth` (set by requireBearerAuth) and the
// parsed body from its third argument.
const serve = toNodeHandler(handler, {
  onerror: (error) => process.stderr.write(`ts_sdk_v2_server.mjs: ${error?.stack ?? error}\n`),
});
const noAuth = (process.env.MCP_AUTH ?? '').trim() === 'none';
app.all(MCP_PATH, ...(noAuth ? [] : [auth]), (req, res) => serve(req, res, req.body));

const httpServer = app.listen(port, LOOPBACK, (error) => {
  if (error) fail(`cannot listen on ${LOOPBACK}:${port}: ${error.message}`);
});
httpServer.on('error', (error) => fail(`cannot listen on ${LOOPBACK}:${port}: ${error.message}`));
