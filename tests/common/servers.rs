//! Real servers for the connector tests. Alertmanager and Icinga 2 are started per test on
//! a free port in a temporary directory (so a test can stop and restart its own server);
//! the heavy ones (Zabbix, Request Tracker, Redmine) are started once by
//! `scripts/services.sh start` and only looked up here. Every wait is a readiness check.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a server may take to become ready.
pub const READY_PATIENCE: Duration = Duration::from_secs(90);

/// The fixed ports of the shared servers (the same numbers as in scripts/services.sh).
pub const ZABBIX_API: &str = "http://127.0.0.1:18081/api_jsonrpc.php";
pub const ZABBIX_TRAPPER_PORT: u16 = 10151;
pub const RT_URL: &str = "http://127.0.0.1:18080";
pub const RT_ROOT_PASSWORD: &str = "ci-secret";
pub const REDMINE_URL: &str = "http://127.0.0.1:13000";
pub const REDMINE_KEY: &str = "0123456789abcdef0123456789abcdef01234567";

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `ready` until it holds; panics with `what` after [`READY_PATIENCE`].
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < READY_PATIENCE,
            "{what}: not ready after {READY_PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The repository root (for scripts/).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A blocking HTTP client for test set-up (the connectors under test use their own).
pub fn client(ca: Option<&Path>) -> reqwest::blocking::Client {
    let mut b = reqwest::blocking::Client::builder().timeout(Duration::from_secs(20));
    if let Some(ca) = ca {
        let pem = std::fs::read(ca).expect("read ca");
        b = b.add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap());
    }
    b.build().unwrap()
}

