//! PRTG Network Monitor, classic HTTP API (`/api/...`): sensors in an alarm state (Down,
//! Down partial, Warning, Unusual, Down acknowledged) become queue items; acknowledging
//! calls `acknowledgealarm.htm`. PRTG takes credentials as URL parameters (`apitoken=`, or
//! `username=` + `passhash=`), so no URL of this connector is logged and every error is
//! cleaned of the secret. PRTG reports failures as redirects (to `/error.htm` or its login
//! page), which this connector reads instead of following.

use std::collections::HashSet;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use reqwest::header::LOCATION;
use reqwest::{Method, RequestBuilder, Url};
use serde::Deserialize;
use serde_json::Value;

use super::build::BuildContext;
use super::http::{Answer, Endpoint, redact};
use super::mapping::{
    Decoded, MAX_TEXT_CHARS, Mapping, attributed, clip, decode_each, label, new_item,
};
use super::{BoxFuture, Capabilities, Fetched, Source, SourceError, WriteBack};
use crate::config::{Credentials, SourceConfig};
use crate::model::{
    Item, ItemKey, Kind, Label, Moment, Priority, SourceId, Status, StatusCategory, TenantId,
};

/// Settings of `kind = "prtg"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PrtgSettings {
    /// Read only the sensors below this object (a probe, group or device id: the table
    /// API's `id=`); all sensors when not set.
    #[serde(default)]
    pub root_id: Option<u64>,
}

/// Severity names (one per alarm state) and their priority unless the config says otherwise.
const DEFAULT_PRIORITIES: &[(&str, Priority)] = &[
    ("down", Priority::P1),
    ("down-acknowledged", Priority::P1),
    ("down-partial", Priority::P2),
    ("warning", Priority::P3),
    ("unusual", Priority::P3),
];

/// The column that names the tenant unless `tenant-label` says otherwise: in an MSP setup
/// each customer's network usually has its own remote probe.
const DEFAULT_TENANT_LABEL: &str = "probe";

/// The columns read from the sensors table.
const COLUMNS: &str = "objid,probe,group,device,host,sensor,status,message,lastvalue,priority,tags,downtimesince,lastcheck";

/// The largest `count` the table API accepts (its default is 500 records).
const MAX_RECORDS: u32 = 50_000;

/// Days from 1899-12-30 (PRTG's RAW date origin) to 1970-01-01.
const RAW_DATE_UNIX_EPOCH_DAYS: f64 = 25_569.0;

/// The sensor states nightdesk reads: PRTG's status codes with the item they become.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Alarm {
    Down,
    DownPartial,
    Warning,
    Unusual,
    DownAcknowledged,
}

impl Alarm {
    const ALL: [Alarm; 5] = [
        Alarm::Down,
        Alarm::DownPartial,
        Alarm::Warning,
        Alarm::Unusual,
        Alarm::DownAcknowledged,
    ];

    fn code(self) -> u64 {
        match self {
            Alarm::Warning => 4,
            Alarm::Down => 5,
            Alarm::Unusual => 10,
            Alarm::DownAcknowledged => 13,
            Alarm::DownPartial => 14,
        }
    }

    fn of_code(code: u64) -> Option<Alarm> {
        Alarm::ALL.into_iter().find(|a| a.code() == code)
    }

    /// The name looked up in the priority map.
    fn severity(self) -> &'static str {
        match self {
            Alarm::Down => "down",
            Alarm::DownPartial => "down-partial",
            Alarm::Warning => "warning",
            Alarm::Unusual => "unusual",
            Alarm::DownAcknowledged => "down-acknowledged",
        }
    }

    fn status(self) -> Status {
        match self {
            Alarm::Down => Status::new(StatusCategory::New, "Down"),
            Alarm::DownPartial => Status::new(StatusCategory::New, "Down (Partial)"),
            Alarm::Warning => Status::new(StatusCategory::New, "Warning"),
            Alarm::Unusual => Status::new(StatusCategory::New, "Unusual"),
            Alarm::DownAcknowledged => Status::new(StatusCategory::Acknowledged, "acknowledged"),
        }
    }
}

