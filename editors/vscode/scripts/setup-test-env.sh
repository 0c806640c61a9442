#!/usr/bin/env bash
# Install what the real-editor test (tests/editors/test_vscode.py) needs into one cache folder
# that later runs reuse: code-server (a real VS Code workbench, from the npm registry) and the
# extension's node dependencies (languageclient, TypeScript, esbuild, vsce, playwright-core).
# `make test` runs it first (the `editors` target), so nobody has to remember to.
#
# Usage: editors/vscode/scripts/setup-test-env.sh
# Cache: $SUREFIX_EDITOR_CACHE, default ~/.cache/surefix-editors. Each part sits in a folder
# named after its pinned version (or lockfile hash) with an `.installed` marker, so a version
# bump installs next to the old one instead of over it. `ready-<key>` (the key: this script,
# the lockfile and node's version) says both parts were installed and checked: a warm run only
# looks at it and at the tools it vouches for, and reinstalls a part whose tools went missing.
#
# The cache is the tests' own: nothing in editors/vscode points into it. The tests build the
# extension in a temporary copy linked to it, so `npm ci` in editors/vscode (the README's build)
# gets a node_modules of its own and cannot touch the cache.
#
# Needs: node 20 + npm, python3, make, g++ (node-gyp builds code-server's native addons),
# Debian's libkrb5-dev and ripgrep; the browser is Debian's chromium. `.ci/run` installs them.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3   # the newest code-server that runs on node 20 (4.104+ want 22/24)
HERE="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${SUREFIX_EDITOR_CACHE:-$HOME/.cache/surefix-editors}"

fail() { echo "setup-test-env: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "'$1' is missing: $2"; }

command -v node >/dev/null 2>&1 ||
  fail "Node.js 20 is needed for the VS Code tests and 'node' is not on PATH; install Node.js 20 (with npm), then run this again"
NODE_VERSION="$(node --version)"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] ||
  fail "Node.js 20 is needed for the VS Code tests; 'node' is $NODE_VERSION"
need npm "it comes with Node.js"

LOCK_HASH="$(sha256sum "$HERE/package-lock.json" | cut -c1-16)"
DEPS="$CACHE/vscode-extension-deps-$LOCK_HASH"
CODE_SERVER="$CACHE/code-server-$CODE_SERVER_VERSION"
KEY="$(cat "${BASH_SOURCE[0]}" "$HERE/package-lock.json" <(echo "$NODE_VERSION") | sha256sum | cut -c1-16)"
READY="$CACHE/ready-$KEY"

# Versions of this script linked editors/vscode/node_modules into the cache, and `npm ci` there
# then emptied the cache through the link. Drop such a link (the link only, never its target).
if [ -L "$HERE/node_modules" ]; then
  rm "$HERE/node_modules"
fi

deps_complete() {
  [ -f "$DEPS/.installed" ] || return 1
  for tool in tsc esbuild vsce; do
    [ -x "$DEPS/node_modules/.bin/$tool" ] || return 1
  done
  [ -f "$DEPS/node_modules/playwright-core/package.json" ] &&
    [ -f "$DEPS/node_modules/vscode-languageclient/package.json" ]
}

code_server_complete() {
  [ -f "$CODE_SERVER/.installed" ] && [ -x "$CODE_SERVER/node_modules/.bin/code-server" ] &&
    [ -d "$CODE_SERVER/node_modules/code-server/lib/vscode/node_modules" ]
}

if [ -f "$READY" ] && deps_complete && code_server_complete; then
  echo "setup-test-env: ready ($CACHE)"
  exit 0
fi

mkdir -p "$CACHE"
# Installs must never prompt, and native addons must build from source: their prebuilt
# binaries would come from github.com, which CI cannot reach.
export npm_config_yes=true npm_config_build_from_source=true npm_config_fund=false \
  npm_config_audit=false npm_config_update_notifier=false

# code-server's own postinstall runs a nested install whose ripgrep step downloads from
# api.github.com; replay it by hand with Debian's rg instead (see the research notes).
install_code_server() {
  code_server_complete && return 0
  need rg "apt-get install ripgrep"
  need g++ "apt-get install g++"
  [ -e /usr/include/gssapi/gssapi.h ] || fail "apt-get install libkrb5-dev"
  echo "setup-test-env: installing code-server $CODE_SERVER_VERSION into $CODE_SERVER" >&2
  rm -rf "$CODE_SERVER" && mkdir -p "$CODE_SERVER"
  (
    cd "$CODE_SERVER"
    echo '{"private":true}' > package.json
    npm install --ignore-scripts --no-save "code-server@$CODE_SERVER_VERSION"
    npm rebuild argon2 --build-from-source
    cd node_modules/code-server/lib/vscode
    npm install --omit=dev --ignore-scripts
    mkdir -p node_modules/@vscode/ripgrep/bin
    cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
    npm rebuild
    ln -sfn node_modules node_modules.asar
    (cd bin/remote-cli && ln -sfn code-linux.sh code-server)
    (cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
    cd extensions && npm install --omit=dev
  )
  touch "$CODE_SERVER/.installed"
}

# The extension's dependencies, exactly as locked, in a folder named after the lockfile's hash.
install_extension_deps() {
  deps_complete && return 0
  echo "setup-test-env: installing the extension's node dependencies into $DEPS" >&2
  rm -rf "$DEPS" && mkdir -p "$DEPS"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$DEPS/"
  # esbuild picks its platform binary through an optional dependency; no script needed.
  (cd "$DEPS" && npm ci --ignore-scripts)
  touch "$DEPS/.installed"
}

install_extension_deps
install_code_server
deps_complete || fail "the extension's node dependencies in $DEPS are incomplete"
code_server_complete || fail "code-server in $CODE_SERVER is incomplete"
rm -f "$CACHE"/ready-*
touch "$READY"
echo "setup-test-env: code-server: $CODE_SERVER/node_modules/.bin/code-server"
echo "setup-test-env: extension deps: $DEPS/node_modules"
