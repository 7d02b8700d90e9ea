//! A local HTTP server (wiremock) answering with recorded responses, a connector configured
//! for it and a runtime: what the tests against recorded responses of the ticket systems
//! (Zammad, Autotask, HaloPSA) share.

#![allow(dead_code)]

use std::path::Path;

use jiff::Timestamp;
use nightdesk::model::{Item, ItemKey};
use nightdesk::sources::{Fetched, Source, SourceError, WriteBack};
use serde_json::Value;
use tempfile::TempDir;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The instant the fixtures were "recorded".
pub fn now() -> Timestamp {
    "2026-11-28T02:30:00Z".parse().unwrap()
}

pub struct Harness {
    pub rt: tokio::runtime::Runtime,
    pub server: MockServer,
    pub source: Box<dyn Source>,
    /// Texts no error may contain (the secrets of the config).
    secrets: Vec<String>,
    _dir: TempDir,
}

impl Harness {
    /// A server, and the source of the config `config(server URL, secret file)` makes; the
    /// file holds `secret`.
    pub fn new(secret: &str, config: impl FnOnce(&str, &Path) -> String) -> Harness {
        let dir = TempDir::new().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, format!("{secret}\n")).unwrap();
        let rt = super::runtime();
        let server = rt.block_on(MockServer::start());
        let source = super::source(&config(&server.uri(), &file));
        Harness {
            rt,
            server,
            source,
            secrets: vec![secret.to_string()],
            _dir: dir,
        }
    }

    /// Another text no error may carry (a token the server handed out).
    pub fn also_secret(&mut self, text: &str) {
        self.secrets.push(text.to_string());
    }

    /// Answers `verb at` with `response`.
    pub fn answer(&self, verb: &str, at: &str, response: ResponseTemplate) {
        self.rt.block_on(
            Mock::given(method(verb))
                .and(path(at))
                .respond_with(response)
                .mount(&self.server),
        );
    }

    /// Answers `verb at` with `response` when the query has `name=value`.
    pub fn answer_query(
        &self,
        verb: &str,
        at: &str,
        name: &str,
        value: &str,
        response: ResponseTemplate,
    ) {
        self.rt.block_on(
            Mock::given(method(verb))
                .and(path(at))
                .and(query_param(name, value))
                .respond_with(response)
                .mount(&self.server),
        );
    }

    /// Answers `verb at` with `response` for the first `times` requests only (mounted
    /// before the answer that follows them).
    pub fn answer_times(&self, verb: &str, at: &str, times: u64, response: ResponseTemplate) {
        self.rt.block_on(
            Mock::given(method(verb))
                .and(path(at))
                .respond_with(response)
                .up_to_n_times(times)
                .with_priority(1)
                .mount(&self.server),
        );
    }

    pub fn fetch(&mut self) -> Result<Vec<Item>, SourceError> {
        let result = self.rt.block_on(self.source.fetch(now()));
        if let Err(e) = &result {
            self.assert_no_secret(e);
        }
        match result? {
            Fetched::Full(items) => Ok(items),
            Fetched::Delta { .. } => panic!("ticket systems are read in full"),
        }
    }

    pub fn fetch_error(&mut self) -> SourceError {
        self.fetch().expect_err("the fetch should fail")
    }

    pub fn write_back(&mut self, external_id: &str, action: &WriteBack) -> Result<(), SourceError> {
        let key = ItemKey::new(self.source.id(), external_id);
        let result = self
            .rt
            .block_on(self.source.write_back(&key, action, now()));
        if let Err(e) = &result {
            self.assert_no_secret(e);
        }
        result
    }

    pub fn check(&mut self) -> Result<String, SourceError> {
        let result = self.rt.block_on(self.source.check(now()));
        if let Err(e) = &result {
            self.assert_no_secret(e);
        }
        result
    }

    pub fn assert_no_secret(&self, e: &SourceError) {
        let text = format!("{e} {e:?}");
        for secret in &self.secrets {
            assert!(!text.contains(secret.as_str()), "secret in {text}");
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.rt.block_on(self.server.received_requests()).unwrap()
    }

    /// The requests sent as `verb at`.
    pub fn sent(&self, verb: &str, at: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.method.as_str() == verb && r.url.path() == at)
            .collect()
    }

    /// The one request sent as `verb at`, and its JSON body.
    pub fn sent_once(&self, verb: &str, at: &str) -> (Request, Value) {
        let sent = self.sent(verb, at);
        assert_eq!(sent.len(), 1, "{verb} {at}: {sent:#?}");
        let body = serde_json::from_slice(&sent[0].body).unwrap_or(Value::Null);
        (sent[0].clone(), body)
    }
}

/// The value of query parameter `name` of `request`.
pub fn query(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A header of `request` as text.
pub fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `tests/fixtures/recorded/<kind>/<name>`.
pub fn fixture(kind: &str, name: &str) -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/recorded")
        .join(kind)
        .join(name);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

pub fn json_body(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json")
}

pub fn status_json(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
}

pub fn item<'a>(items: &'a [Item], external_id: &str) -> &'a Item {
    items
        .iter()
        .find(|i| &*i.key.external_id == external_id)
        .unwrap_or_else(|| panic!("no item {external_id} in {items:#?}"))
}

/// The items' external ids, sorted.
pub fn ids(items: &[Item]) -> Vec<String> {
    let mut ids: Vec<String> = items
        .iter()
        .map(|i| i.key.external_id.to_string())
        .collect();
    ids.sort();
    ids
}

pub fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}
