#!/usr/bin/env bash
# Builds and starts the ConsentTrail desktop app on its embedded SQLite database (the default in
# the platform's app-data folder; set CONSENTTRAIL_DB=/path/to/file.db to use another).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
need_app_packages
need_ui_packages
say "building the UI"
(cd "$ROOT/ui" && npm run build)
say "building and starting the app"
cd "$ROOT"
exec cargo run --release -p consent-trail-app --features custom-protocol
