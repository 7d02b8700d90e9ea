//! Recorded responses, not a real server: a local HTTP server (wiremock) answers the
//! Zabbix JSON-RPC calls with JSON built from the documented formats of 6.0 and 7.0, so
//! that the connector's choice of where the credentials go can be checked for a version
//! the test machine does not run. For `apiinfo.version` "7.0.5" every call but
//! `apiinfo.version` and `user.login` carries `Authorization: Bearer` and no `auth` field;
//! for "6.0.14" the `auth` field and no header. The requests the server received are the
//! evidence. Also bad input a real server would not send on request: malformed JSON, a
//! 1 MB problem name, escape sequences in names and tags.

mod common;

use std::io::Write;

use jiff::Timestamp;
use nightdesk::model::{Item, Priority, StatusCategory};
use nightdesk::sources::{Fetched, Source};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "4c8e6a1f0b9d2e7c3a5f8b1d6e0c9a2f7b4e1d8c5a3f0b6e9d2c7a4f1e8b5d3c";
const SESSION: &str = "0424bd59b807674191e7d77572075f33";

fn reply(result: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"jsonrpc": "2.0", "result": result, "id": 1}))
}

fn error_reply(message: &str, data: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "jsonrpc": "2.0", "error": {"code": -32602, "message": message, "data": data}, "id": 1
    }))
}

async fn answer(server: &MockServer, rpc_method: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/api_jsonrpc.php"))
        .and(body_partial_json(json!({"method": rpc_method})))
        .respond_with(response)
        .mount(server)
        .await;
}

/// A Zabbix of `version` with two problems (one without an event id, as a broken proxy
/// might send it) on one host; `groups_property` is what the version calls the host groups
/// of a trigger (`groups` before 6.2, `hostgroups` from 6.2 on).
async fn zabbix(version: &str, groups_property: &str) -> MockServer {
    zabbix_answering(version, groups_property, reply(recorded_problems())).await
}

/// The two recorded problems (`problem.get`'s result).
fn recorded_problems() -> Value {
    json!([
                {
                    "eventid": "7101", "objectid": "24301", "clock": "1764540000",
                    "name": "High CPU utilization on web-01", "severity": "4",
                    "acknowledged": "1", "suppressed": "0", "opdata": "Current utilization: 97 %",
                    "acknowledges": [{
                        "acknowledgeid": "55", "userid": "3", "clock": "1764540300",
                        "message": "Looking into it", "action": "6"
                    }],
                    "tags": [{"tag": "customer", "value": "mm"}, {"tag": "scope", "value": "performance"}]
                },
                {
                    "objectid": "24301", "clock": "1764540100", "name": "no event id",
                    "severity": "2", "acknowledged": "0", "suppressed": "0", "opdata": "",
                    "acknowledges": [], "tags": []
                }
    ])
}

/// A Zabbix of `version` whose `problem.get` answers `problems`.
async fn zabbix_answering(
    version: &str,
    groups_property: &str,
    problems: ResponseTemplate,
) -> MockServer {
    let server = MockServer::start().await;
    answer(&server, "apiinfo.version", reply(json!(version))).await;
    answer(&server, "user.login", reply(json!(SESSION))).await;
    answer(&server, "problem.get", problems).await;
    answer(
        &server,
        "trigger.get",
        reply(json!([{
            "triggerid": "24301",
            "hosts": [{"hostid": "10650", "host": "web-01", "name": "Web 01 (shop)"}],
            groups_property: [{"groupid": "22", "name": "Customers/Mueller"}]
        }])),
    )
    .await;
    answer(
        &server,
        "hostinterface.get",
        reply(json!([{
            "interfaceid": "31", "hostid": "10650", "ip": "198.51.100.20", "dns": "",
            "useip": "1", "type": "1"
        }])),
    )
    .await;
    answer(
        &server,
        "user.get",
        reply(json!([{"userid": "3", "username": "ops.anna"}])),
    )
    .await;
    server
}

fn config(base_url: &str, auth: &str) -> String {
    format!(
        r#"
[[tenants]]
id = "mueller"

[[sources]]
id = "zbx"
kind = "zabbix"
base-url = "{base_url}"
auth = {auth}
tenant-label = "customer"
tenant-map = {{ "mm" = "mueller" }}
"#
    )
}

fn secret_file(secret: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(secret.as_bytes()).unwrap();
    f
}

