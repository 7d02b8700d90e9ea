//! Zabbix's JSON-RPC transport: one call at a time, the credentials where the server's
//! version wants them (the body's `auth` before 6.4, `Authorization: Bearer` from 6.4 on,
//! as 7.2 accepts nothing else), a login turned into a session that is kept and renewed
//! once when the server ends it, and Zabbix's error objects turned into errors that say what
//! went wrong.

use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::config::{Credentials, SecretString};
use crate::sources::SourceError;
use crate::sources::http::{Endpoint, snippet};

/// The API's path below the frontend's address.
const API_PATH: &str = "/api_jsonrpc.php";

/// Where the credentials go (setting `auth-style`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthStyle {
    /// By the server's version: the body below 6.4, the header from 6.4 on.
    #[default]
    Auto,
    /// `"auth"` in the JSON-RPC body (Zabbix up to 7.0).
    Body,
    /// `Authorization: Bearer` (Zabbix 6.4 and newer).
    Header,
}

/// Where the credentials of one server actually go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    Body,
    Header,
}

impl Placement {
    pub fn name(self) -> &'static str {
        match self {
            Placement::Body => "body",
            Placement::Header => "header",
        }
    }

    fn of(style: AuthStyle, version: &Version) -> Self {
        match style {
            AuthStyle::Body => Placement::Body,
            AuthStyle::Header => Placement::Header,
            AuthStyle::Auto if version.at_least(6, 4) => Placement::Header,
            AuthStyle::Auto => Placement::Body,
        }
    }
}

/// The server's version as `apiinfo.version` tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    text: String,
    major: u32,
    minor: u32,
}

impl Version {
    /// `"6.0.14"` -> 6.0; `"7.0.0beta1"` -> 7.0. `None` unless it starts with two numbers.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().split('.');
        let major = parts.next()?.parse().ok()?;
        let minor_text: String = parts
            .next()?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        Some(Self {
            text: snippet(text),
            major,
            minor: minor_text.parse().ok()?,
        })
    }

    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A JSON-RPC error object as Zabbix sends it: `message` is generic ("Invalid params."),
/// `data` says what was wrong.
#[derive(Clone, Debug, Deserialize)]
pub struct ApiError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<Value>,
}

impl ApiError {
    /// The server's words, one line, safe to show.
    pub fn text(&self) -> String {
        let data = match &self.data {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        snippet(&format!("{} {data}", self.message))
    }

    fn says(&self, needles: &[&str]) -> bool {
        let text = self.text().to_lowercase();
        needles.iter().any(|n| text.contains(n))
    }

    /// The session (or the token) is not valid (any more): logging in again may help.
    fn session_ended(&self) -> bool {
        self.says(&["session terminated", "not authorized", "not authorised"])
    }

    /// The credentials themselves were refused.
    fn credentials_refused(&self) -> bool {
        self.session_ended()
            || self.says(&[
                "incorrect user name or password",
                "login name or password is incorrect",
                "temporarily blocked",
                "api token expired",
                "no permissions for system access",
            ])
    }

    /// The user's role may not call the method.
    fn method_denied(&self) -> bool {
        self.says(&["no permissions to call"])
    }
}

/// Why a call failed: the server's error object, or the way to it.
#[derive(Debug)]
pub enum RpcError {
    Api { method: String, error: ApiError },
    Source(SourceError),
}

impl From<SourceError> for RpcError {
    fn from(e: SourceError) -> Self {
        RpcError::Source(e)
    }
}

impl From<RpcError> for SourceError {
    /// The error of a read: refused credentials or a method the role may not call are
    /// authentication failures (not retried quickly), anything else an unexpected answer.
    fn from(e: RpcError) -> Self {
        match e {
            RpcError::Source(e) => e,
            RpcError::Api { method, error } if error.method_denied() => SourceError::Auth(format!(
                "the Zabbix user's role may not call {method}: {}",
                error.text()
            )),
            RpcError::Api { method, error } if error.credentials_refused() => {
                SourceError::Auth(format!("Zabbix {method}: {}", error.text()))
            }
            RpcError::Api { method, error } => {
                SourceError::Protocol(format!("Zabbix {method}: {}", error.text()))
            }
        }
    }
}

impl RpcError {
    /// The error of a write-back: anything but refused credentials is the server refusing
    /// the change, in its words.
    pub fn into_write_error(self) -> SourceError {
        match self {
            RpcError::Api { error, .. }
                if error.credentials_refused() && !error.method_denied() =>
            {
                SourceError::Auth(error.text())
            }
            RpcError::Api { error, .. } => SourceError::Refused(error.text()),
            RpcError::Source(e) => e,
        }
    }
}

/// The answer envelope.
#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<ApiError>,
}

/// The API of one Zabbix server.
pub struct Rpc {
    endpoint: Endpoint,
    /// `""` when `base-url` is the API's address itself, else [`API_PATH`].
    path: &'static str,
    style: AuthStyle,
    version: Option<Version>,
    /// The session of a login, kept until the server ends it.
    session: Option<SecretString>,
    next_id: u64,
}

