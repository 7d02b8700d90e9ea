//! The HTTP mechanism every web-API connector shares: one client per source with its TLS
//! trust (system roots, plus an optional CA file, or, loudly, none), credentials fetched
//! from their reference when first needed (and again after the server refused them), a
//! process-wide bound on requests in flight, a cap on answer size, and one translation of
//! failures into [`SourceError`]s that say what to fix.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};

use super::SourceError;
use crate::config::{Auth, Credentials, SecretString};

/// Requests in flight across all sources unless configured otherwise.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 16;

/// Largest answer read from a server; anything larger is refused, not buffered.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The bound on requests in flight, shared by every source of a process: never more than
/// `max_in_flight` at once. Servers whose last request failed in transport (unreachable,
/// timed out) must first get a slot of a lane of their own, a quarter of the size, before
/// they take one of the shared slots: a batch of dead servers that each hold a request
/// until it times out can then take at most a quarter of the slots the healthy ones need.
#[derive(Clone, Debug)]
pub struct Limiter {
    all: Arc<Semaphore>,
    failing: Arc<Semaphore>,
}

/// A slot among the requests in flight, given back when dropped.
pub struct Slot {
    _failing: Option<OwnedSemaphorePermit>,
    _shared: OwnedSemaphorePermit,
}

impl Limiter {
    pub fn new(max_in_flight: usize) -> Self {
        let max = max_in_flight.max(1);
        Self {
            all: Arc::new(Semaphore::new(max)),
            failing: Arc::new(Semaphore::new((max / 4).max(1))),
        }
    }

    /// Shared slots not taken right now (for tests).
    pub fn available(&self) -> usize {
        self.all.available_permits()
    }

    /// Waits for a slot; `failing`: the server's last request failed in transport.
    pub async fn slot(&self, failing: bool) -> Result<Slot, tokio::sync::AcquireError> {
        let lane = if failing {
            Some(self.failing.clone().acquire_owned().await?)
        } else {
            None
        };
        let shared = self.all.clone().acquire_owned().await?;
        Ok(Slot {
            _failing: lane,
            _shared: shared,
        })
    }
}

impl Default for Limiter {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_IN_FLIGHT)
    }
}

/// What an endpoint is built from (the common fields of a configured source).
#[derive(Clone, Debug)]
pub struct EndpointSpec {
    pub base_url: String,
    pub ca_file: Option<PathBuf>,
    pub insecure: bool,
    pub timeout: Duration,
    pub auth: Option<Auth>,
    /// Follow up to 3 redirects (most APIs); off for APIs that report errors as redirects
    /// (PRTG), so the connector sees the `Location` itself.
    pub follow_redirects: bool,
}

/// Finds the server's own explanation of a failure in an error body (the `message` field
/// of a JSON error, say), for APIs whose error bodies say more than their status.
pub type Explain = fn(&[u8]) -> Option<String>;

/// One server a connector talks to.
pub struct Endpoint {
    client: reqwest::Client,
    base: String,
    auth: Option<Auth>,
    credentials: Mutex<Option<Credentials>>,
    limiter: Limiter,
    timeout: Duration,
    /// The last request failed in transport: the next ones queue in the failing lane.
    failing: AtomicBool,
}

