// A real, third-party OAuth 2.0 / OpenID Connect authorization server for our tests:
// panva's oidc-provider (npm, pinned by scripts/install-deps.sh), on 127.0.0.1 only.
//
// Run it (Node 22 from the cache; oidc-provider 9 also runs on Node 20, but the tests use 22):
//
//   OIDC_PORT=0 <deps>/node22/node_modules/node/bin/node tests/servers/oidc_provider.mjs
//
// where <deps> is ${CONNECTOR_HARNESS_DEPS:-<repo>/.cache/deps}. When it is ready it prints ONE line
// to stdout, a JSON object, and nothing else ever goes to stdout:
//
//   {"ready":true,"issuer":"http://127.0.0.1:PORT","port":PORT}
//
// Environment:
//   OIDC_PORT               Port on 127.0.0.1 (default 0: a free port, read it from the ready line).
//                           The issuer is http://127.0.0.1:PORT (no trailing slash, no path).
//   OIDC_PROVIDER_MODULE    Where oidc-provider is installed: the npm prefix install-deps.sh uses
//                           (<deps>/oidc-provider) or the package directory itself
//                           (<deps>/oidc-provider/node_modules/oidc-provider). Default:
//                           ${CONNECTOR_HARNESS_DEPS:-<repo>/.cache/deps}/oidc-provider, <repo>
//                           being two directories above this file. (ESM ignores NODE_PATH, so the
//                           module is resolved from that directory and imported by file URL.)
//   OIDC_DEFAULT_RESOURCE   Optional. Resource indicator used when an authorization/token request
//                           names none (without it such requests get an opaque, userinfo-only
//                           access token, as oidc-provider does by default).
//   OIDC_CLIENTS            Optional. JSON array of pre-registered clients in oidc-provider's
//                           client metadata format, e.g.
//                           [{"client_id":"static","client_secret":"s3cret",
//                             "redirect_uris":["https://chatgpt.com/connector_platform_oauth_redirect"],
//                             "grant_types":["authorization_code","refresh_token"],
//                             "token_endpoint_auth_method":"client_secret_post"}]
//   OIDC_VERBOSE=1          Keep oidc-provider's own start-up notices (dev interactions enabled, …)
//                           on stderr; by default they are dropped. Server errors are always
//                           logged to stderr as one line each.
//
// What it is configured to do:
//   * Endpoints (oidc-provider's routes): discovery /.well-known/openid-configuration (and
//     /.well-known/oauth-authorization-server, served by oidc-provider 9.x as well),
//     authorization /auth, token /token, registration /reg, JWKS /jwks, userinfo /me,
//     revocation /token/revocation, introspection /token/introspection, end session /session/end.
//   * Open dynamic client registration (RFC 7591), no initial access token. Registered clients
//     default to token_endpoint_auth_method client_secret_basic (oidc-provider's own default),
//     grant_types [authorization_code], response_types [code]. https redirect URIs (for example
//     https://chatgpt.com/connector_platform_oauth_redirect) and http loopback ones are accepted.
//   * Dev interactions (oidc-provider's built-in, development-only login and consent pages):
//     GET /auth?... -> 303 to /interaction/<uid>, a login form
//       <form action="/interaction/<uid>" method="post"> prompt=login (hidden), login (text, any
//       value, it becomes the account id / sub), password (password, required by the HTML only,
//       never checked), button "Sign-in";
//     POST it -> 303 to /auth/<uid> -> 303 to /interaction/<uid2>, the consent form
//       <form action="/interaction/<uid2>" method="post"> prompt=consent (hidden), button "Continue";
//     POST it -> 303 to /auth/<uid2> -> 303 to redirect_uri?code=...&state=...&iss=<issuer>.
//     Cookies (_interaction, _interaction_resume, _session, and their .sig) carry the flow.
//     GET /interaction/<uid>/abort ends it with error=access_denied.
//   * PKCE required for every client, S256 only (oidc-provider 9 knows no other method).
//   * Scopes: openid offline_access mcp:read mcp:write.
//   * Resource indicators (RFC 8707): any absolute resource URI is accepted; its access token is a
//     JWT (header typ "at+jwt", RS256) with aud = the resource, scope = the granted mcp:* scopes.
//     The granted resource is reused at the token endpoint when the token request names none.
//   * Refresh tokens for every client registered with the refresh_token grant (with or without
//     offline_access). oidc-provider's default rotation policy is kept: a public client (auth
//     method none) gets a new refresh token on every use, and replaying a used one is invalid_grant
//     and revokes the grant; a confidential client gets the same refresh token back (rotated only
//     once 70% of its 14-day lifetime has passed).
//   * Client authentication: client_secret_basic and client_secret_post are interchangeable in
//     oidc-provider 9 (either works whichever was registered); one mechanism per request; a bad
//     secret is 401 invalid_client with WWW-Authenticate: Basic. Unknown scopes are dropped
//     silently. The interaction POSTs need the flow's cookies (without them: 400
//     "interaction session id cookie not found").
//   * RFC 9207: iss on every authorization response; discovery advertises
//     authorization_response_iss_parameter_supported: true.
//   * A fresh RSA-2048 signing key per start (kid in the JWKS); in-memory storage only.
//
// It exits on SIGTERM, SIGINT or SIGHUP, and when its parent process dies (parent pid polled
// every 250 ms), so a test that is killed does not leave it behind.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const LOOPBACK = '127.0.0.1';

