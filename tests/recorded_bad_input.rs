//! Bad input from a source, as recorded responses in Alertmanager's documented v2 format
//! served by a local HTTP server (wiremock): malformed JSON, records with missing fields,
//! 1 MB titles, escape sequences in labels, error statuses. Nothing panics; the bad record
//! or the source is marked; nothing else is lost; no escape sequence reaches the terminal.

mod common;

use jiff::Timestamp;
use nightdesk::model::Health;
use nightdesk::setup::{self, Flags};
use nightdesk::sources::{Fetched, SourceError, SourceEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn config_text(url: &str) -> String {
    format!(
        "[[sources]]\nid = \"am\"\nkind = \"alertmanager\"\nbase-url = \"{url}\"\ntenant = \"mueller\"\n\n[[tenants]]\nid = \"mueller\"\n"
    )
}

fn alert(fp: &str, summary: &str, labels: Value) -> Value {
    json!({
        "fingerprint": fp,
        "labels": labels,
        "annotations": {"summary": summary},
        "startsAt": "2026-11-28T19:21:27.000Z",
        "updatedAt": "2026-11-28T19:21:27.115Z",
        "endsAt": "2026-11-28T20:21:27.000Z",
        "receivers": [{"name": "nowhere"}],
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}
    })
}

async fn serve(server: &MockServer, status: u16, body: String) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/alerts"))
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("Retry-After", "42")
                .set_body_raw(body, "application/json"),
        )
        .mount(server)
        .await;
}

#[test]
fn missing_fields_skip_the_record_and_mark_the_source() {
    let rt = common::runtime();
    rt.block_on(async {
        let server = MockServer::start().await;
        let body = json!([
            alert("a1", "good one", json!({"alertname": "A"})),
            {"labels": {"alertname": "NoFingerprint"}, "startsAt": "2026-11-28T19:21:27Z", "status": {"state": "active"}},
            alert("a3", "another good one", json!({"alertname": "C"})),
        ]);
        serve(&server, 200, body.to_string()).await;
        let mut source = common::source(&config_text(&server.uri()));
        let Fetched::Full(items) = source.fetch(Timestamp::now()).await.unwrap() else {
            panic!("full answer expected")
        };
        let titles: Vec<&str> = items.iter().map(|i| &*i.title).collect();
        assert_eq!(items.len(), 2, "{titles:?}");
        assert!(titles.contains(&"good one") && titles.contains(&"another good one"));
        let degraded = source.degraded().expect("the source says records were skipped");
        assert!(degraded.contains("1 of 3 alerts could not be read"), "{degraded}");
        assert!(degraded.contains("fingerprint"), "{degraded}");
    });
}

#[test]
fn malformed_json_fails_the_fetch_and_the_last_good_items_stay_stale() {
    let rt = common::runtime();
    let home = tempfile::tempdir().unwrap();
    let server = rt.block_on(MockServer::start());
    let config = common::config(&config_text(&server.uri()));
    let mut session = setup::configured_session(
        &common::paths_under(home.path()),
        &config,
        &Flags::default(),
    )
    .unwrap();
    let source = &mut session.sources[0].source;
    let id = source.id().clone();
    rt.block_on(serve(
        &server,
        200,
        json!([alert("a1", "disk full", json!({"alertname": "A"}))]).to_string(),
    ));
    let good = rt.block_on(source.fetch(Timestamp::now())).unwrap();
    let app = &mut session.app;
    app.on_source_event(SourceEvent::Data {
        source: id.clone(),
        at: Timestamp::now(),
        fetched: good,
    });
    rt.block_on(serve(
        &server,
        200,
        "[{\"fingerprint\": \"a1\", \"labels\": ".into(),
    ));
    let err = rt.block_on(source.fetch(Timestamp::now())).unwrap_err();
    assert!(
        matches!(&err, SourceError::Protocol(m) if m.contains("malformed JSON")),
        "{err}"
    );
    app.on_source_event(SourceEvent::Health {
        source: id.clone(),
        at: Timestamp::now(),
        health: err.health(),
    });
    let disk = app
        .queue
        .iter()
        .find(|(_, e)| &*e.item.title == "disk full")
        .map(|(_, e)| e)
        .expect("the last good item is still there");
    assert!(app.queue.is_stale(disk));
    assert!(matches!(app.sources[&id].health, Health::Down(_)));
}

#[test]
fn a_megabyte_title_is_clipped_and_escape_sequences_never_reach_the_terminal() {
    let rt = common::runtime();
    let home = tempfile::tempdir().unwrap();
    let server = rt.block_on(MockServer::start());
    let huge = "x".repeat(1024 * 1024);
    let hostile = "pwned\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{1b}[31m\u{9b}31m";
    let body = json!([
        alert("big", &huge, json!({"alertname": "Big"})),
        alert(
            "evil",
            hostile,
            json!({"alertname": hostile, "instance": format!("{hostile}:9100")})
        ),
    ]);
    rt.block_on(serve(&server, 200, body.to_string()));
    let config = common::config(&config_text(&server.uri()));
    let mut session = setup::configured_session(
        &common::paths_under(home.path()),
        &config,
        &Flags::default(),
    )
    .unwrap();
    let source = &mut session.sources[0].source;
    let id = source.id().clone();
    let fetched = rt.block_on(source.fetch(Timestamp::now())).unwrap();
    let Fetched::Full(items) = &fetched else {
        panic!()
    };
    let big = items
        .iter()
        .find(|i| i.key.external_id.as_ref() == "big")
        .unwrap();
    assert!(big.title.chars().count() <= 500, "{}", big.title.len());
    let evil = items
        .iter()
        .find(|i| i.key.external_id.as_ref() == "evil")
        .unwrap();
    assert_eq!(&*evil.title, hostile, "kept as data");

    let app = &mut session.app;
    app.on_source_event(SourceEvent::Data {
        source: id,
        at: Timestamp::now(),
        fetched,
    });
    app.apply("open-detail".parse().unwrap());
    for size in [(80, 24), (200, 50)] {
        let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
        terminal
            .draw(|f| {
                nightdesk::ui::render(app, &session.theme, f.area(), f.buffer_mut());
            })
            .unwrap();
        let buffer = terminal.backend().buffer();
        let symbols: String = buffer.content().iter().map(|c| c.symbol()).collect();
        assert!(
            !symbols.chars().any(|c| c.is_control() && c != ' '),
            "a control character reached a cell"
        );
        assert!(symbols.contains("pwned"), "the text itself is shown");
        assert!(symbols.contains('␛'), "ESC is shown as a visible symbol");
    }
}

#[test]
fn error_statuses_become_clear_errors() {
    let rt = common::runtime();
    rt.block_on(async {
        let server = MockServer::start().await;
        let mut source = common::source(&config_text(&server.uri()));
        serve(&server, 401, "{\"message\":\"Unauthorized\"}".into()).await;
        let e = source.fetch(Timestamp::now()).await.unwrap_err();
        assert!(matches!(&e, SourceError::Auth(m) if m.contains("401")), "{e}");
        assert!(matches!(e.health(), Health::AuthFailed(_)));
        serve(&server, 429, String::new()).await;
        let e = source.fetch(Timestamp::now()).await.unwrap_err();
        assert_eq!(e, SourceError::RateLimited(Some(42)));
        serve(&server, 500, "<html>proxy error</html>".into()).await;
        let e = source.fetch(Timestamp::now()).await.unwrap_err();
        assert!(
            matches!(&e, SourceError::Http { status: 500, message } if message.contains("proxy error")),
            "{e}"
        );
    });
}