/// A server's answer, read completely (up to [`MAX_BODY_BYTES`]).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Endpoint {
    /// Builds the client. Fails when the CA file cannot be read or is not PEM.
    pub fn new(spec: &EndpointSpec, limiter: Limiter) -> Result<Self, SourceError> {
        let mut builder = reqwest::Client::builder()
            .timeout(spec.timeout)
            .connect_timeout(spec.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("nightdesk/", env!("CARGO_PKG_VERSION")))
            .redirect(if spec.follow_redirects {
                reqwest::redirect::Policy::limited(3)
            } else {
                reqwest::redirect::Policy::none()
            });
        if let Some(path) = &spec.ca_file {
            builder = builder.add_root_certificate(read_ca(path)?);
        }
        if spec.insecure {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        let client = builder
            .build()
            .map_err(|e| SourceError::Tls(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Self {
            client,
            base: spec.base_url.trim_end_matches('/').to_string(),
            auth: spec.auth.clone(),
            credentials: Mutex::new(None),
            limiter,
            timeout: spec.timeout,
            failing: AtomicBool::new(false),
        })
    }

    /// The base URL without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `base` + `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request to `path` below the base URL, without credentials.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request to a full URL the server handed out (the next page of a list), refused
    /// unless it is on the base URL's server (scheme, host and port): credentials go to no
    /// other place, whatever an answer says.
    pub fn request_to(&self, method: Method, url: &str) -> Result<RequestBuilder, SourceError> {
        let target = Url::parse(url)
            .map_err(|e| SourceError::Protocol(format!("the server gave a bad URL ({e})")))?;
        let base = Url::parse(&self.base)
            .map_err(|e| SourceError::Protocol(format!("bad base-url ({e})")))?;
        if target.origin() != base.origin() {
            return Err(SourceError::Protocol(format!(
                "the server sent nightdesk on to another server ({}), which it does not follow",
                target.origin().ascii_serialization()
            )));
        }
        Ok(self.client.request(method, target))
    }

    /// A request to a full URL from the source's configuration (a token URL on an
    /// authorization server of its own), without credentials.
    pub fn request_at(&self, method: Method, url: &str) -> RequestBuilder {
        self.client.request(method, url)
    }

    /// The source's credentials, fetched from their reference the first time (a command or
    /// a file: off the async threads). `None` when the source has no `auth`.
    pub async fn credentials(&self) -> Result<Option<Credentials>, SourceError> {
        let Some(auth) = &self.auth else {
            return Ok(None);
        };
        let mut cached = self.credentials.lock().await;
        if let Some(c) = cached.as_ref() {
            return Ok(Some(c.clone()));
        }
        let auth = auth.clone();
        let resolved = tokio::task::spawn_blocking(move || auth.resolve())
            .await
            .map_err(|e| SourceError::Auth(format!("secret lookup failed: {e}")))?
            .map_err(|e| SourceError::Auth(format!("cannot fetch the secret: {e}")))?;
        *cached = Some(resolved.clone());
        Ok(Some(resolved))
    }

    /// Forgets fetched credentials, so the next request reads the reference again (after
    /// the server refused them: the secret may have been rotated).
    pub async fn forget_credentials(&self) {
        *self.credentials.lock().await = None;
    }

    /// `error` with the source's secret (token or password) removed from its message, for
    /// connectors that send the secret in a way a server or proxy might echo back.
    pub async fn clean(&self, error: SourceError) -> SourceError {
        match self.credentials().await {
            Ok(Some(
                Credentials::Token(secret)
                | Credentials::Login {
                    password: secret, ..
                },
            )) => redact(error, secret.expose()),
            _ => error,
        }
    }

    /// Adds the usual credentials: a login as HTTP basic auth, a token as
    /// `Authorization: Bearer`.
    pub async fn authorize(&self, request: RequestBuilder) -> Result<RequestBuilder, SourceError> {
        self.authorize_with(request, "Bearer").await
    }

    /// As [`Endpoint::authorize`], with a token sent as `Authorization: <scheme> <token>`
    /// for APIs with a scheme of their own (Request Tracker: `token`). The header is marked
    /// sensitive, so it never shows in debug output.
    pub async fn authorize_with(
        &self,
        request: RequestBuilder,
        token_scheme: &str,
    ) -> Result<RequestBuilder, SourceError> {
        Ok(match self.credentials().await? {
            Some(Credentials::Login { user, password }) => {
                request.basic_auth(user, Some(password.expose()))
            }
            Some(Credentials::Token(token)) => {
                request.header(AUTHORIZATION, scheme_header(token_scheme, token.expose())?)
            }
            None => request,
        })
    }

    /// Sends `request` once a slot among the requests in flight is free and reads the whole
    /// answer. Transport failures become errors; HTTP error statuses do not (see
    /// [`Answer::ok`]), because some APIs explain themselves in error bodies.
    pub async fn send(&self, request: RequestBuilder) -> Result<Answer, SourceError> {
        let _slot = self
            .limiter
            .slot(self.failing.load(Ordering::Relaxed))
            .await
            .map_err(|_| SourceError::Unreachable("nightdesk is shutting down".to_string()))?;
        let result = self.exchange(request).await;
        let transport_failed = matches!(
            result,
            Err(SourceError::Unreachable(_) | SourceError::Timeout(_) | SourceError::Tls(_))
        );
        self.failing.store(transport_failed, Ordering::Relaxed);
        let answer = result?;
        if matches!(
            answer.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) {
            self.forget_credentials().await;
        }
        Ok(answer)
    }

    /// One request and its whole answer.
    async fn exchange(&self, request: RequestBuilder) -> Result<Answer, SourceError> {
        let mut response = request
            .send()
            .await
            .map_err(|e| transport_error(e, self.timeout))?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(e, self.timeout))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(SourceError::Protocol(format!(
                    "answer larger than {} MB refused",
                    MAX_BODY_BYTES / (1024 * 1024)
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// Sends with the usual credentials and returns the JSON of a successful answer.
    pub async fn json<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<T, SourceError> {
        self.json_explained(request, |_| None).await
    }

    /// Sends with the usual credentials and decodes a JSON array answer record by record
    /// (malformed records skipped and counted).
    pub async fn list<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<super::mapping::Decoded<T>, SourceError> {
        let request = self.authorize(request).await?;
        super::mapping::decode_list(&self.send(request).await?.ok()?.body)
    }

    /// As [`Endpoint::json`], with a failure described by `explain` (see
    /// [`Answer::ok_explained`]).
    pub async fn json_explained<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        explain: Explain,
    ) -> Result<T, SourceError> {
        let request = self.authorize(request).await?;
        self.send(request)
            .await?
            .ok_explained(|a| explain(&a.body))?
            .json()
    }
}

impl Answer {
    /// The answer itself when its status is a success; otherwise the error that status
    /// means (401/403: credentials refused, 429: slow down, others: the server's words).
    pub fn ok(self) -> Result<Self, SourceError> {
        self.ok_explained(|_| None)
    }

    /// As [`Answer::ok`], with the server's explanation taken from the body by `explain`
    /// (an API's error document) instead of the body's first line, when it finds one.
    pub fn ok_explained(
        self,
        explain: impl FnOnce(&Answer) -> Option<String>,
    ) -> Result<Self, SourceError> {
        if self.status.is_success() {
            return Ok(self);
        }
        let message = explain(&self)
            .map(|m| snippet(&m))
            .unwrap_or_else(|| self.snippet());
        Err(match self.status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => SourceError::Auth(format!(
                "HTTP {}: {}",
                self.status.as_u16(),
                if message.is_empty() {
                    "credentials refused"
                } else {
                    &message
                }
            )),
            StatusCode::TOO_MANY_REQUESTS => SourceError::RateLimited(self.retry_after()),
            status => SourceError::Http {
                status: status.as_u16(),
                message,
            },
        })
    }

    /// Decodes the body as JSON; a failure names what was wrong and where.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, SourceError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| SourceError::Protocol(format!("malformed JSON ({e}): {}", self.snippet())))
    }

    /// Decodes the body as JSON borrowing from it (lists kept as raw records to decode one
    /// by one); a failure names what was wrong and where.
    pub fn parse<'a, T: serde::Deserialize<'a>>(&'a self) -> Result<T, SourceError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| SourceError::Protocol(format!("malformed JSON ({e}): {}", self.snippet())))
    }

    /// The first 200 characters of the body, one line, control characters dropped: safe to
    /// show in the status line and the log.
    pub fn snippet(&self) -> String {
        snippet(&String::from_utf8_lossy(&self.body))
    }

    /// The server's clock when it answered: its `Date` header (to the second).
    pub fn server_time(&self) -> Option<jiff::Timestamp> {
        let date = self.headers.get(reqwest::header::DATE)?.to_str().ok()?;
        jiff::fmt::rfc2822::DateTimeParser::new()
            .parse_timestamp(date.trim())
            .ok()
    }

    /// Seconds from a `Retry-After: <seconds>` header.
    pub fn retry_after(&self) -> Option<u64> {
        self.headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
    }
}

/// `error` with every occurrence of `secret` (as it is, and URL-encoded) in its message
/// replaced by `***`: for APIs that take credentials as URL parameters, whose servers may
/// echo the URL in an error page.
pub fn redact(error: SourceError, secret: &str) -> SourceError {
    if secret.is_empty() {
        return error;
    }
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let clean = |text: String| text.replace(secret, "***").replace(&encoded, "***");
    match error {
        SourceError::Unreachable(m) => SourceError::Unreachable(clean(m)),
        SourceError::Tls(m) => SourceError::Tls(clean(m)),
        SourceError::Auth(m) => SourceError::Auth(clean(m)),
        SourceError::Http { status, message } => SourceError::Http {
            status,
            message: clean(message),
        },
        SourceError::Conflict(m) => SourceError::Conflict(clean(m)),
        SourceError::Refused(m) => SourceError::Refused(clean(m)),
        SourceError::Protocol(m) => SourceError::Protocol(clean(m)),
        other @ (SourceError::Timeout(_)
        | SourceError::RateLimited(_)
        | SourceError::Unsupported) => other,
    }
}

/// A header value that carries a secret, marked sensitive (never shown in debug output).
pub fn secret_header(value: &str) -> Result<HeaderValue, SourceError> {
    let mut header = HeaderValue::from_str(value)
        .map_err(|_| SourceError::Auth("the secret cannot be sent in an HTTP header".into()))?;
    header.set_sensitive(true);
    Ok(header)
}

/// How long before it expires a token is renewed (at most half its lifetime).
const TOKEN_RENEWAL_MARGIN: Duration = Duration::from_secs(60);

/// Access tokens of an OAuth2 client-credentials grant (RFC 6749, 4.4), for APIs that want
/// one (HaloPSA): the client id and secret are the endpoint's login (`auth = { user =
/// CLIENT_ID, password = { ... } }`); a token is asked for when there is none, when it is
/// about to expire, and after the API refused it ([`ClientCredentials::forget`]).
pub struct ClientCredentials {
    token_url: String,
    scope: Option<String>,
    cached: Mutex<Option<AccessToken>>,
}

struct AccessToken {
    value: SecretString,
    renew_at: std::time::Instant,
}

/// The token endpoint's answer (RFC 6749, 5.1).
#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl ClientCredentials {
    pub fn new(token_url: String, scope: Option<String>) -> Self {
        Self {
            token_url,
            scope,
            cached: Mutex::new(None),
        }
    }

    /// The URL tokens are asked for at.
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// The current access token, a new one when there is none or it is about to expire.
    pub async fn token(&self, endpoint: &Endpoint) -> Result<SecretString, SourceError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached
            .as_ref()
            .filter(|t| std::time::Instant::now() < t.renew_at)
        {
            return Ok(token.value.clone());
        }
        let token = self.request_token(endpoint).await?;
        let value = token.value.clone();
        *cached = Some(token);
        Ok(value)
    }

    /// The token held now, without asking for one (to clean it out of error messages).
    pub async fn current(&self) -> Option<SecretString> {
        self.cached.lock().await.as_ref().map(|t| t.value.clone())
    }

    /// Drops the token, so the next call asks for a new one (the API refused it).
    pub async fn forget(&self) {
        *self.cached.lock().await = None;
    }

    async fn request_token(&self, endpoint: &Endpoint) -> Result<AccessToken, SourceError> {
        let (client_id, secret) = match endpoint.credentials().await? {
            Some(Credentials::Login { user, password }) => (user, password),
            _ => {
                return Err(SourceError::Auth(
                    "an OAuth2 client needs auth = { user = \"CLIENT_ID\", password = { ... } }"
                        .into(),
                ));
            }
        };
        let form = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "client_credentials")
                .append_pair("client_id", &client_id)
                .append_pair("client_secret", secret.expose());
            if let Some(scope) = &self.scope {
                form.append_pair("scope", scope);
            }
            form.finish()
        };
        let request = endpoint
            .request_at(Method::POST, &self.token_url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form);
        let answer: TokenAnswer = async {
            endpoint
                .send(request)
                .await?
                .ok_explained(|a| oauth_error(&a.body))?
                .json()
        }
        .await
        .map_err(|e| redact(token_refusal(e), secret.expose()))?;
        if answer.access_token.is_empty() {
            return Err(SourceError::Protocol(
                "the token endpoint answered without an access token".into(),
            ));
        }
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        let margin = TOKEN_RENEWAL_MARGIN.min(lifetime / 2);
        Ok(AccessToken {
            value: SecretString::new(answer.access_token),
            renew_at: std::time::Instant::now() + lifetime - margin,
        })
    }
}