/// The answer of `/api/table.json?content=sensors`.
#[derive(Deserialize)]
struct SensorTable {
    #[serde(default)]
    treesize: Option<u64>,
    sensors: Vec<Value>,
}

/// One sensor record with the columns nightdesk asks for (`*_raw`: the value as a number).
#[derive(Clone, Debug, Deserialize)]
struct ApiSensor {
    objid: u64,
    device: String,
    sensor: String,
    status_raw: u64,
    #[serde(default)]
    message_raw: String,
    #[serde(default)]
    probe: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    tags: Option<String>,
    #[serde(default)]
    lastvalue: Option<String>,
    #[serde(default)]
    priority_raw: Option<Value>,
    #[serde(default)]
    downtimesince_raw: Option<Value>,
    #[serde(default)]
    lastcheck_raw: Option<Value>,
}

/// The answer of `/api/getstatus.htm?id=0` (the fields `config check` shows).
#[derive(Deserialize)]
struct ServerStatus {
    #[serde(rename = "Version", default)]
    version: Option<String>,
}

/// A connected PRTG core server.
pub struct Prtg {
    id: SourceId,
    tenant: Option<TenantId>,
    endpoint: Endpoint,
    root_id: Option<u64>,
    mapping: Mapping,
    /// The object ids of the sensors of the last fetch, for write-backs.
    sensors: HashSet<String>,
    degraded: Option<String>,
}

impl Prtg {
    pub fn from_config(
        config: &SourceConfig,
        settings: &PrtgSettings,
        ctx: &BuildContext,
    ) -> Result<Self, SourceError> {
        let mut spec = ctx.endpoint_spec(config, None)?;
        spec.follow_redirects = false;
        Ok(Self {
            id: config.id.clone(),
            tenant: config.tenant.clone(),
            endpoint: ctx.endpoint_from(&spec)?,
            root_id: settings.root_id,
            mapping: ctx.mapping(config, DEFAULT_PRIORITIES, Some(DEFAULT_TENANT_LABEL)),
            sensors: HashSet::new(),
            degraded: None,
        })
    }

