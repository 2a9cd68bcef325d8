#!/usr/bin/env bash
# Installs what building and testing ConsentTrail needs on a fresh Debian/Ubuntu machine, and
# only what is missing: system packages (apt), the Rust lint components, the UI's npm packages.
# Sourced by run-app.sh and test-all.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

say() { printf '\n== %s\n' "$*"; }

apt_install() {
  local missing=("$@")
  ((${#missing[@]})) || return 0
  say "installing system packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Packages the app needs to build and run.
need_app_packages() {
  local missing=()
  pkg-config --exists webkit2gtk-4.1 2>/dev/null || missing+=(libwebkit2gtk-4.1-dev)
  command -v cc >/dev/null || missing+=(build-essential)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  command -v curl >/dev/null || missing+=(curl)
  # Evidence packs need no system fonts: theirs are compiled in (src-tauri/engine/fonts).
  apt_install "${missing[@]}"
  command -v cargo >/dev/null || {
    echo "Rust is required: https://rustup.rs (then re-run)" >&2
    exit 1
  }
  command -v npm >/dev/null || apt_install nodejs npm
  need_node_version
}

# Vite (the UI build) needs the Node.js that ui/package.json's `engines` names; a distribution's
# nodejs package can be older, and then the build fails far from the cause. Stop here instead.
need_node_version() {
  local wanted have
  wanted="$(sed -n 's/.*"node": *">=\([0-9.]*\)".*/\1/p' "$ROOT/ui/package.json")"
  wanted="${wanted:-20.19}"
  have="$(node --version 2>/dev/null | sed 's/^v//')"
  if [ -z "$have" ] || ! version_at_least "$have" "$wanted"; then
    cat >&2 <<MSG
Node.js ${have:-(not found)} is too old: the UI build (Vite) needs Node.js >= $wanted (ui/package.json "engines").
Install a current Node.js LTS, e.g. from https://nodejs.org/en/download (or NodeSource's
Debian/Ubuntu packages, or nvm), make sure \`node --version\` prints v$wanted or later, then re-run.
MSG
    exit 1
  fi
}

# True when dotted version $1 >= $2 (numeric per part: 20.19.0 >= 20.9).
version_at_least() {
  local -a have want
  local i
  IFS=. read -ra have <<<"$1"
  IFS=. read -ra want <<<"$2"
  for i in 0 1 2; do
    local h="${have[i]:-0}" w="${want[i]:-0}"
    ((10#$h > 10#$w)) && return 0
    ((10#$h < 10#$w)) && return 1
  done
  return 0
}

# Packages the tests need on top: the sqlite3 shell (benchmark), PDF tools, the real window.
need_test_packages() {
  need_app_packages
  local missing=()
  command -v sqlite3 >/dev/null || missing+=(sqlite3)
  command -v qpdf >/dev/null || missing+=(qpdf)
  command -v pdftotext >/dev/null || missing+=(poppler-utils)
  # Signed-pack tests make PKCS#12 files with openssl (pdfsig comes with poppler-utils).
  command -v openssl >/dev/null || missing+=(openssl)
  # A pack test traces the CLI to show that it opens no font file.
  command -v strace >/dev/null || missing+=(strace)
  command -v xvfb-run >/dev/null || missing+=(xvfb)
  command -v xauth >/dev/null || missing+=(xauth)
  command -v WebKitWebDriver >/dev/null || missing+=(webkit2gtk-driver)
  command -v python3 >/dev/null || missing+=(python3)
  python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
  apt_install "${missing[@]}"
  # Python tools the tests use, in a venv under target/: the PDF/A validator and selenium.
  local venv="$ROOT/target/test-venv"
  if [ ! -x "$venv/bin/python3" ]; then
    say "creating the test Python environment"
    python3 -m venv "$venv"
  fi
  "$venv/bin/python3" -c 'import page, selenium' 2>/dev/null ||
    "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check page-validation selenium
  export PATH="$venv/bin:$PATH"
  if command -v rustup >/dev/null; then
    rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
  fi
}

# The UI's npm packages, exactly as package-lock.json pins them.
need_ui_packages() {
  if [ ! -d "$ROOT/ui/node_modules" ] || [ "$ROOT/ui/package-lock.json" -nt "$ROOT/ui/node_modules/.package-lock.json" ]; then
    say "installing the UI's npm packages"
    (cd "$ROOT/ui" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