/// A token request the server refused as a request (400 `invalid_client`, ...) refused the
/// client's credentials.
fn token_refusal(error: SourceError) -> SourceError {
    match error {
        SourceError::Http {
            status: 400,
            message,
        } => SourceError::Auth(format!("token request refused: {message}")),
        other => other,
    }
}

/// `error: error_description` of an OAuth2 error answer (RFC 6749, 5.2).
fn oauth_error(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error")?.as_str()?;
    Some(
        match value.get("error_description").and_then(|d| d.as_str()) {
            Some(description) => format!("{error}: {description}"),
            None => error.to_string(),
        },
    )
}

/// Text from a server, cut to one line of at most 200 characters without control
/// characters.
pub fn snippet(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    if trimmed.chars().count() > 200 {
        let cut: String = trimmed.chars().take(199).collect();
        format!("{cut}…")
    } else {
        trimmed
    }
}

/// `<scheme> <token>` as a sensitive header value.
fn scheme_header(scheme: &str, token: &str) -> Result<HeaderValue, SourceError> {
    let mut value = HeaderValue::from_str(&format!("{scheme} {token}")).map_err(|_| {
        SourceError::Auth("the token cannot be sent in a header (control characters?)".into())
    })?;
    value.set_sensitive(true);
    Ok(value)
}

