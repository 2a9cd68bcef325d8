#!/usr/bin/env bash
# End-to-end test of the real ConsentTrail window: WebDriver (tauri-driver + WebKitWebDriver)
# drives the debug build (with the test-only `e2e` feature) under Xvfb through a compliance
# officer's path — drop a folder of multi-system exports, watch the import, find a subject,
# open the timeline, see a finding, make and verify the evidence pack, visit every screen — and
# saves a screenshot of each screen to tests/e2e/artifacts/ (see test_app.py).
#
#   bash tests/e2e/run.sh
#
# Installs what is missing on a Debian machine: the apt packages (libwebkit2gtk-4.1-dev,
# build-essential, pkg-config, xvfb, xauth, webkit2gtk-driver), selenium (pip, in a venv under
# target/ when the system Python is externally managed) and tauri-driver (cargo install).
# Needs Node >= 20.19 and Rust already. Exits non-zero when any step or check fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E="$ROOT/tests/e2e"
ARTIFACTS="$E2E/artifacts"
export PATH="$HOME/.cargo/bin:$PATH"
export PYTHONDONTWRITEBYTECODE=1

log() { printf 'e2e: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

# --- system packages --------------------------------------------------------------------------
missing=()
pkg-config --exists webkit2gtk-4.1 2>/dev/null || missing+=(libwebkit2gtk-4.1-dev)
command -v cc >/dev/null || missing+=(build-essential)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v xvfb-run >/dev/null || missing+=(xvfb)
command -v xauth >/dev/null || missing+=(xauth)
command -v WebKitWebDriver >/dev/null || missing+=(webkit2gtk-driver)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v npm >/dev/null || fail "Node.js (>= 20.19) and npm are required to build ui/"
command -v cargo >/dev/null || fail "Rust (cargo) is required"

# --- selenium ---------------------------------------------------------------------------------
PYTHON="python3"
if ! "$PYTHON" -c 'import selenium, PIL' 2>/dev/null; then
  venv="$ROOT/target/e2e-venv"
  if [ ! -x "$venv/bin/python" ]; then
    if ! python3 -m venv "$venv" 2>/dev/null; then
      log "installing python3-venv"
      sudo=""
      [ "$(id -u)" -eq 0 ] || sudo="sudo"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv
      rm -rf "$venv"
      python3 -m venv "$venv"
    fi
  fi
  PYTHON="$venv/bin/python"
  "$PYTHON" -c 'import selenium, PIL' 2>/dev/null || {
    log "installing selenium"
    "$PYTHON" -m pip install --quiet -r "$E2E/requirements.txt"
  }
fi

# --- tauri-driver -----------------------------------------------------------------------------
if ! command -v tauri-driver >/dev/null; then
  log "installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked
fi

# --- build ------------------------------------------------------------------------------------
log "building the UI"
(
  cd "$ROOT/ui"
  # Installed again when package-lock.json is newer than what node_modules holds (a pull that
  # added a package), not only when node_modules is missing.
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
  npm run build
)
log "building the app (with the test-only drop command)"
(cd "$ROOT" && cargo build -j 2 -p consent-trail-app --features e2e)
APP="$ROOT/target/debug/consent-trail-app"
[ -x "$APP" ] || fail "no binary at $APP"

ENGINE_VERSION="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps --offline |
  "$PYTHON" -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "consenttrail-engine"))')"

# --- run --------------------------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/consenttrail-e2e.XXXXXX")"
# Removing the scratch folder can race the app's last cache writes (WebKit, under XDG_CACHE_HOME):
# try twice, and never let the clean-up decide the test's result.
cleanup_work() {
  rm -rf "$WORK" 2>/dev/null || { sleep 2; rm -rf "$WORK" 2>/dev/null; } || log "could not remove $WORK"
}
trap cleanup_work EXIT
rm -f "$ARTIFACTS"/*.png  # never mistake an old screenshot for this run's
mkdir -p "$ARTIFACTS" "$WORK/xdg/data" "$WORK/xdg/config" "$WORK/xdg/cache"

# A throwaway database and XDG folders: the test never touches the user's own data.
export CONSENTTRAIL_DB="$WORK/workspace/consenttrail.db"
export XDG_DATA_HOME="$WORK/xdg/data" XDG_CONFIG_HOME="$WORK/xdg/config" XDG_CACHE_HOME="$WORK/xdg/cache"
export E2E_APP="$APP" E2E_ENGINE_VERSION="$ENGINE_VERSION" E2E_ARTIFACTS="$ARTIFACTS"
export E2E_PYTHON="$PYTHON" E2E_LOG_DIR="$WORK"

# The folder the test drops: every source system's fixtures plus one large export, so that the
# progress bar has something to show.
DROP="$WORK/consent-exports"
mkdir -p "$DROP"
cp -r "$ROOT/tests/fixtures/exports/." "$DROP/"
# Large enough that the import runs for seconds at today's speed (~55k rows/s in the debug
# build): the test must see the bar move and the rows/s figure while it runs.
E2E_LARGE_ROWS=200000
"$PYTHON" "$E2E/make_large_export.py" "$DROP/web-forms-2022.csv" "$E2E_LARGE_ROWS"
mkdir -p "$WORK/packs" "$WORK/later"
# A second, larger export for the Cancel check (different people, so not already imported).
"$PYTHON" "$E2E/make_large_export.py" "$WORK/later/web-forms-2023.csv" 200000 later
export E2E_DROP_FOLDER="$DROP" E2E_LARGE_ROWS E2E_WORK="$WORK/packs" E2E_CANCEL_FILE="$WORK/later/web-forms-2023.csv"

log "running the WebDriver session under Xvfb"
status=0
xvfb-run -a -s "-screen 0 1280x800x24" bash "$E2E/in_display.sh" || status=$?
if [ "$status" -ne 0 ]; then
  log "tauri-driver log (kept as $ARTIFACTS/tauri-driver.log):"
  cp "$WORK/tauri-driver.log" "$ARTIFACTS/" 2>/dev/null || true
  cat "$WORK/tauri-driver.log" >&2 || true
  fail "the WebDriver session exited with status $status"
fi
log "screenshots: $ARTIFACTS/*.png"