fn token_auth(file: &tempfile::NamedTempFile) -> String {
    format!(r#"{{ file = "{}" }}"#, file.path().display())
}

async fn fetch(source: &mut Box<dyn Source>) -> Vec<Item> {
    match source.fetch(Timestamp::now()).await.expect("fetch") {
        Fetched::Full(items) => items,
        Fetched::Delta { .. } => panic!("zabbix answers in full"),
    }
}

fn rpc_method(request: &Request) -> String {
    body(request)["method"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("JSON-RPC body")
}

fn authorization(request: &Request) -> Option<String> {
    request
        .headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_string())
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording on")
}

/// The item every version gives for the recorded problem.
fn assert_item(items: &[Item], base_url: &str) {
    assert_eq!(
        items.len(),
        1,
        "the record without an event id is skipped: {items:#?}"
    );
    let cpu = &items[0];
    assert_eq!(&*cpu.key.external_id, "7101");
    assert_eq!(&*cpu.title, "High CPU utilization on web-01");
    assert_eq!(cpu.host.as_deref(), Some("Web 01 (shop)"));
    assert_eq!(cpu.address.as_deref(), Some("198.51.100.20"));
    assert_eq!(cpu.tenant.as_str(), "mueller");
    assert_eq!(cpu.priority, Priority::P2);
    assert_eq!(cpu.status.category, StatusCategory::Acknowledged);
    assert_eq!(cpu.assignee.as_deref(), Some("ops.anna"), "from user.get");
    assert_eq!(cpu.label("hostgroup"), Some("Customers/Mueller"));
    assert_eq!(cpu.label("opdata"), Some("Current utilization: 97 %"));
    assert_eq!(cpu.created.timestamp().as_second(), 1_764_540_000);
    assert_eq!(
        cpu.sla.first_response_at.map(|t| t.timestamp().as_second()),
        Some(1_764_540_300)
    );
    assert_eq!(
        cpu.link.as_deref(),
        Some(format!("{base_url}/tr_events.php?triggerid=24301&eventid=7101").as_str())
    );
}

#[tokio::test]
async fn recorded_7_0_5_sends_the_token_as_bearer_header_and_no_auth_field() {
    let server = zabbix("7.0.5", "hostgroups").await;
    let token = secret_file(TOKEN);
    let mut source = common::source(&config(&server.uri(), &token_auth(&token)));
    let items = fetch(&mut source).await;
    assert_item(&items, &server.uri());
    let degraded = source
        .degraded()
        .expect("a skipped record degrades the source");
    assert!(
        degraded.starts_with("1 of 2 problems could not be read"),
        "{degraded}"
    );

    let requests = received(&server).await;
    let methods: Vec<String> = requests.iter().map(rpc_method).collect();
    assert_eq!(
        methods,
        [
            "apiinfo.version",
            "problem.get",
            "trigger.get",
            "hostinterface.get",
            "user.get"
        ],
        "one call of each, batched for all problems"
    );
    for request in &requests {
        let body = body(request);
        assert!(body.get("auth").is_none(), "no auth field: {body}");
        let expected =
            (rpc_method(request) != "apiinfo.version").then(|| format!("Bearer {TOKEN}"));
        assert_eq!(authorization(request), expected, "{}", rpc_method(request));
    }
    let trigger_get = body(&requests[2]);
    assert!(
        trigger_get["params"].get("selectHostGroups").is_some(),
        "{trigger_get}"
    );
    assert!(
        trigger_get["params"].get("selectGroups").is_none(),
        "{trigger_get}"
    );
}

#[tokio::test]
async fn recorded_6_0_14_sends_the_token_in_the_body_and_no_header() {
    let server = zabbix("6.0.14", "groups").await;
    let token = secret_file(TOKEN);
    let mut source = common::source(&config(&server.uri(), &token_auth(&token)));
    let items = fetch(&mut source).await;
    assert_item(&items, &server.uri());

    let requests = received(&server).await;
    assert_eq!(requests.len(), 5);
    for request in &requests {
        let body = body(request);
        assert_eq!(authorization(request), None, "no header: {body}");
        if rpc_method(request) == "apiinfo.version" {
            assert!(
                body.get("auth").is_none(),
                "6.0 refuses auth on apiinfo.version"
            );
        } else {
            assert_eq!(body["auth"], TOKEN, "{body}");
        }
    }
    let trigger_get = body(&requests[2]);
    assert!(
        trigger_get["params"].get("selectGroups").is_some(),
        "{trigger_get}"
    );
    let text = source.check(Timestamp::now()).await.expect("check");
    assert!(
        text.starts_with("Zabbix 6.0.14, body auth, 1 problems"),
        "{text}"
    );
}

#[tokio::test]
async fn recorded_7_0_5_login_session_is_sent_as_bearer_and_renewed_once_when_ended() {
    let server = MockServer::start().await;
    // The first problem.get finds the session ended; the one after the new login succeeds.
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"method": "problem.get"})))
        .respond_with(error_reply(
            "Invalid params.",
            "Session terminated, re-login, please.",
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    answer(&server, "apiinfo.version", reply(json!("7.0.5"))).await;
    answer(&server, "user.login", reply(json!(SESSION))).await;
    answer(&server, "problem.get", reply(json!([]))).await;
    let password = secret_file("s3cret");
    let auth = format!(
        r#"{{ user = "nightdesk", password = {{ file = "{}" }} }}"#,
        password.path().display()
    );
    let mut source = common::source(&config(&format!("{}/api_jsonrpc.php", server.uri()), &auth));
    assert!(fetch(&mut source).await.is_empty());

    let requests = received(&server).await;
    let methods: Vec<String> = requests.iter().map(rpc_method).collect();
    assert_eq!(
        methods,
        [
            "apiinfo.version",
            "user.login",
            "problem.get",
            "user.login",
            "problem.get"
        ]
    );
    let login = body(&requests[1]);
    assert_eq!(
        login["params"],
        json!({"username": "nightdesk", "password": "s3cret"})
    );
    assert!(login.get("auth").is_none());
    assert_eq!(
        authorization(&requests[1]),
        None,
        "user.login goes without credentials"
    );
    for request in [&requests[2], &requests[4]] {
        assert_eq!(authorization(request), Some(format!("Bearer {SESSION}")));
        assert!(body(request).get("auth").is_none());
    }
}

#[tokio::test]
async fn recorded_7_2_refusing_body_auth_names_the_setting_to_change() {
    let server = MockServer::start().await;
    answer(&server, "apiinfo.version", reply(json!("7.2.3"))).await;
    answer(
        &server,
        "problem.get",
        error_reply(
            "Invalid params.",
            "Invalid parameter \"/\": unexpected parameter \"auth\".",
        ),
    )
    .await;
    let token = secret_file(TOKEN);
    let text = format!(
        "{}auth-style = \"body\"\n",
        config(&server.uri(), &token_auth(&token))
    );
    let mut source = common::source(&text);
    let e = source.fetch(Timestamp::now()).await.unwrap_err();
    assert!(
        matches!(&e, nightdesk::sources::SourceError::Auth(m) if m.contains("auth-style = \"header\"")),
        "{e}"
    );
    let problem_get = received(&server).await.pop().unwrap();
    assert_eq!(body(&problem_get)["auth"], TOKEN, "forced into the body");
    assert_eq!(authorization(&problem_get), None);
}

#[tokio::test]
async fn recorded_malformed_json_is_a_protocol_error_that_names_it() {
    let broken = ResponseTemplate::new(200).set_body_raw(
        r#"{"jsonrpc": "2.0", "result": [{"eventid": "71"#,
        "application/json",
    );
    let server = zabbix_answering("6.0.14", "groups", broken).await;
    let token = secret_file(TOKEN);
    let mut source = common::source(&config(&server.uri(), &token_auth(&token)));
    let err = source.fetch(Timestamp::now()).await.unwrap_err();
    assert!(
        matches!(&err, nightdesk::sources::SourceError::Protocol(m) if m.contains("malformed JSON")),
        "{err}"
    );
    assert!(!err.to_string().contains(TOKEN), "{err}");
}

#[tokio::test]
async fn recorded_megabyte_name_is_clipped_and_hostile_text_is_kept_as_data() {
    let hostile = "pwned\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m";
    let mut problems = recorded_problems();
    problems[1]["eventid"] = json!("7102");
    problems[1]["name"] = json!("x".repeat(1024 * 1024));
    problems[0]["name"] = json!(hostile);
    problems[0]["tags"] =
        json!([{"tag": "customer", "value": "mm"}, {"tag": hostile, "value": hostile}]);
    let server = zabbix_answering("6.0.14", "groups", reply(problems)).await;
    let token = secret_file(TOKEN);
    let mut source = common::source(&config(&server.uri(), &token_auth(&token)));
    let items = fetch(&mut source).await;
    assert_eq!(items.len(), 2, "nothing is lost: {items:#?}");
    let big = items
        .iter()
        .find(|i| &*i.key.external_id == "7102")
        .unwrap();
    assert_eq!(big.title.chars().count(), 500, "clipped to the title limit");
    let evil = items
        .iter()
        .find(|i| &*i.key.external_id == "7101")
        .unwrap();
    assert_eq!(
        &*evil.title, hostile,
        "kept as it came, shown inert by the UI"
    );
    assert_eq!(
        evil.tenant.as_str(),
        "mueller",
        "a hostile tag does not confuse the mapping"
    );
    let shown = nightdesk::text::sanitize(&evil.title);
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    assert!(source.degraded().is_none(), "every record was read");
}