fn require(program: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{program}` is not installed: run `scripts/services.sh install` (the test suite, scripts/test-all.sh, does it for you)"
    );
}

/// A process killed when dropped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Daemon {
    fn stop(&mut self) {
        // SIGTERM first, as the real daemons expect; SIGKILL if it does not end.
        let pid = self.0.id() as i32;
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// ---------------------------------------------------------------------------- Alertmanager

/// A Prometheus Alertmanager of this test.
pub struct Alertmanager {
    pub port: u16,
    dir: tempfile::TempDir,
    daemon: Option<Daemon>,
    /// `--cluster.*` arguments; clustering is off unless set.
    cluster: Vec<String>,
}

impl Alertmanager {
    /// An Alertmanager whose config inhibits warnings by a critical alert on the same
    /// instance (so tests can see inhibited alerts).
    pub fn start() -> Alertmanager {
        Self::start_with(
            "inhibit_rules:\n  - source_matchers: ['severity=\"critical\"']\n    \
             target_matchers: ['severity=\"warning\"']\n    equal: ['instance']\n",
            None,
        )
    }

    /// An Alertmanager without inhibition rules (their evaluation on every read costs the
    /// server seconds with 10k alerts, which would hide the client's figures).
    pub fn start_plain() -> Alertmanager {
        Self::start_with("", None)
    }

    /// `cluster`: this member's gossip port and its peer's; clustering is off without.
    fn start_with(extra_config: &str, cluster: Option<(u16, u16)>) -> Alertmanager {
        require("prometheus-alertmanager");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("alertmanager.yml"),
            format!(
                "route:\n  receiver: nowhere\n  group_by: ['alertname']\n  group_wait: 1s\n\
                 receivers:\n  - name: nowhere\n{extra_config}"
            ),
        )
        .unwrap();
        let mut am = Alertmanager {
            port: free_port(),
            dir,
            daemon: None,
            cluster: match cluster {
                None => vec!["--cluster.listen-address=".into()],
                Some((own, peer)) => vec![
                    format!("--cluster.listen-address=127.0.0.1:{own}"),
                    format!("--cluster.advertise-address=127.0.0.1:{own}"),
                    format!("--cluster.peer=127.0.0.1:{peer}"),
                    "--cluster.gossip-interval=50ms".into(),
                    "--cluster.pushpull-interval=1s".into(),
                ],
            },
        };
        am.resume();
        am
    }

    /// Two Alertmanagers gossiping as one HA cluster on loopback (silences made on one
    /// reach the other), ready when each answers and sees its peer.
    pub fn start_cluster_pair() -> (Alertmanager, Alertmanager) {
        let (pa, pb) = (free_port(), free_port());
        let a = Self::start_with("", Some((pa, pb)));
        let b = Self::start_with("", Some((pb, pa)));
        for am in [&a, &b] {
            wait_until("the cluster peers see each other", || {
                am.status()["cluster"]["peers"]
                    .as_array()
                    .is_some_and(|p| p.len() == 2)
            });
        }
        (a, b)
    }

    /// `/api/v2/status`.
    pub fn status(&self) -> Value {
        client(None)
            .get(format!("{}/api/v2/status", self.url()))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the server (SIGTERM, then waits for it to end).
    pub fn stop(&mut self) {
        if let Some(mut d) = self.daemon.take() {
            d.stop();
        }
    }

    /// Starts it again on the same port and data directory.
    pub fn resume(&mut self) {
        let data = self.dir.path().join("data");
        let log = std::fs::File::create(self.dir.path().join("log")).unwrap();
        let child = Command::new("prometheus-alertmanager")
            .arg(format!(
                "--config.file={}",
                self.dir.path().join("alertmanager.yml").display()
            ))
            .arg(format!("--storage.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
            .args(&self.cluster)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start alertmanager");
        self.daemon = Some(Daemon(child));
        let c = client(None);
        let url = format!("{}/-/ready", self.url());
        wait_until("alertmanager", || {
            c.get(&url).send().is_ok_and(|r| r.status().is_success())
        });
    }

    /// Posts alerts (`[{labels, annotations, startsAt, endsAt}]`).
    pub fn post_alerts(&self, alerts: &Value) {
        let r = client(None)
            .post(format!("{}/api/v2/alerts", self.url()))
            .json(alerts)
            .send()
            .unwrap();
        assert!(r.status().is_success(), "post alerts: {}", r.status());
    }

    pub fn alerts(&self) -> Vec<Value> {
        client(None)
            .get(format!("{}/api/v2/alerts", self.url()))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    pub fn silences(&self) -> Vec<Value> {
        client(None)
            .get(format!("{}/api/v2/silences", self.url()))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }
}

/// An alert that fires for the next hour.
pub fn firing_alert(labels: Value, summary: &str) -> Value {
    let now = jiff::Timestamp::now();
    serde_json::json!({
        "labels": labels,
        "annotations": {"summary": summary},
        "startsAt": now.to_string(),
        "endsAt": (now + jiff::SignedDuration::from_hours(1)).to_string(),
        "generatorURL": "http://prometheus.example/graph?g0.expr=up"
    })
}

// ---------------------------------------------------------------------------- Icinga 2

/// The API user of test instances and its password.
pub const ICINGA_USER: &str = "nightdesk";
pub const ICINGA_PASSWORD: &str = "icinga-secret";
/// An API user with only the permissions docs/sources.md lists (same password).
pub const ICINGA_MINIMAL_USER: &str = "nightdesk-minimal";

/// An Icinga 2 of this test (own CA, own port).
pub struct Icinga {
    pub port: u16,
    dir: tempfile::TempDir,
    daemon: Option<Daemon>,
}

impl Icinga {
    pub fn start() -> Icinga {
        require("icinga2");
        let dir = tempfile::tempdir().unwrap();
        let mut icinga = Icinga {
            port: free_port(),
            dir,
            daemon: None,
        };
        icinga.resume();
        icinga
    }

    /// `https://localhost:PORT` (the certificate is for `localhost`).
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// The instance's CA certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("lib/certs/ca.crt")
    }

    pub fn stop(&mut self) {
        if let Some(mut d) = self.daemon.take() {
            d.stop();
        }
    }

    pub fn resume(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("daemon.log")).unwrap();
        let child = Command::new(repo().join("scripts/icinga-instance.sh"))
            .arg(self.dir.path())
            .arg(self.port.to_string())
            .arg("run")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start icinga2");
        self.daemon = Some(Daemon(child));
        let ca = self.ca();
        let url = format!("{}/v1/status/IcingaApplication", self.url());
        wait_until("icinga2", || {
            ca.exists()
                && client(Some(&ca))
                    .get(&url)
                    .basic_auth(ICINGA_USER, Some(ICINGA_PASSWORD))
                    .send()
                    .is_ok_and(|r| r.status().is_success())
        });
    }

    /// Calls the API as the admin user; panics unless it answers 2xx.
    pub fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = client(Some(&self.ca()))
            .request(method, format!("{}/v1/{path}", self.url()))
            .basic_auth(ICINGA_USER, Some(ICINGA_PASSWORD))
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().unwrap();
        let status = r.status();
        let text = r.text().unwrap();
        assert!(status.is_success(), "icinga {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Creates a passive host with `vars` and an OK first result.
    pub fn add_host(&self, name: &str, address: &str, vars: Value, groups: &[&str]) {
        for g in groups {
            let r = client(Some(&self.ca()))
                .put(format!(
                    "{}/v1/objects/hostgroups/{}",
                    self.url(),
                    escaped(g)
                ))
                .basic_auth(ICINGA_USER, Some(ICINGA_PASSWORD))
                .header("Accept", "application/json")
                .json(&serde_json::json!({"attrs": {"display_name": g}}))
                .send()
                .unwrap();
            // 500 "already exists" is fine for a group shared by several hosts.
            assert!(r.status().is_success() || r.status().as_u16() == 500);
        }
        let mut attrs = serde_json::json!({"address": address, "groups": groups});
        if let Value::Object(v) = vars {
            for (k, val) in v {
                attrs[format!("vars.{k}")] = val;
            }
        }
        self.api(
            reqwest::Method::PUT,
            &format!("objects/hosts/{}", escaped(name)),
            Some(serde_json::json!({"templates": ["passive-host"], "attrs": attrs})),
        );
        self.host_result(name, 0, "PING OK");
    }

    pub fn add_service(&self, host: &str, service: &str) {
        self.add_service_with(host, service, serde_json::json!({}));
    }

    /// A passive service with extra attributes (`max_check_attempts` for soft states, ...).
    pub fn add_service_with(&self, host: &str, service: &str, attrs: Value) {
        let mut all = serde_json::json!({"display_name": service});
        if let Value::Object(extra) = attrs {
            all.as_object_mut().unwrap().extend(extra);
        }
        self.api(
            reqwest::Method::PUT,
            &format!("objects/services/{}", full_name(host, service)),
            Some(serde_json::json!({"templates": ["passive-service"], "attrs": all})),
        );
    }

    pub fn host_result(&self, host: &str, exit: u8, output: &str) {
        self.api(
            reqwest::Method::POST,
            &format!("actions/process-check-result?host={}", escaped(host)),
            Some(serde_json::json!({"exit_status": exit, "plugin_output": output})),
        );
    }

    pub fn service_result(&self, host: &str, service: &str, exit: u8, output: &str) {
        self.api(
            reqwest::Method::POST,
            &format!(
                "actions/process-check-result?service={}",
                full_name(host, service)
            ),
            Some(serde_json::json!({"exit_status": exit, "plugin_output": output})),
        );
    }

    /// The attributes of one host as the server has them now.
    pub fn host_attrs(&self, host: &str) -> Value {
        let v = self.api(
            reqwest::Method::GET,
            &format!("objects/hosts/{}", escaped(host)),
            None,
        );
        v["results"][0]["attrs"].clone()
    }

    /// The attributes of every object of a type (`comments`, `downtimes`, ...).
    pub fn objects(&self, plural: &str) -> Vec<Value> {
        let v = self.api(reqwest::Method::GET, &format!("objects/{plural}"), None);
        v["results"]
            .as_array()
            .map(|r| r.iter().map(|o| o["attrs"].clone()).collect())
            .unwrap_or_default()
    }

    /// The attributes of one service as the server has them now.
    pub fn service_attrs(&self, host: &str, service: &str) -> Value {
        let v = self.api(
            reqwest::Method::GET,
            &format!("objects/services/{}", full_name(host, service)),
            None,
        );
        v["results"][0]["attrs"].clone()
    }
}

