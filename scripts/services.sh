#!/usr/bin/env bash
# Real servers for nightdesk's integration tests, on a Debian 12 machine (root, no systemd).
#
#   scripts/services.sh install [TARGETS]   apt-get the packages that are missing
#   scripts/services.sh start   [TARGETS]   start on 127.0.0.1 and wait until each answers
#   scripts/services.sh stop    [TARGETS]   stop exactly the processes started here (by PID)
#   scripts/services.sh status  [TARGETS]
#
# TARGETS: alertmanager icinga zabbix rt redmine backup (default: all). Alertmanager and
# Icinga 2 are also started per test by the tests themselves (tests/common/servers.rs) on
# free ports; `start` for them is for trying things by hand. State lives under
# $NIGHTDESK_SVC_DIR (default /tmp/nightdesk-svc); each daemon's PID is in <dir>/<name>.pid.
set -euo pipefail

S=${NIGHTDESK_SVC_DIR:-/tmp/nightdesk-svc}
ALL="alertmanager icinga zabbix rt redmine backup"
export DEBIAN_FRONTEND=noninteractive

# Ports (all on 127.0.0.1); the tests read the same numbers from tests/common/servers.rs.
AM_PORT=19093
ICINGA_PORT=15665
ZABBIX_WEB_PORT=18081
ZABBIX_TRAPPER_PORT=10151
RT_PORT=18080
REDMINE_PORT=13000
REDMINE_KEY=0123456789abcdef0123456789abcdef01234567
RT_ROOT_PASSWORD=ci-secret

say() { printf '[services %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# until_ready SECONDS curl-args...: poll until the server answers with a success status.
until_ready() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  until curl -sf -o /dev/null --max-time 3 "$@"; do
    if [ "$SECONDS" -ge "$end" ]; then say "not ready after ${limit}s: $*"; return 1; fi
    sleep 0.2
  done
}

# launch NAME LOG command...: start in the background, remember the PID.
launch() {
  local name=$1 logfile=$2; shift 2
  nohup "$@" >"$logfile" 2>&1 </dev/null &
  echo $! >"$S/$name.pid"
}

stop_pid() {
  local f="$S/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# ------------------------------------------------------------------ install
packages_of() {
  case $1 in
    alertmanager) echo prometheus-alertmanager ;;
    icinga) echo icinga2 ;;
    zabbix) echo postgresql zabbix-server-pgsql zabbix-frontend-php php-pgsql zabbix-agent ;;
    rt) echo request-tracker5 rt5-db-sqlite rt5-standalone w3m ;;
    redmine) echo redmine redmine-sqlite thin ;;
    backup) echo restic borgbackup ;;
  esac
}

preseed() {
  debconf-set-selections <<'EOF'
request-tracker5 request-tracker5/rtname string ci.example
request-tracker5 request-tracker5/organization string ci.example
request-tracker5 request-tracker5/correspondaddress string rt@ci.example
request-tracker5 request-tracker5/commentaddress string rt-comment@ci.example
request-tracker5 request-tracker5/webbaseurl string http://127.0.0.1:18080
request-tracker5 request-tracker5/webpath string /rt
request-tracker5 request-tracker5/handle-siteconfig-permissions boolean true
request-tracker5 request-tracker5/install-cronjobs boolean false
request-tracker5 request-tracker5/dbconfig-install boolean false
request-tracker5 request-tracker5/database-type select sqlite3
redmine redmine/current-instances string default
redmine redmine/instances/default/dbconfig-install boolean true
redmine redmine/instances/default/database-type select sqlite3
redmine redmine/instances/default/default-language select en
EOF
}