impl Rpc {
    /// `endpoint`'s base is the frontend (`https://zabbix.example/zabbix`) or the API
    /// itself (`.../api_jsonrpc.php`).
    pub fn new(endpoint: Endpoint, style: AuthStyle) -> Self {
        let path = if endpoint.base().ends_with(API_PATH) {
            ""
        } else {
            API_PATH
        };
        Self {
            endpoint,
            path,
            style,
            version: None,
            session: None,
            next_id: 0,
        }
    }

    /// The frontend's address, for links to its pages.
    pub fn frontend(&self) -> &str {
        let base = self.endpoint.base();
        base.strip_suffix(API_PATH).unwrap_or(base)
    }

    /// The server's version, asked once (`apiinfo.version` needs no credentials).
    pub async fn version(&mut self) -> Result<Version, SourceError> {
        if let Some(v) = &self.version {
            return Ok(v.clone());
        }
        let answer = self
            .send("apiinfo.version", &json!({}), None)
            .await?
            .map_err(|error| {
                SourceError::from(RpcError::Api {
                    method: "apiinfo.version".into(),
                    error,
                })
            })?;
        let text = answer.as_str().unwrap_or_default();
        let version = Version::parse(text).ok_or_else(|| {
            SourceError::Protocol(format!(
                "apiinfo.version answered `{}`, not a version",
                snippet(&answer.to_string())
            ))
        })?;
        self.version = Some(version.clone());
        Ok(version)
    }

    /// Where the credentials go on this server.
    pub async fn placement(&mut self) -> Result<Placement, SourceError> {
        let version = self.version().await?;
        Ok(Placement::of(self.style, &version))
    }

    /// Calls `method` with the credentials. A session the server ended is renewed once.
    pub async fn call<T: DeserializeOwned>(
        &mut self,
        method: &str,
        params: Value,
    ) -> Result<T, RpcError> {
        let placement = self.placement().await?;
        let (token, is_session) = self.token().await?;
        let error = match self
            .send(method, &params, Some((&token, placement)))
            .await?
        {
            Ok(value) => return decode(method, value),
            Err(error) => error,
        };
        if is_session && error.session_ended() {
            tracing::info!(method, "the Zabbix session ended; logging in again");
            self.session = None;
            let (token, _) = self.token().await?;
            match self
                .send(method, &params, Some((&token, placement)))
                .await?
            {
                Ok(value) => return decode(method, value),
                Err(error) => return Err(self.failed(method, error, placement).await),
            }
        }
        Err(self.failed(method, error, placement).await)
    }

    /// After an error object: refused credentials are forgotten (a rotated secret is read
    /// again, the version asked again), and a hint is added when the placement is the
    /// likely cause.
    async fn failed(&mut self, method: &str, error: ApiError, placement: Placement) -> RpcError {
        if error.credentials_refused() {
            self.session = None;
            self.endpoint.forget_credentials().await;
            let version = self.version.take();
            if let Some(hint) = version.and_then(|v| placement_hint(&v, placement)) {
                return RpcError::Source(SourceError::Auth(format!("{}{hint}", error.text())));
            }
        } else if error.says(&["unexpected parameter \"auth\""]) {
            return RpcError::Source(SourceError::Auth(format!(
                "{} (this Zabbix takes no `auth` in the body: set auth-style = \"header\" or \"auto\")",
                error.text()
            )));
        }
        RpcError::Api {
            method: method.to_string(),
            error,
        }
    }

    /// The token to send and whether it is a session of a login (which can be renewed).
    async fn token(&mut self) -> Result<(SecretString, bool), RpcError> {
        match self.endpoint.credentials().await? {
            None => {
                Err(SourceError::Auth("Zabbix needs `auth`: an API token or a login".into()).into())
            }
            Some(Credentials::Token(token)) => Ok((token, false)),
            Some(Credentials::Login { user, password }) => {
                if let Some(session) = &self.session {
                    return Ok((session.clone(), true));
                }
                let session = self.login(&user, &password).await?;
                self.session = Some(session.clone());
                Ok((session, true))
            }
        }
    }

    /// `user.login` (`username` since 5.4, `user` before) -> a session id.
    async fn login(
        &mut self,
        user: &str,
        password: &SecretString,
    ) -> Result<SecretString, RpcError> {
        let version = self.version().await?;
        let name_field = if version.at_least(5, 4) {
            "username"
        } else {
            "user"
        };
        let params = json!({ name_field: user, "password": password.expose() });
        match self.send("user.login", &params, None).await? {
            Ok(Value::String(session)) if !session.is_empty() => Ok(SecretString::new(session)),
            Ok(other) => Err(SourceError::Protocol(format!(
                "user.login answered {} instead of a session",
                json_kind(&other)
            ))
            .into()),
            Err(error) => {
                self.endpoint.forget_credentials().await;
                Err(SourceError::Auth(format!(
                    "Zabbix refused the login of `{user}`: {}",
                    error.text()
                ))
                .into())
            }
        }
    }

