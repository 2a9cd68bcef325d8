#!/usr/bin/env bash
# Runs inside xvfb-run (see run.sh): starts tauri-driver on free ports, runs the Selenium test,
# and always stops tauri-driver (and the app it started) on the way out.
set -euo pipefail

E2E="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${E2E_PYTHON:?set by run.sh}" "${E2E_LOG_DIR:?set by run.sh}"

# Free ports, so that two runs on one machine do not collide.
read -r PORT NATIVE_PORT < <("$E2E_PYTHON" - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks:
    s.close()
PY
)

tauri-driver --port "$PORT" --native-port "$NATIVE_PORT" >"$E2E_LOG_DIR/tauri-driver.log" 2>&1 &
DRIVER_PID=$!
cleanup() {
  kill "$DRIVER_PID" 2>/dev/null || true
  wait "$DRIVER_PID" 2>/dev/null || true
}
trap cleanup EXIT

export E2E_WEBDRIVER_URL="http://127.0.0.1:$PORT"
"$E2E_PYTHON" "$E2E/test_app.py"