fn read_ca(path: &Path) -> Result<reqwest::Certificate, SourceError> {
    let pem = std::fs::read(path)
        .map_err(|e| SourceError::Tls(format!("cannot read ca-file {}: {e}", path.display())))?;
    reqwest::Certificate::from_pem(&pem).map_err(|e| {
        SourceError::Tls(format!(
            "ca-file {} is not a PEM certificate: {e}",
            path.display()
        ))
    })
}

/// Translates a transport failure. Certificate problems get a hint at the fix. The URL in
/// the message loses its query string: some APIs (PRTG) take credentials as parameters.
fn transport_error(mut e: reqwest::Error, timeout: Duration) -> SourceError {
    if let Some(url) = e.url_mut() {
        url.set_query(None);
    }
    let e = &e;
    if e.is_timeout() {
        return SourceError::Timeout(timeout.as_secs().max(1));
    }
    let chain = error_chain(e);
    let lower = chain.to_lowercase();
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        let hint = if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
            " (the server's certificate is not trusted: no CA nightdesk trusts signed it; set `ca-file` to the CA that did)"
        } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
            " (the certificate is for another name: use that name in `base-url`)"
        } else if lower.contains("expired") {
            " (the certificate has expired)"
        } else {
            ""
        };
        return SourceError::Tls(format!("certificate refused: {}{hint}", innermost(e)));
    }
    if e.is_connect() {
        return SourceError::Unreachable(innermost(e));
    }
    SourceError::Unreachable(chain)
}

