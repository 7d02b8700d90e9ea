#!/usr/bin/env bash
# The whole nightdesk test suite: unit, state, render snapshot, CLI and pseudo-terminal
# end-to-end tests. This is the command the README names and .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

export INSTA_UPDATE=no      # a changed snapshot fails the run instead of writing .snap.new
export NO_COLOR=            # tests decide about colour themselves

cargo build --locked --release --bin nightdesk
cargo test --locked --lib --bins --tests
cargo bench --locked --no-run
