//! Desktop notifications through `org.freedesktop.Notifications` on the D-Bus session bus
//! (notify-rust). Only where a session bus exists: `DBUS_SESSION_BUS_ADDRESS` set and one
//! of its addresses accepting a connection ([`probe`]). Over SSH there usually is none, and
//! the channel is skipped. [`send`] blocks: the event loop calls it on the blocking pool.

use std::ffi::OsString;
use std::time::Duration;

use super::Notification;
use super::terminal::{MAX_BODY, MAX_TITLE};

/// The application name the notification server shows.
pub const APP_NAME: &str = "nightdesk";

/// The environment variable that names the session bus.
pub const BUS_ENV: &str = "DBUS_SESSION_BUS_ADDRESS";

/// How long a TCP bus address may take to accept a connection in [`probe`].
const TCP_PROBE: Duration = Duration::from_millis(500);

/// Whether a session bus is reachable, with `env` as the environment lookup. `Err` says
/// why not, in words for the log.
pub fn probe(env: &dyn Fn(&str) -> Option<OsString>) -> Result<(), String> {
    let Some(address) = env(BUS_ENV).filter(|v| !v.is_empty()) else {
        return Err(format!("{BUS_ENV} is not set (no desktop session)"));
    };
    let address = address.to_string_lossy().into_owned();
    let mut why = Vec::new();
    for one in address.split(';').filter(|a| !a.trim().is_empty()) {
        match reach(one) {
            Ok(()) => return Ok(()),
            Err(e) => why.push(format!("{one}: {e}")),
        }
    }
    Err(format!("no session bus answers at {}", why.join("; ")))
}

/// Tries one D-Bus address (`unix:path=…`, `unix:abstract=…`, `tcp:host=…,port=…`).
/// Transports it cannot check are taken as reachable; notify-rust will tell.
fn reach(address: &str) -> Result<(), String> {
    let (transport, params) = address.split_once(':').ok_or("not a D-Bus address")?;
    let param = |name: &str| {
        params
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| unescape(v))
    };
    match transport {
        "unix" => {
            if let Some(path) = param("path") {
                return std::os::unix::net::UnixStream::connect(&path)
                    .map(drop)
                    .map_err(|e| e.to_string());
            }
            if let Some(name) = param("abstract") {
                return connect_abstract(&name);
            }
            Ok(())
        }
        "tcp" => {
            let host = param("host").unwrap_or_else(|| "localhost".into());
            let port = param("port").ok_or("no port")?;
            let target = format!("{host}:{port}");
            let addrs = std::net::ToSocketAddrs::to_socket_addrs(&target.as_str())
                .map_err(|e| e.to_string())?;
            let mut last = "no address".to_string();
            for a in addrs {
                match std::net::TcpStream::connect_timeout(&a, TCP_PROBE) {
                    Ok(_) => return Ok(()),
                    Err(e) => last = e.to_string(),
                }
            }
            Err(last)
        }
        _ => Ok(()),
    }
}

#[cfg(target_os = "linux")]
fn connect_abstract(name: &str) -> Result<(), String> {
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
        .map_err(|e| e.to_string())?;
    std::os::unix::net::UnixStream::connect_addr(&addr)
        .map(drop)
        .map_err(|e| e.to_string())
}

#[cfg(not(target_os = "linux"))]
fn connect_abstract(_name: &str) -> Result<(), String> {
    Err("abstract sockets exist on Linux only".into())
}

/// D-Bus address values escape bytes as `%xx`.
fn unescape(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The summary as sent: sanitised (control characters shown as symbols) and cut.
pub fn summary_of(n: &Notification) -> String {
    crate::text::truncate(&crate::text::sanitize(&n.title), MAX_TITLE).into_owned()
}

/// The body as sent: sanitised, cut, and with `&`, `<`, `>` escaped, since servers with
/// `body-markup` read it as markup (a title from a source must not become a link).
pub fn body_of(n: &Notification) -> String {
    let text = crate::text::sanitize(&n.body);
    let cut = crate::text::truncate(&text, MAX_BODY);
    cut.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Shows `n` on the desktop. Blocks until the notification server answered.
pub fn send(n: &Notification) -> Result<(), String> {
    notify_rust::Notification::new()
        .appname(APP_NAME)
        .summary(&summary_of(n))
        .body(&body_of(n))
        .show()
        .map(drop)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with(value: Option<String>) -> impl Fn(&str) -> Option<OsString> {
        move |name| {
            assert_eq!(name, BUS_ENV);
            value.clone().map(OsString::from)
        }
    }

    #[test]
    fn no_bus_variable_means_no_desktop() {
        let e = probe(&env_with(None)).unwrap_err();
        assert!(e.contains("DBUS_SESSION_BUS_ADDRESS is not set"), "{e}");
        assert!(probe(&env_with(Some(String::new()))).is_err());
    }

    #[test]
    fn a_bus_address_nobody_listens_on_is_unreachable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bus");
        let address = format!("unix:path={}", path.display());
        let e = probe(&env_with(Some(address))).unwrap_err();
        assert!(e.contains("no session bus answers"), "{e}");
    }

    #[test]
    fn a_listening_socket_is_a_reachable_bus() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bus");
        let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let dead = dir.path().join("dead");
        // The first address is dead, the second answers; percent escapes are decoded.
        let escaped = path.display().to_string().replace('/', "%2f");
        let address = format!("unix:path={};unix:path={escaped},guid=1", dead.display());
        assert_eq!(probe(&env_with(Some(address))), Ok(()));
    }

    #[test]
    fn body_markup_and_control_characters_are_defused() {
        let n = Notification {
            rules: vec!["r".into()],
            item: None,
            title: "New\x1b]0;x\x07 P1".into(),
            body: "<a href=\"http://evil\">click</a> & \x1b[31mred".into(),
            channels: vec![super::super::Channel::Desktop],
        };
        assert_eq!(summary_of(&n), "New␛]0;x␇ P1");
        assert_eq!(
            body_of(&n),
            "&lt;a href=\"http://evil\"&gt;click&lt;/a&gt; &amp; ␛[31mred"
        );
    }
}