/// An object name for a URL path or query (Icinga's parser refuses a raw `|` or `"`).
fn escaped(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `host!service`, each part escaped.
fn full_name(host: &str, service: &str) -> String {
    format!("{}!{}", escaped(host), escaped(service))
}

// ---------------------------------------------------------------------------- shared servers

/// Panics with how to start it unless the shared server at `url` answers.
pub fn require_shared(name: &str, ok: impl Fn() -> bool) {
    assert!(
        ok(),
        "{name} is not running on 127.0.0.1: start it with `scripts/services.sh start {name}` (scripts/test-all.sh does this)"
    );
}

// ---------------------------------------------------------------------------- Zabbix (shared)

/// The Zabbix server's config file as `scripts/services.sh start zabbix` writes it.
pub fn zabbix_server_conf() -> PathBuf {
    let dir = std::env::var_os("NIGHTDESK_SVC_DIR").unwrap_or_else(|| "/tmp/nightdesk-svc".into());
    PathBuf::from(dir).join("zabbix/zabbix_server.conf")
}

/// A name no other test (or earlier run) uses: `prefix-<pid>-<random>`.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{:06x}",
        std::process::id(),
        fastrand::u32(..) & 0xff_ffff
    )
}

/// One JSON-RPC call; `Err` is Zabbix's error object (or the transport failure as text).
fn zabbix_rpc(method: &str, params: Value, auth: Option<&str>) -> Result<Value, Value> {
    let mut body =
        serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1});
    if let Some(a) = auth {
        body["auth"] = Value::from(a);
    }
    let reply: Value = client(None)
        .post(ZABBIX_API)
        .header("Content-Type", "application/json-rpc")
        .json(&body)
        .send()
        .and_then(|r| r.json())
        .map_err(|e| Value::from(e.to_string()))?;
    match reply.get("error") {
        Some(e) => Err(e.clone()),
        None => Ok(reply["result"].clone()),
    }
}

