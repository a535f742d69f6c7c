#!/usr/bin/env bash
# Install the real MCP servers our Rust tests run (Python packages, via pip).
#
# Creates a venv at ${CONNECTOR_HARNESS_DEPS:-<repo>/.cache/deps}/venv and
# installs the pinned set in scripts/requirements-real-servers.txt into it.
# Idempotent: a marker file in the venv records what was installed, and a
# re-run with the same requirements and Python is skipped at once.
#
# Afterwards the servers run with <deps>/venv/bin/python, e.g.
#   <deps>/venv/bin/python tests/servers/fastmcp_jwt_server.py
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$script_dir")"
deps="${CONNECTOR_HARNESS_DEPS:-$repo/.cache/deps}"
venv="$deps/venv"
requirements="$script_dir/requirements-real-servers.txt"
marker="$venv/.connector-harness-requirements"

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "install-deps: $python not found; install Python 3.10+ with venv support" >&2
    exit 1
fi

# What the marker records: the requirement set and the interpreter it was
# installed for. A change to either triggers a reinstall.
wanted="$(
    "$python" -c 'import sys; print("python", sys.version.split()[0], sys.executable)'
    grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$requirements"
)"

if [[ -f "$marker" && -x "$venv/bin/python" ]] \
    && [[ "$(cat "$marker")" == "$wanted" ]] \
    && "$venv/bin/python" -c '' >/dev/null 2>&1; then
    exit 0
fi

echo "install-deps: installing real MCP servers into $venv" >&2
mkdir -p "$deps"
rm -f "$marker"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi

pip_quiet=(--quiet --disable-pip-version-check --no-input)
"$venv/bin/python" -m pip install "${pip_quiet[@]}" --require-virtualenv -r "$requirements"
"$venv/bin/python" -m pip check >/dev/null

printf '%s\n' "$wanted" >"$marker"
echo "install-deps: done" >&2