    /// One request; the inner error is Zabbix's error object.
    async fn send(
        &mut self,
        method: &str,
        params: &Value,
        auth: Option<(&SecretString, Placement)>,
    ) -> Result<Result<Value, ApiError>, SourceError> {
        self.next_id += 1;
        let mut body = json!({
            "jsonrpc": "2.0",
            "method": method,
            "params": params,
            "id": self.next_id,
        });
        let mut request = self
            .endpoint
            .request(Method::POST, self.path)
            .header(CONTENT_TYPE, "application/json-rpc");
        match auth {
            Some((token, Placement::Body)) => body["auth"] = Value::from(token.expose()),
            Some((token, Placement::Header)) => request = request.bearer_auth(token.expose()),
            None => {}
        }
        let answer = self
            .endpoint
            .send(request.body(body.to_string()))
            .await?
            .ok()?;
        let reply: Reply = answer.json()?;
        match (reply.result, reply.error) {
            (_, Some(error)) => Ok(Err(error)),
            (Some(result), None) => Ok(Ok(result)),
            (None, None) => Err(SourceError::Protocol(format!(
                "{method}: an answer without result or error: {}",
                answer.snippet()
            ))),
        }
    }
}

/// Why refused credentials may be the placement's fault, when they may.
fn placement_hint(version: &Version, placement: Placement) -> Option<String> {
    match placement {
        Placement::Header if !version.at_least(6, 4) => Some(format!(
            " (Zabbix {version} ignores `Authorization: Bearer`: set auth-style = \"body\" or \"auto\")"
        )),
        _ => None,
    }
}

fn decode<T: DeserializeOwned>(method: &str, value: Value) -> Result<T, RpcError> {
    serde_json::from_value(value).map_err(|e| {
        RpcError::Source(SourceError::Protocol(format!(
            "{method}: unexpected result ({e})"
        )))
    })
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "an empty string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(message: &str, data: &str) -> ApiError {
        ApiError {
            message: message.into(),
            data: Some(Value::from(data)),
        }
    }

    #[test]
    fn versions_parse_and_compare() {
        let v = Version::parse("6.0.14").unwrap();
        assert!(v.at_least(6, 0) && !v.at_least(6, 4));
        assert_eq!(v.to_string(), "6.0.14");
        assert!(Version::parse("7.0.0beta1").unwrap().at_least(7, 0));
        assert!(Version::parse("10.2").unwrap().at_least(6, 4));
        assert_eq!(Version::parse("seven"), None);
        assert_eq!(Version::parse("7"), None);
    }

    #[test]
    fn auto_puts_credentials_where_the_version_wants_them() {
        let old = Version::parse("6.2.9").unwrap();
        let new = Version::parse("6.4.0").unwrap();
        assert_eq!(Placement::of(AuthStyle::Auto, &old), Placement::Body);
        assert_eq!(Placement::of(AuthStyle::Auto, &new), Placement::Header);
        assert_eq!(Placement::of(AuthStyle::Body, &new), Placement::Body);
        assert_eq!(Placement::of(AuthStyle::Header, &old), Placement::Header);
    }

    #[test]
    fn errors_are_told_apart() {
        let ended = error("Invalid params.", "Session terminated, re-login, please.");
        assert!(ended.session_ended() && ended.credentials_refused());
        let wrong = error(
            "Application error.",
            "Incorrect user name or password or account is temporarily blocked.",
        );
        assert!(!wrong.session_ended() && wrong.credentials_refused());
        assert!(error("", "Login name or password is incorrect.").credentials_refused());
        assert!(error("", "Not authorised.").session_ended());
        let denied = error("Invalid params.", "No permissions to call \"host.get\".");
        assert!(denied.method_denied() && !denied.credentials_refused());
        let e = SourceError::from(RpcError::Api {
            method: "host.get".into(),
            error: denied.clone(),
        });
        assert!(
            matches!(&e, SourceError::Auth(m) if m.contains("may not call host.get")),
            "{e}"
        );
        let refused = RpcError::Api {
            method: "event.acknowledge".into(),
            error: denied,
        }
        .into_write_error();
        assert!(matches!(refused, SourceError::Refused(_)), "{refused}");
        let other = error("Invalid params.", "Incorrect value for field \"action\".");
        let e = SourceError::from(RpcError::Api {
            method: "problem.get".into(),
            error: other,
        });
        assert_eq!(
            e,
            SourceError::Protocol(
                "Zabbix problem.get: Invalid params. Incorrect value for field \"action\".".into()
            )
        );
    }

    #[test]
    fn error_text_is_one_safe_line() {
        let e = error("Application error.", "line one\n\u{1b}[31mline two");
        assert_eq!(e.text(), "Application error. line one [31mline two");
    }

    #[test]
    fn header_hint_only_before_6_4() {
        let old = Version::parse("6.0.14").unwrap();
        assert!(
            placement_hint(&old, Placement::Header)
                .unwrap()
                .contains("auth-style")
        );
        assert_eq!(placement_hint(&old, Placement::Body), None);
        let new = Version::parse("7.0.5").unwrap();
        assert_eq!(placement_hint(&new, Placement::Header), None);
    }
}