    /// One API call (`GET path?query&credentials`) whose answer `read` turns into a value,
    /// with PRTG's ways of failing turned into errors that never carry the secret.
    async fn call<T>(
        &self,
        path: &str,
        query: &[(&str, String)],
        read: impl FnOnce(&Answer) -> Result<T, SourceError>,
    ) -> Result<T, SourceError> {
        let credentials = self.endpoint.credentials().await?;
        let request = self.endpoint.request(Method::GET, path).query(query);
        let request = with_credentials(request, credentials.as_ref());
        let result = self
            .endpoint
            .send(request)
            .await
            .and_then(read_answer)
            .and_then(|answer| read(&answer));
        let error = match result {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        if matches!(error, SourceError::Auth(_)) {
            self.endpoint.forget_credentials().await;
        }
        Err(match &credentials {
            Some(c) => redact(error, secret_of(c)),
            None => error,
        })
    }

    async fn sensor_table(&self) -> Result<(Decoded<ApiSensor>, Option<u64>), SourceError> {
        let mut query = vec![
            ("content", "sensors".to_string()),
            ("columns", COLUMNS.to_string()),
            ("count", MAX_RECORDS.to_string()),
        ];
        query.extend(Alarm::ALL.map(|a| ("filter_status", a.code().to_string())));
        if let Some(id) = self.root_id {
            query.push(("id", id.to_string()));
        }
        let table: SensorTable = self.call("/api/table.json", &query, Answer::json).await?;
        Ok((decode_each(table.sensors), table.treesize))
    }

    async fn fetch_all(&mut self, now: Timestamp) -> Result<Vec<Item>, SourceError> {
        let (decoded, treesize) = self.sensor_table().await?;
        let read = decoded.records.len() + decoded.skipped;
        let truncated = treesize
            .filter(|&total| total > read as u64)
            .map(|total| format!("PRTG has {total} sensors in an alarm state, {read} were read"));
        self.degraded = match (decoded.problem("sensors"), truncated) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        let items: Vec<Item> = decoded
            .records
            .iter()
            .filter_map(|s| Alarm::of_code(s.status_raw).map(|alarm| self.item(s, alarm, now)))
            .collect();
        self.sensors = items
            .iter()
            .map(|i| i.key.external_id.to_string())
            .collect();
        Ok(items)
    }

    fn item(&self, sensor: &ApiSensor, alarm: Alarm, now: Timestamp) -> Item {
        let labels = labels(sensor);
        let checked = sensor.lastcheck_raw.as_ref().and_then(raw_date);
        let started = started_at(sensor, checked, now);
        let mut item = new_item(
            ItemKey::new(&self.id, &sensor.objid.to_string()),
            self.mapping.tenant(&labels),
            Kind::Alert,
            &title(sensor),
            self.mapping.priority(alarm.severity()),
            alarm.status(),
            started,
        );
        item.host = Some(Arc::from(&*clip(&sensor.device, MAX_TEXT_CHARS)));
        item.address = sensor
            .host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(|h| Arc::from(&*clip(h, MAX_TEXT_CHARS)));
        item.updated = Moment::new(checked.unwrap_or(started).max(started));
        item.link = Some(format!("{}/sensor.htm?id={}", self.endpoint.base(), sensor.objid).into());
        item.labels = labels.into();
        item
    }

    async fn acknowledge(&self, objid: &str, message: &str) -> Result<(), SourceError> {
        let query = [("id", objid.to_string()), ("ackmsg", message.to_string())];
        match self
            .call("/api/acknowledgealarm.htm", &query, |_| Ok(()))
            .await
        {
            Ok(_) => Ok(()),
            // PRTG's own error message ("the object cannot be acknowledged") is a refusal.
            Err(SourceError::Protocol(m)) => Err(SourceError::Refused(m)),
            Err(e) => Err(e),
        }
    }
}

impl Source for Prtg {
    fn id(&self) -> &SourceId {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "prtg"
    }

    fn tenant(&self) -> Option<TenantId> {
        self.tenant.clone()
    }

    fn fetch(&mut self, now: Timestamp) -> BoxFuture<'_, Result<Fetched, SourceError>> {
        Box::pin(async move { self.fetch_all(now).await.map(Fetched::Full) })
    }

    fn degraded(&self) -> Option<String> {
        self.degraded.clone()
    }

    fn check(&mut self, now: Timestamp) -> BoxFuture<'_, Result<String, SourceError>> {
        Box::pin(async move {
            let query = [("id", "0".to_string())];
            let status: ServerStatus = self
                .call("/api/getstatus.htm", &query, Answer::json)
                .await?;
            let items = self.fetch_all(now).await?;
            let version = status.version.unwrap_or_else(|| "?".into());
            let mut text = format!("PRTG {version}, {} sensors in an alarm state", items.len());
            if let Some(d) = &self.degraded {
                text.push_str(&format!("; {d}"));
            }
            Ok(text)
        })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            ack: true,
            ..Capabilities::default()
        }
    }

    fn write_back<'a>(
        &'a mut self,
        item: &'a ItemKey,
        action: &'a WriteBack,
        _now: Timestamp,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let objid = &*item.external_id;
            if !self.sensors.contains(objid) {
                return Err(SourceError::Refused(format!(
                    "sensor {objid} is no longer in an alarm state"
                )));
            }
            match action {
                // PRTG's documented call has no duration: `minutes` is not sent.
                WriteBack::Ack {
                    comment, author, ..
                } => self.acknowledge(objid, &attributed(comment, author)).await,
                _ => Err(SourceError::Unsupported),
            }
        })
    }
}

