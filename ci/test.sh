#!/usr/bin/env bash
# The test command of the README: every unit, integration and scenario test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
# The binaries first: the conformance tests start the real ksn-proxy.
cargo build --workspace --bins --locked
cargo test --workspace --locked
