"""An MCP server built with the official Python SDK (`mcp`, pinned by
scripts/install-deps.sh), protected the way the SDK documents for a resource
server that trusts an external authorization server: `AuthSettings` plus a
`TokenVerifier` of ours. The verifier checks the mock IdP's RS256 JWTs against
its JWKS with PyJWT (signature by `kid`, `iss`, `aud` = this server's resource
URL, `exp`, `nbf`) and reports the token's resource, so the SDK's own
`validate_token_resource` check runs on top.

Run it with the venv that scripts/install-deps.sh makes:

    <deps>/venv/bin/python tests/servers/python_sdk_server.py

Configuration (environment):
    MCP_PORT             required; TCP port, bound on 127.0.0.1 only
    IDP_ISSUER           required; the exact `iss` tokens must carry, and the
                         authorization server the PRM names
    IDP_JWKS_URI         required; the identity provider's JWKS URL
    MCP_AUDIENCE         optional; this server's resource URL (tokens' `aud`
                         must be, or contain, it); default
                         http://127.0.0.1:MCP_PORT/mcp
    MCP_REQUIRED_SCOPES  optional; scopes every token must hold (SDK
                         `required_scopes`: 403 insufficient_scope otherwise),
                         comma or space separated; default "mcp:read", empty
                         for none

Streamable HTTP is served at /mcp; the SDK serves the Protected Resource
Metadata at /.well-known/oauth-protected-resource/mcp. Tools: `whoami`, `echo`.
Logs go to stderr at level WARNING; nothing is printed when the server is ready
(poll the port). It exits when its parent process dies.
"""

from __future__ import annotations

import os
import sys
import threading
import time

HOST = "127.0.0.1"
MCP_PATH = "/mcp"

import anyio  # noqa: E402
import jwt  # noqa: E402  (PyJWT)
from mcp.server.auth.middleware.auth_context import get_access_token  # noqa: E402
from mcp.server.auth.provider import AccessToken  # noqa: E402
from mcp.server.auth.settings import AuthSettings  # noqa: E402
from mcp.server.mcpserver import MCPServer  # noqa: E402


def _fail(message: str) -> None:
    print(f"python_sdk_server: {message}", file=sys.stderr)
    sys.exit(2)


def _required_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        _fail(f"{name} must be set")
    return value


def _port() -> int:
    raw = _required_env("MCP_PORT")
    port = int(raw) if raw.isdigit() else -1
    if not 0 < port < 65536:
        _fail(f"MCP_PORT is not a port: {raw!r}")
    return port


def _exit_with_parent() -> None:
    """A test that is killed must not leave this server behind."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.25)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


class IdpJwtVerifier:
    """The SDK's `TokenVerifier` protocol, for the IdP's RS256 access tokens."""

    def __init__(self, *, jwks_uri: str, issuer: str, audience: str) -> None:
        self.jwks = jwt.PyJWKClient(jwks_uri, cache_keys=True, timeout=5)
        self.issuer = issuer
        self.audience = audience

    def _decode(self, token: str) -> dict:
        key = self.jwks.get_signing_key_from_jwt(token).key
        return jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            issuer=self.issuer,
            audience=self.audience,
            options={"require": ["exp", "iss", "aud"]},
        )

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            # PyJWKClient fetches the JWKS with urllib: keep it off the event loop.
            claims = await anyio.to_thread.run_sync(self._decode, token)
        except (jwt.PyJWTError, ValueError, TypeError):
            return None
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        scope = claims.get("scope")
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id") or claims.get("azp") or ""),
            scopes=scope.split() if isinstance(scope, str) else [],
            expires_at=int(claims["exp"]),
            resource=self.audience if self.audience in audiences else None,
            subject=claims.get("sub"),
            claims={"iss": claims.get("iss")},
        )


def build_server(port: int) -> MCPServer:
    issuer = _required_env("IDP_ISSUER")
    audience = os.environ.get("MCP_AUDIENCE", "").strip() or f"http://{HOST}:{port}{MCP_PATH}"
    raw_scopes = os.environ.get("MCP_REQUIRED_SCOPES", "mcp:read")
    scopes = raw_scopes.replace(",", " ").split() or None
    verifier = IdpJwtVerifier(jwks_uri=_required_env("IDP_JWKS_URI"), issuer=issuer, audience=audience)
    mcp = MCPServer(
        "connector-harness-python-sdk",
        token_verifier=verifier,
        auth=AuthSettings(
            issuer_url=issuer,
            resource_server_url=audience,
            required_scopes=scopes,
            validate_token_resource=True,
        ),
        log_level="WARNING",
    )

    @mcp.tool()
    def whoami() -> dict:
        """Who the bearer token says the caller is."""
        token = get_access_token()
        if token is None:
            return {"authenticated": False}
        return {
            "authenticated": True,
            "sub": token.subject,
            "client_id": token.client_id,
            "scopes": list(token.scopes),
        }

    @mcp.tool()
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    return mcp


def main() -> None:
    port = _port()
    _exit_with_parent()
    mcp = build_server(port)
    mcp.run(transport="streamable-http", host=HOST, port=port, streamable_http_path=MCP_PATH)


if __name__ == "__main__":
    main()