install() {
  # Package scripts must not start daemons (no systemd; init scripts would bind 0.0.0.0).
  if [ ! -x /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
  fi
  local wanted=(curl ca-certificates sqlite3 python3 tmux dbus)
  for t in "$@"; do read -ra p <<<"$(packages_of "$t")"; wanted+=("${p[@]}"); done
  local missing=()
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    preseed
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >"${TMPDIR:-/tmp}/nightdesk-apt.log" 2>&1 \
      || { tail -40 "${TMPDIR:-/tmp}/nightdesk-apt.log"; return 1; }
  fi
  for t in "$@"; do if declare -F "after_install_$t" >/dev/null; then "after_install_$t"; fi; done
}

after_install_redmine() {
  # The Debian Gemfile uses `thin` only when it was installed before Gemfile.lock was made.
  if ! grep -q '^    thin ' /var/lib/redmine/Gemfile.lock 2>/dev/null; then
    (cd /usr/share/redmine && rm -f /var/lib/redmine/Gemfile.lock && bundle install --local --quiet >/dev/null 2>&1)
  fi
  local db=/var/lib/dbconfig-common/sqlite3/redmine/instances/default/redmine_default
  # Keep a pristine copy: every start begins from it, so runs do not see each other's data.
  [ -f "$db.pristine" ] || cp "$db" "$db.pristine"
}

# ------------------------------------------------------------------ alertmanager
start_alertmanager() {
  local d="$S/alertmanager"; mkdir -p "$d/data"
  cat >"$d/alertmanager.yml" <<'EOF'
route:
  receiver: nowhere
  group_by: ['alertname']
receivers:
  - name: nowhere
EOF
  launch alertmanager "$d/log" prometheus-alertmanager --config.file="$d/alertmanager.yml" \
    --storage.path="$d/data" --web.listen-address=127.0.0.1:$AM_PORT --cluster.listen-address=
  until_ready 30 http://127.0.0.1:$AM_PORT/-/ready
}

# ------------------------------------------------------------------ icinga 2
start_icinga() {
  local d="$S/icinga"
  scripts/icinga-instance.sh "$d" $ICINGA_PORT >/dev/null
  launch icinga "$d/log/stdout.log" scripts/icinga-instance.sh "$d" $ICINGA_PORT run
  until_ready 60 --cacert "$d/lib/certs/ca.crt" -u nightdesk:icinga-secret \
    https://localhost:$ICINGA_PORT/v1/status/IcingaApplication
}

# ------------------------------------------------------------------ zabbix 6.0
start_zabbix() {
  local d="$S/zabbix"; mkdir -p "$d"; chmod 755 "$S" "$d"
  if ! pg_lsclusters -h | grep -q ' online '; then
    pg_ctlcluster 15 main start
    touch "$d/postgres-started-here"
  fi
  until su postgres -c 'pg_isready -q'; do sleep 0.2; done
  if ! su postgres -c "psql -tAc \"select 1 from pg_roles where rolname='zabbix'\"" | grep -q 1; then
    su postgres -c "psql -qc \"CREATE USER zabbix WITH PASSWORD 'zabbix'\""
    su postgres -c "createdb -O zabbix -E UTF8 zabbix"
    zcat /usr/share/zabbix-server-pgsql/{schema,images,data}.sql.gz \
      | PGPASSWORD=zabbix psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U zabbix zabbix >"$d/import.log"
  fi
  cat >"$d/zabbix_server.conf" <<EOF
ListenIP=127.0.0.1
ListenPort=$ZABBIX_TRAPPER_PORT
LogType=console
PidFile=$d/zabbix_server.pid
DBHost=127.0.0.1
DBName=zabbix
DBUser=zabbix
DBPassword=zabbix
StartPollers=1
StartPollersUnreachable=1
StartTrappers=2
StartPingers=1
StartDiscoverers=1
StartHTTPPollers=1
StartPreprocessors=1
StartAlerters=1
StartTimers=1
StartEscalators=1
StartDBSyncers=1
CacheSize=16M
CacheUpdateFrequency=5
Timeout=4
AllowRoot=1
StatsAllowedIP=127.0.0.1
EOF
  cat >/etc/zabbix/zabbix.conf.php <<EOF
<?php
\$DB['TYPE'] = 'POSTGRESQL'; \$DB['SERVER'] = '127.0.0.1'; \$DB['PORT'] = '5432';
\$DB['DATABASE'] = 'zabbix'; \$DB['USER'] = 'zabbix'; \$DB['PASSWORD'] = 'zabbix'; \$DB['SCHEMA'] = '';
\$DB['ENCRYPTION'] = false; \$DB['KEY_FILE'] = ''; \$DB['CERT_FILE'] = ''; \$DB['CA_FILE'] = '';
\$DB['VERIFY_HOST'] = false; \$DB['CIPHER_LIST'] = '';
\$DB['VAULT_URL'] = ''; \$DB['VAULT_DB_PATH'] = ''; \$DB['VAULT_TOKEN'] = '';
\$DB['DOUBLE_IEEE754'] = true;
\$ZBX_SERVER = '127.0.0.1'; \$ZBX_SERVER_PORT = '$ZABBIX_TRAPPER_PORT'; \$ZBX_SERVER_NAME = 'nightdesk-ci';
\$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
EOF
  launch zabbix "$d/server.log" zabbix_server -f -c "$d/zabbix_server.conf"
  PHP_CLI_SERVER_WORKERS=4 launch zabbix-web "$d/php.log" php -S 127.0.0.1:$ZABBIX_WEB_PORT -t /usr/share/zabbix
  until_ready 60 -H 'Content-Type: application/json-rpc' http://127.0.0.1:$ZABBIX_WEB_PORT/api_jsonrpc.php \
    -d '{"jsonrpc":"2.0","method":"apiinfo.version","params":{},"id":1}'
  local end=$((SECONDS + 60))
  until grep -q 'started \[trapper #1\]' "$d/server.log"; do
    [ "$SECONDS" -lt "$end" ] || { say "zabbix trapper did not start"; tail -20 "$d/server.log"; return 1; }
    sleep 0.2
  done
}
stop_zabbix() {
  stop_pid zabbix-web; stop_pid zabbix
  if [ -f "$S/zabbix/postgres-started-here" ]; then
    pg_ctlcluster 15 main stop || true
    rm -f "$S/zabbix/postgres-started-here"
  fi
}

# ------------------------------------------------------------------ request tracker 5
start_rt() {
  local d="$S/rt"; mkdir -p "$d"
  cat >/etc/request-tracker5/RT_SiteConfig.d/99-nightdesk.pm <<EOF
Set(\$DatabaseType, "SQLite");
Set(\$DatabaseName, \$ENV{NIGHTDESK_RT_DB} || "$d/rt.db");
Set(\$WebPath, "");
Set(\$WebDomain, "127.0.0.1");
Set(\$WebPort, $RT_PORT);
Set(\$WebBaseURL, "http://127.0.0.1:$RT_PORT");
Set(\$LogToSTDERR, "warning");
Set(\$LogToSyslog, undef);
Set(\$MailCommand, "mbox");
Set(@ReferrerWhitelist, qw(127.0.0.1:$RT_PORT localhost:$RT_PORT));
1;
EOF
  export NIGHTDESK_RT_DB="$d/rt.db"
  # A fresh database per start: tests create their own queues and tickets.
  rm -f "$NIGHTDESK_RT_DB"
  echo "$RT_ROOT_PASSWORD" >"$d/rootpw"
  rt-setup-database-5 --action init --skip-create --root-password-file "$d/rootpw" >"$d/init.log" 2>&1 \
    || { tail -20 "$d/init.log"; return 1; }
  launch rt "$d/rt.log" /usr/share/request-tracker5/libexec/rt-server --host 127.0.0.1 --port $RT_PORT --max-workers 2
  until_ready 120 -u "root:$RT_ROOT_PASSWORD" http://127.0.0.1:$RT_PORT/REST/2.0/rt
}

# ------------------------------------------------------------------ redmine 5
start_redmine() {
  mkdir -p "$S/redmine"
  local db=/var/lib/dbconfig-common/sqlite3/redmine/instances/default/redmine_default
  [ -f "$db.pristine" ] || cp "$db" "$db.pristine"
  cp "$db.pristine" "$db"
  python3 - "$db" "$REDMINE_KEY" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("delete from settings where name='rest_api_enabled'")
c.execute("insert into settings(name,value,updated_on) values('rest_api_enabled','1',datetime('now'))")
c.execute("update users set must_change_passwd=0 where login='admin'")
c.execute("delete from tokens where action='api' and user_id=1")
c.execute("insert into tokens(user_id,action,value,created_on,updated_on) values(1,'api',?,datetime('now'),datetime('now'))", (sys.argv[2],))
c.commit()
EOF
  rm -f "$S/redmine/server.pid"
  (cd /usr/share/redmine && REDMINE_INSTANCE=default exec nohup bundle exec rails server -e production \
      -b 127.0.0.1 -p $REDMINE_PORT -P "$S/redmine/server.pid" >"$S/redmine/log" 2>&1 </dev/null) &
  echo $! >"$S/redmine.pid"
  until_ready 120 -H "X-Redmine-API-Key: $REDMINE_KEY" http://127.0.0.1:$REDMINE_PORT/users/current.json
}

start_backup() { :; }   # restic and borg are programs, not servers; tests make their repositories
stop_backup() { :; }

# ------------------------------------------------------------------ main
mkdir -p "$S"
cd "$(dirname "$0")/.."
action=${1:-}; shift || true
targets=${*:-$ALL}
case $action in
  install) # shellcheck disable=SC2086
           install $targets ;;
  start)   for t in $targets; do
             if [ -f "$S/$t.pid" ] && kill -0 "$(cat "$S/$t.pid")" 2>/dev/null; then
               say "$t already running (pid $(cat "$S/$t.pid"))"; continue
             fi
             t0=$SECONDS; "start_$t"; say "$t ready in $((SECONDS - t0))s"
           done ;;
  stop)    for t in $targets; do if declare -F "stop_$t" >/dev/null; then "stop_$t"; else stop_pid "$t"; fi; done ;;
  status)  for t in $targets; do
             f="$S/$t.pid"
             if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then echo "$t running (pid $(cat "$f"))"; else echo "$t stopped"; fi
           done ;;
  *) echo "usage: $0 install|start|stop|status [$ALL]" >&2; exit 2 ;;
esac