/// Every message of an error's cause chain, joined.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        parts.push(c.to_string());
        cause = c.source();
    }
    parts.join(": ")
}

/// The innermost cause's message: "Connection refused (os error 111)", not the URL.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        last = c.to_string();
        cause = c.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str, retry_after: Option<&str>) -> Answer {
        let mut headers = HeaderMap::new();
        if let Some(r) = retry_after {
            headers.insert(RETRY_AFTER, r.parse().unwrap());
        }
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_date_header_is_the_servers_clock() {
        let mut dated = answer(200, "", None);
        dated.headers.insert(
            reqwest::header::DATE,
            "Tue, 01 Dec 2026 06:05:09 GMT".parse().unwrap(),
        );
        assert_eq!(
            dated.server_time(),
            Some("2026-12-01T06:05:09Z".parse().unwrap())
        );
        dated
            .headers
            .insert(reqwest::header::DATE, "yesterday".parse().unwrap());
        assert_eq!(dated.server_time(), None, "unreadable: unknown");
        assert_eq!(answer(200, "", None).server_time(), None, "none sent");
    }

    #[test]
    fn statuses_become_errors_that_say_what_to_fix() {
        assert!(answer(200, "[]", None).ok().is_ok());
        let e = answer(401, "{\"message\":\"Unauthorized\"}", None)
            .ok()
            .unwrap_err();
        assert!(
            matches!(&e, SourceError::Auth(m) if m.contains("401") && m.contains("Unauthorized"))
        );
        assert_eq!(
            answer(429, "", Some("30")).ok().unwrap_err(),
            SourceError::RateLimited(Some(30))
        );
        assert_eq!(
            answer(500, "boom", None).ok().unwrap_err(),
            SourceError::Http {
                status: 500,
                message: "boom".into()
            }
        );
    }

    #[test]
    fn an_explained_error_carries_the_servers_words() {
        fn message_field(body: &[u8]) -> Option<String> {
            let v: serde_json::Value = serde_json::from_slice(body).ok()?;
            v["message"].as_str().map(str::to_string)
        }
        let e = answer(500, "{\"message\":\"disk\\nfull\"}", None)
            .ok_explained(|a| message_field(&a.body))
            .unwrap_err();
        assert_eq!(
            e,
            SourceError::Http {
                status: 500,
                message: "disk full".into()
            }
        );
        // Nothing found: the raw body, as with `ok`.
        let e = answer(502, "bad gateway", None)
            .ok_explained(|a| message_field(&a.body))
            .unwrap_err();
        assert!(matches!(&e, SourceError::Http { message, .. } if message == "bad gateway"));
    }

    #[test]
    fn an_api_error_document_explains_the_status() {
        let e = answer(400, "<prtg><error>No such object</error></prtg>", None)
            .ok_explained(|a| {
                let body = String::from_utf8_lossy(&a.body).to_string();
                body.split_once("<error>")
                    .and_then(|(_, rest)| rest.split_once("</error>"))
                    .map(|(text, _)| text.to_string())
            })
            .unwrap_err();
        assert_eq!(
            e,
            SourceError::Http {
                status: 400,
                message: "No such object".into()
            }
        );
        // Nothing found: the body's first line, as `ok` says it.
        let e = answer(500, "boom", None)
            .ok_explained(|_| None)
            .unwrap_err();
        assert!(matches!(&e, SourceError::Http { message, .. } if message == "boom"));
    }

    fn spec_for(base_url: String, follow_redirects: bool) -> EndpointSpec {
        EndpointSpec {
            base_url,
            ca_file: None,
            insecure: false,
            timeout: Duration::from_secs(2),
            auth: None,
            follow_redirects,
        }
    }

    /// A server on 127.0.0.1 that answers each connection with `reply` and closes it.
    fn raw_server(reply: &'static [u8]) -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                use std::io::{Read, Write};
                let mut stream = stream;
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(reply);
            }
        });
        port
    }

    #[tokio::test]
    async fn transport_errors_do_not_carry_the_query_string() {
        let port = raw_server(b"this is not HTTP\r\n\r\n");
        let ep = Endpoint::new(
            &spec_for(format!("http://127.0.0.1:{port}"), true),
            Limiter::new(1),
        )
        .unwrap();
        let request = ep
            .request(Method::GET, "/api/table.json")
            .query(&[("apitoken", "SECRET-TOKEN-4711")]);
        let e = ep.send(request).await.unwrap_err();
        let text = e.to_string();
        assert!(matches!(&e, SourceError::Unreachable(_)), "{e}");
        assert!(text.contains("/api/table.json"), "{text}");
        assert!(!text.contains("SECRET-TOKEN-4711"), "{text}");
        assert!(!text.contains("apitoken"), "{text}");
    }

    #[tokio::test]
    async fn redirects_are_handed_over_when_not_followed() {
        let port = raw_server(
            b"HTTP/1.1 302 Found\r\nLocation: /error.htm?errormsg=x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        let ep = Endpoint::new(
            &spec_for(format!("http://127.0.0.1:{port}"), false),
            Limiter::new(1),
        )
        .unwrap();
        let answer = ep.send(ep.request(Method::GET, "/api/x")).await.unwrap();
        assert_eq!(answer.status, StatusCode::FOUND);
        assert_eq!(
            answer.headers.get(reqwest::header::LOCATION).unwrap(),
            "/error.htm?errormsg=x"
        );
    }

    #[test]
    fn redaction_removes_the_secret_plain_and_encoded() {
        let e = SourceError::Http {
            status: 500,
            message: "GET /api/x?passhash=12 34&y=12+34 failed".into(),
        };
        assert_eq!(
            redact(e, "12 34"),
            SourceError::Http {
                status: 500,
                message: "GET /api/x?passhash=***&y=*** failed".into()
            }
        );
        let e = SourceError::Protocol("nothing secret".into());
        assert_eq!(redact(e.clone(), ""), e);
    }

    #[test]
    fn tokens_go_in_the_scheme_asked_for_and_stay_hidden() {
        let value = scheme_header("token", "1-14-abc").unwrap();
        assert_eq!(value.to_str().unwrap(), "token 1-14-abc");
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("abc"));
        let e = scheme_header("token", "a\nb").unwrap_err();
        assert!(matches!(e, SourceError::Auth(_)), "{e}");
    }

    #[test]
    fn snippets_are_one_short_inert_line() {
        let long = format!("a\x1b[31m\nb{}", "x".repeat(500));
        let s = snippet(&long);
        assert!(!s.contains('\x1b') && !s.contains('\n'));
        assert_eq!(s.chars().count(), 200);
        assert!(s.starts_with("a [31m b"));
    }

    #[test]
    fn malformed_json_is_a_protocol_error_with_the_reason() {
        let e = answer(200, "{\"alerts\": [", None)
            .json::<serde_json::Value>()
            .unwrap_err();
        assert!(
            matches!(&e, SourceError::Protocol(m) if m.contains("malformed JSON")),
            "{e}"
        );
    }

    #[tokio::test]
    async fn connection_refused_is_unreachable() {
        // Bind and drop a listener to find a port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let spec = EndpointSpec {
            base_url: format!("http://127.0.0.1:{port}"),
            ca_file: None,
            insecure: false,
            timeout: Duration::from_secs(2),
            auth: None,
            follow_redirects: true,
        };
        let ep = Endpoint::new(&spec, Limiter::new(1)).unwrap();
        let e = ep.send(ep.request(Method::GET, "/")).await.unwrap_err();
        assert!(
            matches!(&e, SourceError::Unreachable(m) if m.to_lowercase().contains("refused")),
            "{e}"
        );
        // The permit was given back.
        assert_eq!(ep.limiter.available(), 1);
    }

    #[test]
    fn unreadable_ca_file_is_a_tls_error() {
        let spec = EndpointSpec {
            base_url: "https://127.0.0.1:1".into(),
            ca_file: Some("/nonexistent/ca.pem".into()),
            insecure: false,
            timeout: Duration::from_secs(1),
            auth: None,
            follow_redirects: true,
        };
        let e = Endpoint::new(&spec, Limiter::default()).err().unwrap();
        assert!(
            matches!(&e, SourceError::Tls(m) if m.contains("/nonexistent/ca.pem")),
            "{e}"
        );
    }
}