/// Adds the credentials as PRTG wants them: `apitoken=`, or `username=` + `passhash=`.
fn with_credentials(request: RequestBuilder, credentials: Option<&Credentials>) -> RequestBuilder {
    match credentials {
        Some(Credentials::Token(token)) => request.query(&[("apitoken", token.expose())]),
        Some(Credentials::Login { user, password }) => {
            request.query(&[("username", user.as_str()), ("passhash", password.expose())])
        }
        None => request,
    }
}

/// The part of the credentials to keep out of every message.
fn secret_of(credentials: &Credentials) -> &str {
    match credentials {
        Credentials::Token(token) => token.expose(),
        Credentials::Login { password, .. } => password.expose(),
    }
}

/// PRTG's answer as an error when it is one: a redirect (to `/error.htm?errormsg=...` or the
/// login page), the login page itself, 401 (credentials refused), 400 with an error document.
fn read_answer(answer: Answer) -> Result<Answer, SourceError> {
    if answer.status.is_redirection() {
        return Err(redirect_error(&answer));
    }
    if answer.status.is_success() && is_login_page(&answer.body) {
        return Err(login_refused());
    }
    match answer.ok_explained(error_text) {
        Err(SourceError::Http {
            status: 400,
            message,
        }) => Err(SourceError::Protocol(format!("PRTG: {message}"))),
        other => other,
    }
}

fn redirect_error(answer: &Answer) -> SourceError {
    let target = answer
        .headers
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .and_then(|l| Url::parse("http://prtg.invalid/").ok()?.join(l).ok());
    let Some(target) = target else {
        return SourceError::Protocol(format!(
            "PRTG redirected (HTTP {}) without saying where",
            answer.status.as_u16()
        ));
    };
    let path = target.path().to_lowercase();
    if path.ends_with("/error.htm") {
        let message = target
            .query_pairs()
            .find(|(k, _)| k == "errormsg")
            .map(|(_, v)| super::http::snippet(&v))
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "an error without a message".into());
        return SourceError::Protocol(format!("PRTG: {message}"));
    }
    if path.contains("login") || target.query_pairs().any(|(k, _)| k == "loginurl") {
        return login_refused();
    }
    // The path only: the query may repeat the request, credentials included.
    SourceError::Protocol(format!("PRTG redirected to {}", target.path()))
}

fn login_refused() -> SourceError {
    SourceError::Auth(
        "PRTG answered with its login page: the API key (or user name and passhash) was not accepted"
            .into(),
    )
}

/// Whether a successful answer is PRTG's login form rather than the data asked for.
fn is_login_page(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]).to_lowercase();
    text.trim_start().starts_with('<')
        && (text.contains("checklogin.htm") || text.contains("loginusername"))
}

/// The message of PRTG's error document: `<error>...</error>` (XML) or `"error"` (JSON).
fn error_text(answer: &Answer) -> Option<String> {
    let body = String::from_utf8_lossy(&answer.body);
    if let Some((_, rest)) = body.split_once("<error>") {
        return rest
            .split_once("</error>")
            .map(|(text, _)| text.to_string());
    }
    serde_json::from_str::<Value>(&body)
        .ok()?
        .get("error")?
        .as_str()
        .map(str::to_string)
}

fn title(sensor: &ApiSensor) -> String {
    let message = sensor.message_raw.trim();
    let message = if message.is_empty() {
        Alarm::of_code(sensor.status_raw)
            .map(|a| a.status().label.to_string())
            .unwrap_or_default()
    } else {
        message.to_string()
    };
    format!("{} – {}: {message}", sensor.device, sensor.sensor)
}

