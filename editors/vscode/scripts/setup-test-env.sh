#!/usr/bin/env bash
# Install what the real-editor test (tests/editors/test_vscode.py) needs into one cache folder
# that later runs reuse: code-server (a real VS Code workbench, from the npm registry) and the
# extension's node dependencies (languageclient, TypeScript, esbuild, vsce, playwright-core).
#
# Usage: editors/vscode/scripts/setup-test-env.sh
# Cache: $SUREFIX_EDITOR_CACHE, default ~/.cache/surefix-editors. Each part sits in a folder
# named after its pinned version (or lockfile hash) with an `.installed` marker, so a warm run
# only checks markers, and a version bump installs next to the old one instead of over it.
#
# Needs: node 20 + npm, python3, make, g++ (node-gyp builds code-server's native addons),
# Debian's libkrb5-dev and ripgrep; the browser is Debian's chromium. `.ci/run` installs them.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3   # the newest code-server that runs on node 20 (4.104+ want 22/24)
HERE="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${SUREFIX_EDITOR_CACHE:-$HOME/.cache/surefix-editors}"
mkdir -p "$CACHE"

# Installs must never prompt, and native addons must build from source: their prebuilt
# binaries would come from github.com, which CI cannot reach.
export npm_config_yes=true npm_config_build_from_source=true npm_config_fund=false \
  npm_config_audit=false npm_config_update_notifier=false

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "setup-test-env: '$1' is missing ($2)" >&2; exit 1; }
}

# code-server's own postinstall runs a nested install whose ripgrep step downloads from
# api.github.com; replay it by hand with Debian's rg instead (see the research notes).
install_code_server() {
  local dest="$CACHE/code-server-$CODE_SERVER_VERSION"
  [ -f "$dest/.installed" ] && return 0
  need rg "apt-get install ripgrep"
  need g++ "apt-get install g++"
  [ -e /usr/include/gssapi/gssapi.h ] || { echo "setup-test-env: apt-get install libkrb5-dev" >&2; exit 1; }
  rm -rf "$dest" && mkdir -p "$dest"
  (
    cd "$dest"
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
  touch "$dest/.installed"
}

# The extension's dependencies, exactly as locked, in a folder named after the lockfile's hash;
# editors/vscode/node_modules is a link to it.
install_extension_deps() {
  local lock_hash dest
  lock_hash="$(sha256sum "$HERE/package-lock.json" | cut -c1-16)"
  dest="$CACHE/vscode-extension-deps-$lock_hash"
  if [ ! -f "$dest/.installed" ]; then
    rm -rf "$dest" && mkdir -p "$dest"
    cp "$HERE/package.json" "$HERE/package-lock.json" "$dest/"
    (cd "$dest" && npm ci --ignore-scripts)
    # esbuild picks its platform binary through an optional dependency; no script needed.
    touch "$dest/.installed"
  fi
  if [ -e "$HERE/node_modules" ] && [ ! -L "$HERE/node_modules" ]; then
    rm -rf "$HERE/node_modules"
  fi
  ln -sfn "$dest/node_modules" "$HERE/node_modules"
}

need node "node 20 is needed"
need npm "npm is needed"
install_extension_deps
install_code_server
echo "code-server: $CACHE/code-server-$CODE_SERVER_VERSION/node_modules/.bin/code-server"
echo "extension deps: $(readlink "$HERE/node_modules")"
