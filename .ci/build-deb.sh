#!/usr/bin/env bash
# Builds the ConsentTrail desktop app as a Debian package, offline once the crates and npm
# packages are fetched: target/release/bundle/deb/ConsentTrail_<version>_<arch>.deb. The Tauri
# CLI comes from ui/node_modules (@tauri-apps/cli, pinned by package-lock.json); it runs the UI
# build (tauri.conf.json beforeBuildCommand) and a release build with the embedded UI, then
# checks the package holds the binary, the desktop entry and the icons.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
need_app_packages
need_ui_packages
cd "$ROOT"

say "building the .deb (release build)"
# The root manifest is also the workspace, whose default members are the engine and the CLI:
# name the app package for the runner (cargo).
ui/node_modules/.bin/tauri build --bundles deb --ci -- -p consent-trail-app

deb="$(ls -t target/release/bundle/deb/*.deb | head -n 1)"
say "checking $deb"
contents="$(dpkg-deb --contents "$deb")"
for expected in usr/bin/consent-trail-app usr/share/applications/ConsentTrail.desktop \
  usr/share/icons/hicolor/128x128/apps/consent-trail-app.png; do
  grep -q "$expected" <<<"$contents" || {
    echo "the package lacks $expected" >&2
    exit 1
  }
done
dpkg-deb --field "$deb" Package Version Depends
say "built $deb"
