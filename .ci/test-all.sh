#!/usr/bin/env bash
# Runs every test of ConsentTrail, installing what is missing first: formatting, clippy with
# warnings as errors, all Rust tests (engine, CLI, app IPC), the UI's type check, lint and
# component tests, the end-to-end test in the real window under Xvfb, and the .deb package.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
# When a step fails, say how much disk and memory were left: a build that runs out of either
# fails with a message that may be cut off or name neither.
report_resources() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    say "failed (exit $status); disk and memory at that point"
    df -h "$ROOT" /tmp 2>/dev/null || true
    free -m 2>/dev/null || true
    du -sh "$ROOT/target" 2>/dev/null || true
  fi
}
trap report_resources EXIT
need_test_packages
need_ui_packages
cd "$ROOT"

say "the UI build (embedded by the app)"
(cd ui && npm run build)

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "Rust tests"
cargo test --workspace --locked

# Already run above with the app's tests; named on its own so a stale ui/src/api/generated says so.
say "generated TypeScript types are current (ui/src/api/generated)"
cargo test -p consent-trail-app --lib --locked generated_types

say "UI: type check, lint, component tests"
(cd ui && npm run typecheck && npm run lint && npm test)

say "end to end in the real window"
bash tests/e2e/run.sh

say "packaging: the .deb builds and holds the app, its desktop entry and icons"
bash .ci/build-deb.sh

say "all tests passed"
