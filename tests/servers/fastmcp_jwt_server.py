"""A real FastMCP server protected by FastMCP's own JWT verifier.

Run it with the venv that scripts/install-deps.sh makes:

    <deps>/venv/bin/python tests/servers/fastmcp_jwt_server.py

Configuration (environment):
    MCP_PORT             required; TCP port, bound on 127.0.0.1 only
    IDP_JWKS_URI         required; the identity provider's JWKS URL
    IDP_ISSUER           required; the exact `iss` tokens must carry
    MCP_AUDIENCE         required; this server's resource URL, e.g.
                         http://127.0.0.1:PORT/mcp; tokens' `aud` must be
                         (or, for an array, contain) this exact string
    MCP_REQUIRED_SCOPES  optional; scopes every token must carry, comma or
                         space separated

Streamable HTTP is served at /mcp. Tools: `whoami`, `echo`, and `write_note`,
tagged `write`, which needs the `mcp:write` scope through FastMCP's
authorization middleware (`AuthMiddleware(auth=restrict_tag("write",
scopes=["mcp:write"]))`, the server-level check FastMCP documents as reporting a
scope shortfall), so a token without it meets FastMCP's insufficient-scope
handling. (A per-tool `auth=require_scopes(...)` would hide the tool instead:
it answers "Unknown tool".) Tokens are checked by
fastmcp.server.auth.providers.jwt.JWTVerifier (RS256, keys from the JWKS,
looked up by `kid`). This is a verifier-only setup: FastMCP serves no
protected resource metadata for it. Logs go to stderr at level WARNING;
nothing is printed when the server is ready (poll the port).
"""

from __future__ import annotations

import os
import sys

HOST = "127.0.0.1"
MCP_PATH = "/mcp"
LOG_LEVEL = "WARNING"

# FastMCP reads its settings from the environment when it is imported.
os.environ.setdefault("FASTMCP_LOG_LEVEL", LOG_LEVEL)
os.environ.setdefault("FASTMCP_SHOW_SERVER_BANNER", "false")
os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")

from fastmcp import FastMCP  # noqa: E402
from fastmcp.server.auth.providers.jwt import JWTVerifier  # noqa: E402
from fastmcp.server.auth import restrict_tag  # noqa: E402
from fastmcp.server.dependencies import get_access_token  # noqa: E402
from fastmcp.server.middleware import AuthMiddleware  # noqa: E402


def _required_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        print(f"fastmcp_jwt_server: {name} must be set", file=sys.stderr)
        sys.exit(2)
    return value


def _port() -> int:
    raw = _required_env("MCP_PORT")
    try:
        port = int(raw)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        print(f"fastmcp_jwt_server: MCP_PORT is not a port: {raw!r}", file=sys.stderr)
        sys.exit(2)
    return port


def _required_scopes() -> list[str] | None:
    raw = os.environ.get("MCP_REQUIRED_SCOPES", "")
    scopes = raw.replace(",", " ").split()
    return scopes or None


def build_server() -> FastMCP:
    verifier = JWTVerifier(
        jwks_uri=_required_env("IDP_JWKS_URI"),
        issuer=_required_env("IDP_ISSUER"),
        audience=_required_env("MCP_AUDIENCE"),
        algorithm="RS256",
        required_scopes=_required_scopes(),
    )
    mcp = FastMCP(
        "connector-harness-fastmcp-jwt",
        auth=verifier,
        middleware=[AuthMiddleware(auth=restrict_tag("write", scopes=["mcp:write"]))],
    )

    @mcp.tool
    def whoami() -> dict:
        """Who the bearer token says the caller is."""
        token = get_access_token()
        if token is None:
            return {"authenticated": False}
        return {
            "authenticated": True,
            "sub": token.claims.get("sub"),
            "client_id": token.client_id,
            "scopes": list(token.scopes),
            "iss": token.claims.get("iss"),
            "aud": token.claims.get("aud"),
        }

    @mcp.tool
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    @mcp.tool(tags={"write"})
    def write_note(text: str) -> str:
        """Pretend to store a note; needs the mcp:write scope."""
        return f"noted: {text}"

    return mcp


def main() -> None:
    port = _port()
    mcp = build_server()
    mcp.run(
        transport="http",
        show_banner=False,
        host=HOST,
        port=port,
        path=MCP_PATH,
        log_level=LOG_LEVEL,
    )


if __name__ == "__main__":
    main()
