#!/usr/bin/env bash
# The whole nightdesk test suite: unit, state, render snapshot, CLI, pseudo-terminal end to
# end, recorded-response and real-server tests. This is the command the README names and
# .ci/run calls.
#
# Real servers: the Debian packages are installed when missing (needs root and the package
# registry); Alertmanager and Icinga 2 are started by the tests themselves on free ports;
# the heavy shared ones (Zabbix, Request Tracker, Redmine) are started here and stopped
# again on exit, also when a test fails; restic and borg are programs the tests run.
set -euo pipefail
cd "$(dirname "$0")/.."

export INSTA_UPDATE=no      # a changed snapshot fails the run instead of writing .snap.new
export NO_COLOR=            # tests decide about colour themselves

SHARED="zabbix rt redmine"
scripts/services.sh install alertmanager icinga zabbix rt redmine backup
started=()
cleanup() { [ ${#started[@]} -eq 0 ] || scripts/services.sh stop "${started[@]}"; }
trap cleanup EXIT
for s in $SHARED; do
  if ! scripts/services.sh status "$s" | grep -q " running"; then
    scripts/services.sh start "$s"
    started+=("$s")
  fi
done

cargo build --locked --release --bin nightdesk
cargo test --locked --lib --bins --tests
cargo bench --locked --no-run