function fail(message) {
  process.stderr.write(`oidc_provider.mjs: ${message}\n`);
  process.exit(2);
}

// --- Quiet: oidc-provider prints development notices through console.info / console.warn. ---
if (process.env.OIDC_VERBOSE !== '1') {
  for (const level of ['info', 'warn', 'log']) {
    const original = console[level].bind(console);
    console[level] = (...args) => {
      if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider ')) return;
      original(...args);
    };
  }
}

// --- Exit with the parent, and on signals. ---
let httpServer;
function shutdown(code) {
  if (httpServer) {
    httpServer.closeAllConnections?.();
    httpServer.close();
  }
  process.exit(code);
}
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => shutdown(0));
}
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) shutdown(0);
}, 250).unref();

// --- Find oidc-provider. ---
async function loadProvider() {
  const deps = process.env.CONNECTOR_HARNESS_DEPS || join(repo, '.cache', 'deps');
  const where = process.env.OIDC_PROVIDER_MODULE || join(deps, 'oidc-provider');
  let entry;
  try {
    entry = createRequire(join(resolve(where), 'noop.js')).resolve('oidc-provider');
  } catch {
    fail(`oidc-provider not found from ${where}; run scripts/install-deps.sh or set OIDC_PROVIDER_MODULE`);
  }
  const module = await import(pathToFileURL(entry).href);
  return module.default;
}

// --- Configuration. ---
const portText = process.env.OIDC_PORT ?? '0';
if (!/^\d+$/.test(portText) || Number(portText) > 65535) fail(`bad OIDC_PORT ${portText}`);

let staticClients = [];
if (process.env.OIDC_CLIENTS) {
  try {
    staticClients = JSON.parse(process.env.OIDC_CLIENTS);
  } catch (error) {
    fail(`OIDC_CLIENTS is not JSON: ${error.message}`);
  }
  if (!Array.isArray(staticClients)) fail('OIDC_CLIENTS must be a JSON array');
}
const defaultResourceEnv = process.env.OIDC_DEFAULT_RESOURCE || undefined;

const RESOURCE_SCOPES = 'mcp:read mcp:write';

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: `oidc-${randomBytes(6).toString('hex')}`, use: 'sig', alg: 'RS256' };
}

function configuration() {
  return {
    clients: staticClients,
    jwks: { keys: [signingKey()] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'offline_access', 'mcp:read', 'mcp:write'],
    claims: { openid: ['sub'] },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: 'RS256',
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true, initialAccessToken: false },
      revocation: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? defaultResourceEnv,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => ({
          scope: RESOURCE_SCOPES,
          audience: resourceIndicator,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub }),
    }),
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      Grant: 14 * 24 * 3600,
      IdToken: 3600,
      Interaction: 3600,
      PreAuthorizedCode: 600,
      RefreshToken: 14 * 24 * 3600,
      Session: 14 * 24 * 3600,
    },
    // Allow clientBasedCORS etc. to stay quiet: no browser talks to this server.
    clientBasedCORS: () => false,
  };
}

// --- Start: bind first (so OIDC_PORT=0 works), then build the issuer from the real port. ---
const Provider = await loadProvider();
httpServer = createServer();
httpServer.on('error', (error) => fail(`cannot listen on ${LOOPBACK}:${portText}: ${error.message}`));
await new Promise((resolveListen) => httpServer.listen(Number(portText), LOOPBACK, resolveListen));
const { port } = httpServer.address();
const issuer = `http://${LOOPBACK}:${port}`;

const provider = new Provider(issuer, configuration());
provider.on('server_error', (_ctx, error) => {
  process.stderr.write(`oidc_provider.mjs: server_error: ${error?.stack ?? error}\n`);
});
httpServer.on('request', provider.callback());

process.stdout.write(`${JSON.stringify({ ready: true, issuer, port })}\n`);
