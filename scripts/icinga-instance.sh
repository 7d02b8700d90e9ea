#!/usr/bin/env bash
# A self-contained Icinga 2 instance for tests: its own directory, its own CA and
# certificate (for the name `localhost`, so TLS can be verified against the CA), the REST
# API on 127.0.0.1:PORT, passive-only checks, no notifications. Nothing under /etc changes.
#
#   scripts/icinga-instance.sh DIR PORT        prepare DIR (idempotent)
#   scripts/icinga-instance.sh DIR PORT run    prepare, then run the daemon in the foreground
#
# API users: `nightdesk` / `icinga-secret` (all permissions) and `nightdesk-minimal` /
# `icinga-secret` (the minimum docs/sources.md lists). The CA is DIR/lib/certs/ca.crt.
set -euo pipefail
dir=$1 port=$2 mode=${3:-prepare}
mkdir -p "$dir"/{lib/certs,log,cache,spool,run}
defs=(-DConfiguration.DataDir="$dir/lib" -DConfiguration.LogDir="$dir/log"
      -DConfiguration.CacheDir="$dir/cache" -DConfiguration.SpoolDir="$dir/spool"
      -DConfiguration.InitRunDir="$dir/run" -DConfiguration.PidPath="$dir/run/icinga2.pid"
      -DConfiguration.RunAsUser=root -DConfiguration.RunAsGroup=root)
if [ ! -f "$dir/lib/certs/localhost.crt" ]; then
  icinga2 pki new-ca "${defs[@]}" >/dev/null
  icinga2 pki new-cert "${defs[@]}" --cn localhost --key "$dir/lib/certs/localhost.key" \
    --csr "$dir/lib/certs/localhost.csr" >/dev/null
  icinga2 pki sign-csr "${defs[@]}" --csr "$dir/lib/certs/localhost.csr" \
    --cert "$dir/lib/certs/localhost.crt" >/dev/null
  cp "$dir/lib/ca/ca.crt" "$dir/lib/certs/ca.crt"
fi
cat >"$dir/icinga2.conf" <<CONF
const NodeName = "localhost"
const ZoneName = "localhost"
const TicketSalt = ""
const PluginDir = "/usr/lib/nagios/plugins"
object Endpoint NodeName { }
object Zone ZoneName { endpoints = [ NodeName ] }
include <itl>
object FileLogger "main-log" { severity = "information"; path = Configuration.LogDir + "/icinga2.log" }
object CheckerComponent "checker" { }
object IcingaApplication "app" {
  enable_notifications = false; enable_event_handlers = false; enable_flapping = false; enable_perfdata = false
}
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = $port }
object ApiUser "nightdesk" { password = "icinga-secret"; permissions = [ "*" ] }
// Exactly the permissions docs/sources.md lists as nightdesk's minimum.
object ApiUser "nightdesk-minimal" {
  password = "icinga-secret"
  permissions = [
    "status/query",
    "objects/query/Host",
    "objects/query/Service",
    "objects/query/Comment",
    "actions/acknowledge-problem",
    "actions/remove-acknowledgement",
    "actions/schedule-downtime",
    "actions/reschedule-check",
  ]
}
template Host "passive-host" {
  check_command = "dummy"; max_check_attempts = 1; check_interval = 1h; enable_active_checks = false
}
template Service "passive-service" {
  check_command = "passive"; max_check_attempts = 1; check_interval = 1h; enable_active_checks = false
}
CONF
if [ "$mode" = run ]; then
  exec icinga2 daemon -c "$dir/icinga2.conf" "${defs[@]}"
fi