/// The version the shared Zabbix answers with, if it answers.
pub fn zabbix_version() -> Option<String> {
    zabbix_rpc("apiinfo.version", serde_json::json!({}), None)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

/// The shared Zabbix's API, logged in as Admin, for set-up and for checking what a
/// connector did.
#[derive(Clone)]
pub struct ZabbixApi {
    session: String,
}

impl ZabbixApi {
    /// Logs in as Admin; panics with how to start Zabbix when it does not answer.
    pub fn admin() -> ZabbixApi {
        require_shared("zabbix", || zabbix_version().is_some());
        let session = zabbix_rpc(
            "user.login",
            serde_json::json!({"username": "Admin", "password": "zabbix"}),
            None,
        )
        .unwrap_or_else(|e| panic!("Admin login: {e}"));
        ZabbixApi {
            session: session.as_str().expect("session id").to_string(),
        }
    }

    /// Calls `method` as Admin; panics with Zabbix's error.
    pub fn call(&self, method: &str, params: Value) -> Value {
        self.try_call(method, params)
            .unwrap_or_else(|e| panic!("zabbix {method}: {e}"))
    }

    pub fn try_call(&self, method: &str, params: Value) -> Result<Value, Value> {
        zabbix_rpc(method, params, Some(&self.session))
    }

    /// The open problems of `hostid` with their updates and tags, as Zabbix has them now.
    pub fn problems_of(&self, hostid: &str) -> Vec<Value> {
        let v = self.call(
            "problem.get",
            serde_json::json!({
                "hostids": [hostid], "output": "extend", "recent": false,
                "selectAcknowledges": "extend", "selectTags": "extend"
            }),
        );
        v.as_array().cloned().unwrap_or_default()
    }
}

fn first_id(result: &Value, key: &str) -> String {
    result[key][0]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {result}"))
        .to_string()
}

/// A host of one test in a host group of its own, with tags, an agent interface, a trapper
/// item `status` and triggers that fire while `status` is not 200. Deleted (with its
/// group) when dropped, also when the test fails; its problems then vanish from what
/// connectors show (they ignore problems whose trigger is gone).
pub struct ZabbixHost {
    api: ZabbixApi,
    pub name: String,
    pub hostid: String,
    pub group: String,
    pub groupid: String,
}

impl ZabbixHost {
    /// `triggers`: (description, priority 0..=5); the description may use `{HOST.NAME}`.
    pub fn create(
        api: &ZabbixApi,
        tags: &[(&str, &str)],
        ip: &str,
        triggers: &[(&str, u8)],
    ) -> ZabbixHost {
        let name = unique("nd-host");
        let group = unique("nd-group");
        let groupid = first_id(
            &api.call("hostgroup.create", serde_json::json!({"name": group})),
            "groupids",
        );
        let tags: Vec<Value> = tags
            .iter()
            .map(|(t, v)| serde_json::json!({"tag": t, "value": v}))
            .collect();
        let hostid = first_id(
            &api.call(
                "host.create",
                serde_json::json!({
                    "host": name, "groups": [{"groupid": groupid}], "tags": tags,
                    "interfaces": [{"type": 1, "main": 1, "useip": 1, "ip": ip, "dns": "", "port": "10050"}]
                }),
            ),
            "hostids",
        );
        let host = ZabbixHost {
            api: api.clone(),
            name,
            hostid,
            group,
            groupid,
        };
        // Disabled until its triggers exist: the server syncs its cache every few seconds,
        // and a sync between the two calls would let a value in that no trigger sees (a
        // trigger on `last()` is judged only when a value arrives).
        let itemid = first_id(
            &api.call(
                "item.create",
                serde_json::json!({"name": "status", "key_": "status", "hostid": host.hostid, "type": 2, "value_type": 3, "status": 1}),
            ),
            "itemids",
        );
        let triggers: Vec<Value> = triggers
            .iter()
            .map(|(description, priority)| {
                serde_json::json!({
                    "description": description, "priority": priority,
                    "expression": format!("last(/{}/status)<>200", host.name)
                })
            })
            .collect();
        if !triggers.is_empty() {
            api.call("trigger.create", Value::Array(triggers));
        }
        api.call(
            "item.update",
            serde_json::json!({"itemid": itemid, "status": 0}),
        );
        host
    }

    /// Sends `value` to the `status` item: reloads the server's configuration cache (a new
    /// item takes values only after that), then sends until the trapper accepts it.
    pub fn send(&self, value: &str) {
        require("zabbix_sender");
        let reload = Command::new("zabbix_server")
            .arg("-c")
            .arg(zabbix_server_conf())
            .args(["-R", "config_cache_reload"])
            .output()
            .expect("zabbix_server -R config_cache_reload");
        assert!(
            reload.status.success(),
            "config_cache_reload: {}",
            String::from_utf8_lossy(&reload.stderr)
        );
        let port = ZABBIX_TRAPPER_PORT.to_string();
        let mut last = String::new();
        let start = Instant::now();
        while start.elapsed() < READY_PATIENCE {
            let out = Command::new("zabbix_sender")
                .args([
                    "-z",
                    "127.0.0.1",
                    "-p",
                    &port,
                    "-s",
                    &self.name,
                    "-k",
                    "status",
                    "-o",
                    value,
                ])
                .output()
                .expect("run zabbix_sender");
            last = String::from_utf8_lossy(&out.stdout).into_owned();
            if last.contains("processed: 1") {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "zabbix_sender to {}: not accepted after {READY_PATIENCE:?}: {last}",
            self.name
        );
    }

    /// Waits until the host has `n` open problems and returns them.
    pub fn wait_for_problems(&self, n: usize) -> Vec<Value> {
        let mut problems = Vec::new();
        wait_until(&format!("{n} problems on {}", self.name), || {
            problems = self.api.problems_of(&self.hostid);
            problems.len() == n
        });
        problems
    }

    /// The host's only open problem now.
    pub fn problem(&self) -> Value {
        let mut problems = self.api.problems_of(&self.hostid);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        problems.remove(0)
    }
}

impl Drop for ZabbixHost {
    fn drop(&mut self) {
        let _ = self
            .api
            .try_call("host.delete", serde_json::json!([self.hostid]));
        let _ = self
            .api
            .try_call("hostgroup.delete", serde_json::json!([self.groupid]));
    }
}

/// The API methods nightdesk's Zabbix user needs (docs/sources.md, "Permissions").
pub const ZABBIX_NIGHTDESK_METHODS: &[&str] = &[
    "problem.get",
    "trigger.get",
    "hostinterface.get",
    "user.get",
    "hostgroup.get",
    "event.acknowledge",
];

/// A Zabbix user of one test: a "User"-type role that may call only `methods` over the API
/// and acknowledge and comment problems, in a user group that reads only the given host
/// groups. Deleted (with role, group and tokens) when dropped.
pub struct ZabbixUser {
    api: ZabbixApi,
    pub name: String,
    pub password: String,
    pub userid: String,
    roleid: String,
    usrgrpid: String,
}

impl ZabbixUser {
    pub fn create(api: &ZabbixApi, read_groupids: &[&str], methods: &[&str]) -> ZabbixUser {
        let name = unique("nd-user");
        let roleid = first_id(
            &api.call(
                "role.create",
                serde_json::json!({
                    "name": format!("{name}-role"), "type": 1,
                    "rules": {
                        "ui.default_access": 0,
                        "api.access": 1, "api.mode": 1, "api": methods,
                        "actions.default_access": 0,
                        "actions": [
                            {"name": "acknowledge_problems", "status": 1},
                            {"name": "add_problem_comments", "status": 1}
                        ]
                    }
                }),
            ),
            "roleids",
        );
        let rights: Vec<Value> = read_groupids
            .iter()
            .map(|id| serde_json::json!({"permission": 2, "id": id}))
            .collect();
        let usrgrpid = first_id(
            &api.call(
                "usergroup.create",
                serde_json::json!({"name": format!("{name}-group"), "rights": rights}),
            ),
            "usrgrpids",
        );
        let password = format!("pw-{}", unique("x"));
        let userid = first_id(
            &api.call(
                "user.create",
                serde_json::json!({
                    "username": name, "passwd": password, "roleid": roleid,
                    "usrgrps": [{"usrgrpid": usrgrpid}]
                }),
            ),
            "userids",
        );
        ZabbixUser {
            api: api.clone(),
            name,
            password,
            userid,
            roleid,
            usrgrpid,
        }
    }

    /// A new API token of this user (`token.create` + `token.generate`, as Admin).
    pub fn token(&self) -> (String, String) {
        let tokenid = first_id(
            &self.api.call(
                "token.create",
                serde_json::json!({"name": unique("nd-token"), "userid": self.userid}),
            ),
            "tokenids",
        );
        let generated = self
            .api
            .call("token.generate", serde_json::json!([tokenid]));
        let token = generated[0]["token"].as_str().expect("token").to_string();
        (tokenid, token)
    }

    /// Ends every session of the user, as Zabbix does when its autologout time has passed
    /// (the API has no call to end another user's session, so this is done in the
    /// database: the status of a session that was ended is 1).
    pub fn end_sessions(&self) {
        let sql = format!(
            "UPDATE sessions SET status = 1 WHERE userid = {}",
            self.userid
        );
        let out = Command::new("psql")
            .env("PGPASSWORD", "zabbix")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "zabbix",
                "-d",
                "zabbix",
                "-tAc",
                &sql,
            ])
            .output()
            .expect("run psql");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.starts_with("UPDATE ") && !text.starts_with("UPDATE 0"),
            "ending the sessions of {}: {text} {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for ZabbixUser {
    fn drop(&mut self) {
        let tokens = self.api.try_call(
            "token.get",
            serde_json::json!({"output": ["tokenid"], "userids": [self.userid]}),
        );
        if let Ok(Value::Array(tokens)) = tokens {
            let ids: Vec<Value> = tokens.iter().map(|t| t["tokenid"].clone()).collect();
            if !ids.is_empty() {
                let _ = self.api.try_call("token.delete", Value::Array(ids));
            }
        }
        let _ = self
            .api
            .try_call("user.delete", serde_json::json!([self.userid]));
        let _ = self
            .api
            .try_call("usergroup.delete", serde_json::json!([self.usrgrpid]));
        let _ = self
            .api
            .try_call("role.delete", serde_json::json!([self.roleid]));
    }
}

// ---------------------------------------------------------------------------- Request Tracker (shared)

/// The REST2 root of the shared RT.
pub fn rt_rest() -> String {
    format!("{RT_URL}/REST/2.0")
}

/// The shared RT's SQLite database as `scripts/services.sh start rt` creates it (for the
/// Perl one-offs that grant rights and make tokens: REST2 has no call for either).
pub fn rt_db() -> PathBuf {
    let dir = std::env::var_os("NIGHTDESK_SVC_DIR").unwrap_or_else(|| "/tmp/nightdesk-svc".into());
    PathBuf::from(dir).join("rt/rt.db")
}

/// Rights, custom fields and tokens, one command a line on stdin:
/// `grant USER queue|group NAME RIGHT...`, `cf NAME QUEUE USER` (a free-form custom field
/// on the queue that USER may see) and `token USER` (prints the new token).
const RT_SETUP_PERL: &str = r#"
use strict; use warnings;
use lib "/usr/share/request-tracker5/lib";
use RT; RT::LoadConfig(); RT::Init();
sub user { my $u = RT::User->new(RT->SystemUser); $u->Load($_[0]); $u->Id or die "no user $_[0]\n"; $u }
while (my $line = <STDIN>) {
  my ($op, @a) = split ' ', $line;
  next unless $op;
  if ($op eq 'grant') {
    my ($name, $kind, $target, @rights) = @a;
    my $object;
    if ($kind eq 'queue') { $object = RT::Queue->new(RT->SystemUser); $object->Load($target) }
    else { $object = RT::Group->new(RT->SystemUser); $object->LoadUserDefinedGroup($target) }
    $object->Id or die "no $kind $target\n";
    for my $right (@rights) {
      my ($ok, $msg) = user($name)->PrincipalObj->GrantRight(Right => $right, Object => $object);
      die "$right: $msg\n" unless $ok;
    }
  } elsif ($op eq 'cf') {
    my ($name, $queue, $viewer) = @a;
    my $q = RT::Queue->new(RT->SystemUser); $q->Load($queue); $q->Id or die "no queue $queue\n";
    my $cf = RT::CustomField->new(RT->SystemUser);
    my ($ok, $msg) = $cf->Create(Name => $name, Type => 'FreeformSingle', LookupType => 'RT::Queue-RT::Ticket');
    die "cf: $msg\n" unless $ok;
    ($ok, $msg) = $cf->AddToObject($q); die "cf on queue: $msg\n" unless $ok;
    ($ok, $msg) = user($viewer)->PrincipalObj->GrantRight(Right => 'SeeCustomField', Object => $cf);
    die "SeeCustomField: $msg\n" unless $ok;
  } elsif ($op eq 'token') {
    my ($ok, $msg, $token) = RT::AuthToken->new(RT->SystemUser)->Create(Owner => user($a[0])->Id, Description => 'nightdesk test');
    die "token: $msg\n" unless $ok;
    print "$token\n";
  } else { die "unknown command $op\n" }
}
"#;

/// Runs [`RT_SETUP_PERL`] with `commands`; its output lines (the tokens made).
pub fn rt_setup(commands: &[String]) -> Vec<String> {
    use std::io::Write;
    let mut child = Command::new("perl")
        .arg("-e")
        .arg(RT_SETUP_PERL)
        .env("NIGHTDESK_RT_DB", rt_db())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run perl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(commands.join("\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "RT set-up {commands:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The rights on a queue nightdesk's RT user needs (docs/sources.md, "Rights"); plus
/// SeeGroup on the groups of `agent-groups`.
pub const RT_NIGHTDESK_RIGHTS: &[&str] = &[
    "SeeQueue",
    "ShowTicket",
    "ShowTicketComments",
    "ModifyTicket",
    "OwnTicket",
    "TakeTicket",
    "CommentOnTicket",
];

/// The shared RT's REST2 as a user (root by default), for set-up and for checking what a
/// connector did.
#[derive(Clone)]
pub struct RtApi {
    user: String,
    password: String,
}

impl RtApi {
    /// As root; panics with how to start RT when it does not answer.
    pub fn root() -> RtApi {
        let api = RtApi {
            user: "root".into(),
            password: RT_ROOT_PASSWORD.into(),
        };
        require_shared("rt", || {
            api.try_call(reqwest::Method::GET, "/rt", None).is_ok()
        });
        api
    }

    pub fn as_user(user: &RtUser) -> RtApi {
        RtApi {
            user: user.name.clone(),
            password: user.password.clone(),
        }
    }

    /// A call; `Err` is the status and body of an answer that is no success.
    pub fn try_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(Value, reqwest::header::HeaderMap), String> {
        let mut request = client(None)
            .request(method, format!("{}{path}", rt_rest()))
            .basic_auth(&self.user, Some(&self.password));
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().map_err(|e| e.to_string())?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().unwrap_or_default();
        if !status.is_success() {
            return Err(format!("{status} {text}"));
        }
        Ok((serde_json::from_str(&text).unwrap_or(Value::Null), headers))
    }

    /// A request with extra `headers` (`If-Match`), whatever it is answered: the status,
    /// the answer's headers and its body.
    pub fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (reqwest::StatusCode, reqwest::header::HeaderMap, String) {
        let mut request = client(None)
            .request(method, format!("{}{path}", rt_rest()))
            .basic_auth(&self.user, Some(&self.password));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().unwrap_or_else(|e| panic!("RT {path}: {e}"));
        let status = response.status();
        let headers = response.headers().clone();
        (status, headers, response.text().unwrap_or_default())
    }

    /// A call that must succeed.
    pub fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body)
            .unwrap_or_else(|e| panic!("RT {path}: {e}"))
            .0
    }

    pub fn create_queue(&self, name: &str) {
        self.call(
            reqwest::Method::POST,
            "/queue",
            Some(serde_json::json!({"Name": name})),
        );
    }

    /// Creates a ticket from REST2 fields (`Queue`, `Subject`, `Priority`, `Due`, ...) and
    /// returns its number.
    pub fn create_ticket(&self, fields: Value) -> String {
        let mut fields = fields;
        fields["Content"] = Value::from("created by a nightdesk test");
        fields["ContentType"] = Value::from("text/plain");
        let v = self.call(reqwest::Method::POST, "/ticket", Some(fields));
        v["id"].as_str().expect("ticket id").to_string()
    }

    pub fn update_ticket(&self, id: &str, fields: Value) -> Vec<String> {
        let v = self.call(reqwest::Method::PUT, &format!("/ticket/{id}"), Some(fields));
        serde_json::from_value(v).unwrap_or_default()
    }

    /// A reply to the requestor (`correspond`) or an internal `comment`.
    pub fn add_message(&self, id: &str, kind: &str, text: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/ticket/{id}/{kind}"),
            Some(serde_json::json!({"Content": text, "ContentType": "text/plain"})),
        );
    }

    pub fn ticket(&self, id: &str) -> Value {
        self.call(reqwest::Method::GET, &format!("/ticket/{id}"), None)
    }

    /// The ticket's transactions, oldest first, with type, creator and time.
    pub fn history(&self, id: &str) -> Vec<Value> {
        let v = self.call(
            reqwest::Method::GET,
            &format!("/ticket/{id}/history?fields=Type,Created,Creator&orderby=id&per_page=100"),
            None,
        );
        v["items"].as_array().cloned().unwrap_or_default()
    }

    /// The text of a transaction (its first attachment's content).
    pub fn transaction_text(&self, txn: &str) -> String {
        let v = self.call(
            reqwest::Method::GET,
            &format!("/transaction/{txn}/attachments?fields=Content"),
            None,
        );
        v["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["Content"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A user-defined group with these members; its name.
    pub fn create_group(&self, members: &[&RtUser]) -> String {
        let name = unique("nd-group");
        let v = self.call(
            reqwest::Method::POST,
            "/group",
            Some(serde_json::json!({"Name": name})),
        );
        let id = v["id"].as_str().expect("group id").to_string();
        let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
        self.call(
            reqwest::Method::PUT,
            &format!("/group/{id}/members"),
            Some(serde_json::json!(ids)),
        );
        name
    }
}

/// A privileged RT user of one test, with a password.
pub struct RtUser {
    pub name: String,
    pub password: String,
    pub id: i64,
}

impl RtUser {
    pub fn create(api: &RtApi, prefix: &str) -> RtUser {
        let name = unique(prefix);
        let password = format!("pw-{}", unique("x"));
        api.call(
            reqwest::Method::POST,
            "/user",
            Some(serde_json::json!({
                "Name": name, "Password": password, "Privileged": 1,
                "EmailAddress": format!("{name}@msp.example")
            })),
        );
        let id = api.call(reqwest::Method::GET, &format!("/user/{name}"), None)["id"]
            .as_i64()
            .expect("user id");
        RtUser { name, password, id }
    }
}

// ---------------------------------------------------------------------------- Redmine (shared)

/// Whether the shared Redmine answers the admin's API key.
pub fn redmine_up() -> bool {
    client(None)
        .get(format!("{REDMINE_URL}/users/current.json"))
        .header("X-Redmine-API-Key", REDMINE_KEY)
        .send()
        .is_ok_and(|r| r.status().is_success())
}

/// The shared Redmine's REST API as its admin, for setting up and checking tests.
pub struct RedmineApi {
    client: reqwest::blocking::Client,
}

/// A project of one test, deleted (with its issues) when dropped.
pub struct RedmineProject {
    pub id: i64,
    pub identifier: String,
    pub name: String,
}

/// A user of one test (login = password prefix), deleted when dropped.
pub struct RedmineUser {
    pub id: i64,
    pub login: String,
    pub password: String,
    pub full_name: String,
}

impl RedmineApi {
    /// The admin's API; panics with how to start Redmine when it does not answer.
    pub fn admin() -> RedmineApi {
        require_shared("redmine", redmine_up);
        RedmineApi {
            client: client(None),
        }
    }

    /// `method path` with a JSON body as the admin; the JSON answer (`null` for 204).
    pub fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.call_as(None, method, path, body)
    }

    /// Like [`Self::call`], as the user `login` when given (the admin key with
    /// `X-Redmine-Switch-User`).
    pub fn call_as(
        &self,
        login: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut request = self
            .client
            .request(method.clone(), format!("{REDMINE_URL}{path}"))
            .header("X-Redmine-API-Key", REDMINE_KEY);
        if let Some(login) = login {
            request = request.header("X-Redmine-Switch-User", login);
        }
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().expect("redmine request");
        let status = response.status();
        let text = response.text().unwrap_or_default();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"))
        }
    }

    /// A public project with the issue tracker and all three default trackers.
    pub fn create_project(&self, name_prefix: &str) -> RedmineProject {
        let identifier = unique("nd");
        let name = format!("{name_prefix} {identifier}");
        let created = self.call(
            reqwest::Method::POST,
            "/projects.json",
            Some(serde_json::json!({"project": {
                "name": name, "identifier": identifier, "tracker_ids": [1, 2, 3],
                "enabled_module_names": ["issue_tracking"], "is_public": true,
            }})),
        );
        RedmineProject {
            id: created["project"]["id"].as_i64().unwrap(),
            identifier,
            name,
        }
    }

    pub fn create_user(&self, firstname: &str, lastname: &str) -> RedmineUser {
        let login = unique("nacht").replace('-', "_");
        let password = format!("{login}-pw");
        let created = self.call(
            reqwest::Method::POST,
            "/users.json",
            Some(serde_json::json!({"user": {
                "login": login, "firstname": firstname, "lastname": lastname,
                "mail": format!("{login}@msp.example"), "password": password,
            }})),
        );
        RedmineUser {
            id: created["user"]["id"].as_i64().unwrap(),
            login,
            password,
            full_name: format!("{firstname} {lastname}"),
        }
    }

    /// Makes `user` a member of `project` with the given roles (3 Manager, 4 Developer,
    /// 5 Reporter).
    pub fn add_member(&self, project: &RedmineProject, user: &RedmineUser, role_ids: &[i64]) {
        self.call(
            reqwest::Method::POST,
            &format!("/projects/{}/memberships.json", project.identifier),
            Some(serde_json::json!({"membership": {"user_id": user.id, "role_ids": role_ids}})),
        );
    }

    /// An issue in `project` with these fields (`subject`, `priority_id`, ...); its id.
    pub fn create_issue(&self, project: &RedmineProject, mut fields: Value) -> i64 {
        fields["project_id"] = project.id.into();
        if fields.get("tracker_id").is_none() {
            fields["tracker_id"] = 1.into();
        }
        let created = self.call(
            reqwest::Method::POST,
            "/issues.json",
            Some(serde_json::json!({ "issue": fields })),
        );
        created["issue"]["id"].as_i64().unwrap()
    }

    /// Sets fields of an issue as the admin (a status a new issue cannot be created with).
    pub fn update_issue(&self, id: i64, fields: Value) {
        self.call(
            reqwest::Method::PUT,
            &format!("/issues/{id}.json"),
            Some(serde_json::json!({ "issue": fields })),
        );
    }

    /// The issue with its journals, as the server has it now.
    pub fn issue(&self, id: i64) -> Value {
        self.call(
            reqwest::Method::GET,
            &format!("/issues/{id}.json?include=journals"),
            None,
        )["issue"]
            .clone()
    }
}

/// Deletes `path` as the admin, ignoring failures (clean-up after a test).
fn redmine_delete(path: &str) {
    let _ = client(None)
        .delete(format!("{REDMINE_URL}{path}"))
        .header("X-Redmine-API-Key", REDMINE_KEY)
        .send();
}

impl Drop for RedmineProject {
    fn drop(&mut self) {
        redmine_delete(&format!("/projects/{}.json", self.identifier));
    }
}

impl Drop for RedmineUser {
    fn drop(&mut self) {
        redmine_delete(&format!("/users/{}.json", self.id));
    }
}
