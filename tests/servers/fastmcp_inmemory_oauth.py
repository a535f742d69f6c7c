"""A real FastMCP server that is its own authorization server, with FastMCP's
built-in in-memory OAuth provider
(fastmcp.server.auth.providers.in_memory.InMemoryOAuthProvider): dynamic client
registration, an authorization endpoint that approves at once (no login page),
PKCE, opaque access and refresh tokens kept in memory, revocation.

Run it with the venv that scripts/install-deps.sh makes:

    <deps>/venv/bin/python tests/servers/fastmcp_inmemory_oauth.py

Configuration (environment):
    MCP_PORT             required; TCP port, bound on 127.0.0.1 only. The
                         server's base URL (issuer, endpoints, resource) is
                         http://127.0.0.1:MCP_PORT
    MCP_REQUIRED_SCOPES  optional; scopes every token must carry (FastMCP
                         `required_scopes`), comma or space separated; default
                         "mcp:read", empty for none
    MCP_VALID_SCOPES     optional; the scopes clients may register with
                         (advertised as scopes_supported), and the scopes a
                         client that registers without `scope` gets (the MCP
                         SDK's registration handler gives such a client
                         `default_scopes`, and without them it may ask for no
                         scope at all); default "mcp:read mcp:write"

Streamable HTTP is served at /mcp; the OAuth routes (/authorize, /token,
/register, /revoke, /.well-known/oauth-authorization-server, the Protected
Resource Metadata) are FastMCP's own. Tools: `whoami`, `echo`. Logs go to
stderr at level WARNING; nothing is printed when the server is ready (poll the
port). It exits when its parent process dies.
"""

from __future__ import annotations

import os
import sys
import threading
import time

HOST = "127.0.0.1"
MCP_PATH = "/mcp"
LOG_LEVEL = "WARNING"

# FastMCP reads its settings from the environment when it is imported.
os.environ.setdefault("FASTMCP_LOG_LEVEL", LOG_LEVEL)
os.environ.setdefault("FASTMCP_SHOW_SERVER_BANNER", "false")
os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")

from fastmcp import FastMCP  # noqa: E402
from fastmcp.server.auth.providers.in_memory import InMemoryOAuthProvider  # noqa: E402
from fastmcp.server.dependencies import get_access_token  # noqa: E402
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions  # noqa: E402


def _fail(message: str) -> None:
    print(f"fastmcp_inmemory_oauth: {message}", file=sys.stderr)
    sys.exit(2)


def _port() -> int:
    raw = os.environ.get("MCP_PORT", "").strip()
    port = int(raw) if raw.isdigit() else -1
    if not 0 < port < 65536:
        _fail(f"MCP_PORT must be a port, got {raw!r}")
    return port


def _scopes(name: str, default: str) -> list[str]:
    return os.environ.get(name, default).replace(",", " ").split()


def _exit_with_parent() -> None:
    """A test that is killed must not leave this server behind."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.25)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def build_server(port: int) -> FastMCP:
    valid = _scopes("MCP_VALID_SCOPES", "mcp:read mcp:write")
    provider = InMemoryOAuthProvider(
        base_url=f"http://{HOST}:{port}",
        client_registration_options=ClientRegistrationOptions(enabled=True, valid_scopes=valid, default_scopes=valid),
        revocation_options=RevocationOptions(enabled=True),
        required_scopes=_scopes("MCP_REQUIRED_SCOPES", "mcp:read") or None,
    )
    mcp = FastMCP("connector-harness-fastmcp-inmemory-oauth", auth=provider)

    @mcp.tool
    def whoami() -> dict:
        """Who the bearer token says the caller is."""
        token = get_access_token()
        if token is None:
            return {"authenticated": False}
        return {"authenticated": True, "client_id": token.client_id, "scopes": list(token.scopes)}

    @mcp.tool
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    return mcp


def main() -> None:
    port = _port()
    _exit_with_parent()
    mcp = build_server(port)
    mcp.run(transport="http", show_banner=False, host=HOST, port=port, path=MCP_PATH, log_level=LOG_LEVEL)


if __name__ == "__main__":
    main()