fn labels(sensor: &ApiSensor) -> Vec<Label> {
    let mut labels = Vec::new();
    for (name, value) in [
        ("probe", &sensor.probe),
        ("group", &sensor.group),
        ("lastvalue", &sensor.lastvalue),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            labels.push(label(name, v));
        }
    }
    labels.push(label("device", &sensor.device));
    labels.push(label("sensor", &sensor.sensor));
    for tag in sensor.tags.as_deref().unwrap_or("").split_whitespace() {
        labels.push(label("tag", tag));
    }
    if let Some(p) = sensor.priority_raw.as_ref().and_then(number) {
        labels.push(label("priority", &format!("{p}")));
    }
    if !sensor.message_raw.is_empty() {
        labels.push(label("message", &sensor.message_raw));
    }
    labels
}

/// When the sensor left the Up state: its last check minus the time since it was last up,
/// else now minus that time, else now.
fn started_at(sensor: &ApiSensor, checked: Option<Timestamp>, now: Timestamp) -> Timestamp {
    let Some(down_for) = sensor.downtimesince_raw.as_ref().and_then(number) else {
        return now;
    };
    let Ok(down_for) = SignedDuration::try_from_secs_f64(down_for) else {
        return now;
    };
    checked
        .unwrap_or(now)
        .checked_sub(down_for)
        .unwrap_or(now)
        .min(now)
}

/// A RAW date (days since 1899-12-30, the fraction the time of day) as a timestamp.
fn raw_date(value: &Value) -> Option<Timestamp> {
    let days = number(value)?;
    let seconds = (days - RAW_DATE_UNIX_EPOCH_DAYS) * 86_400.0;
    Timestamp::from_second(seconds.round() as i64)
        .ok()
        .filter(|t| t.as_second() > 0)
}

/// A positive number from a RAW column, which PRTG writes as a number or a string ("" when
/// there is none).
fn number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (n.is_finite() && n > 0.0).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;

    fn answer(status: u16, location: Option<&str>, body: &str) -> Answer {
        let mut headers = HeaderMap::new();
        if let Some(l) = location {
            headers.insert(LOCATION, l.parse().unwrap());
        }
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn error_redirect_says_prtgs_message() {
        let e = read_answer(answer(
            302,
            Some("/error.htm?errormsg=Sorry%2C+the+selected+object+cannot+be+used+here.&errorurl=%2Fapi%2Fx%3Fapitoken%3DT"),
            "",
        ))
        .unwrap_err();
        assert_eq!(
            e,
            SourceError::Protocol("PRTG: Sorry, the selected object cannot be used here.".into())
        );
    }

    #[test]
    fn login_redirects_and_pages_are_auth_errors() {
        for a in [
            answer(
                302,
                Some("/public/login.htm?loginurl=%2Fapi%2Ftable.json&errormsg="),
                "",
            ),
            answer(
                302,
                Some("https://prtg.example/index.htm?loginurl=%2Fapi"),
                "",
            ),
            answer(
                200,
                None,
                "<!doctype html><form action=\"/public/checklogin.htm\" method=\"post\">",
            ),
        ] {
            assert!(matches!(read_answer(a), Err(SourceError::Auth(_))));
        }
    }

    #[test]
    fn other_redirects_name_the_path_only() {
        let e = read_answer(answer(301, Some("/somewhere.htm?apitoken=SECRET"), "")).unwrap_err();
        assert_eq!(
            e,
            SourceError::Protocol("PRTG redirected to /somewhere.htm".into())
        );
    }

    #[test]
    fn raw_dates_count_days_from_1899() {
        // 45000.5 = 2023-03-15 12:00 UTC.
        let t = raw_date(&Value::from(45_000.5)).unwrap();
        assert_eq!(t.to_string(), "2023-03-15T12:00:00Z");
        assert_eq!(raw_date(&Value::from("")), None);
        assert_eq!(number(&Value::from(" 42 ")), Some(42.0));
    }

    #[test]
    fn every_alarm_state_round_trips_its_code() {
        for alarm in Alarm::ALL {
            assert_eq!(Alarm::of_code(alarm.code()), Some(alarm));
        }
        assert_eq!(Alarm::of_code(3), None, "Up is not an alarm");
    }
}
