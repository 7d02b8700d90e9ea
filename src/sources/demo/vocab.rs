//! What the demo world talks about: ticket subjects, alert rules, backup jobs and findings,
//! status words, and the nominal SLA targets the initial ages are spread around. Pure data,
//! plus the small helpers that fill a template.

use jiff::SignedDuration;

use super::names::Role;
use crate::model::Priority;

/// A ticket subject as customers write it. `{host}` is replaced by a host of the tenant that
/// has one of `roles`; subjects without `{host}` have no roles and no host.
#[derive(Clone, Copy, Debug)]
pub struct Subject {
    pub text: &'static str,
    pub priority: Priority,
    /// PSA queue the ticket lands in.
    pub queue: &'static str,
    pub roles: &'static [Role],
    /// Marks a possible security incident (NIS-2 early-warning clock).
    pub security: bool,
}

const fn s(text: &'static str, priority: Priority, queue: &'static str) -> Subject {
    Subject {
        text,
        priority,
        queue,
        roles: &[],
        security: false,
    }
}

const fn on(
    text: &'static str,
    priority: Priority,
    queue: &'static str,
    roles: &'static [Role],
) -> Subject {
    Subject {
        text,
        priority,
        queue,
        roles,
        security: false,
    }
}

const fn sec(text: &'static str, priority: Priority, roles: &'static [Role]) -> Subject {
    Subject {
        text,
        priority,
        queue: "Security",
        roles,
        security: true,
    }
}

use Priority::{P1, P2, P3, P4};

/// Ticket subjects, German and English mixed as they arrive at a German MSP.
pub const SUBJECTS: &[Subject] = &[
    on(
        "Standort komplett offline, niemand kommt ins Netz",
        P1,
        "Netzwerk",
        &[Role::Firewall],
    ),
    on(
        "Kassensystem offline – keine Kartenzahlung möglich",
        P1,
        "Anwendungen",
        &[Role::App],
    ),
    sec(
        "Dateien auf dem Fileserver verschlüsselt?! Endung .lockbit",
        P1,
        &[Role::File],
    ),
    sec("Phishing-Mail geöffnet und Link angeklickt", P2, &[]),
    on(
        "Server {host} not reachable, nobody can work",
        P1,
        "Server",
        Role::SERVERS,
    ),
    on(
        "E-Mails von Lieferanten kommen nicht an",
        P2,
        "E-Mail",
        &[Role::Mail],
    ),
    on("RDP session freezes on {host}", P2, "Server", &[Role::Rds]),
    on(
        "Warenwirtschaft extrem langsam",
        P2,
        "Anwendungen",
        &[Role::App],
    ),
    on(
        "Datenbank-Fehler beim Monatsabschluss",
        P2,
        "Anwendungen",
        &[Role::Sql],
    ),
    s("Serverraum: Klimaanlage piept", P2, "Infrastruktur"),
    sec(
        "Mitarbeiterin ausgeschieden: Zugänge sofort sperren",
        P2,
        &[],
    ),
    s("Drucker im 2. OG druckt nicht", P3, "Arbeitsplatz"),
    s("VPN-Verbindung bricht ab", P3, "Netzwerk"),
    s("Outlook startet nicht", P3, "Arbeitsplatz"),
    s("Passwort zurücksetzen", P3, "Benutzer"),
    s(
        "Teams-Anrufe brechen nach 30 Sekunden ab",
        P3,
        "Arbeitsplatz",
    ),
    s(
        "Scanner speichert nicht mehr auf Netzlaufwerk",
        P3,
        "Arbeitsplatz",
    ),
    on(
        "Zugriff auf Laufwerk S: verweigert",
        P3,
        "Server",
        &[Role::File],
    ),
    s(
        "Telefonanlage: Rufumleitung für Hotline einrichten",
        P3,
        "Telefonie",
    ),
    on(
        "Homeoffice: kein Zugriff auf ERP",
        P3,
        "Netzwerk",
        &[Role::App],
    ),
    s(
        "Authenticator-App auf neues Handy übertragen",
        P3,
        "Benutzer",
    ),
    s(
        "Cannot open SharePoint site 'Projekte'",
        P3,
        "Microsoft 365",
    ),
    on(
        "Zertifikatswarnung beim Aufruf des Webmails",
        P3,
        "E-Mail",
        &[Role::Mail],
    ),
    on(
        "Anmeldung am Terminalserver {host} dauert 5 Minuten",
        P3,
        "Server",
        &[Role::Rds],
    ),
    s("Kartenlesegerät wird nicht erkannt", P3, "Arbeitsplatz"),
    on(
        "Please restore folder 'Angebote 2024' from yesterday",
        P3,
        "Server",
        &[Role::File],
    ),
    s("WLAN im Besprechungsraum instabil", P3, "Netzwerk"),
    s("Neuer Mitarbeiter: Konto anlegen", P4, "Onboarding"),
    s("Shared mailbox not visible in Outlook", P4, "Microsoft 365"),
    s(
        "Laptop very slow since last Windows update",
        P4,
        "Arbeitsplatz",
    ),
    s("Neues Smartphone einrichten", P4, "Onboarding"),
    s("Lizenz für Adobe Acrobat Pro benötigt", P4, "Beschaffung"),
    s(
        "Kalenderfreigabe für Assistenz einrichten",
        P4,
        "Microsoft 365",
    ),
    s("Monitor flackert am Empfang", P4, "Arbeitsplatz"),
    s("Angebot für neue Firewall erbeten", P4, "Beschaffung"),
    s("Windows Update error 0x80070005", P4, "Arbeitsplatz"),
    s("Kopierer meldet Papierstau in Fach 2", P4, "Arbeitsplatz"),
    s("Headset knackt bei Telefonaten", P4, "Telefonie"),
];

/// The subject of a forwarded customer e-mail that carries terminal control sequences (colour,
/// bell) and runs far past any column width, so the UI's sanitising shows in the demo.
pub const HOSTILE_SUBJECT: &str = concat!(
    "AW: AW: WG: Rechnung 2024-0815 \x1b[31mÜBERFÄLLIG\x1b[0m\x07\x07 – bitte DRINGEND prüfen, ",
    "sonst wird das Mahnverfahren eingeleitet!!! \x1b]0;pwned\x07Sehr geehrte Damen und Herren, ",
    "anbei erneut die offene Rechnung, die bereits am 15. fällig war. Wir bitten um umgehende ",
    "Überweisung auf das unten genannte Konto und um Rückmeldung an die Buchhaltung, ",
    "Ansprechpartner Herr Dąbrowski, Durchwahl -4711, Mo–Fr 08:00–16:30 Uhr."
);

/// The ticket carrying [`HOSTILE_SUBJECT`].
pub const HOSTILE: Subject = s(HOSTILE_SUBJECT, P3, "Buchhaltung");

/// The scripted P1 ticket that goes with the scripted host-down alert.
pub const INCIDENT: Subject = on(
    "Lager: Handscanner und Versandterminals ohne Verbindung",
    P1,
    "Netzwerk",
    &[Role::Firewall],
);

/// How the ticket came in (label `channel`).
pub const CHANNELS: &[&str] = &["email", "phone", "portal"];

/// Alert severity as the monitoring system labels it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One alerting rule. `{host}` becomes the host, `{n}` a value drawn from `value`.
#[derive(Clone, Copy, Debug)]
pub struct AlertRule {
    pub alertname: &'static str,
    pub severity: Severity,
    pub priority: Priority,
    pub title: &'static str,
    /// Hosts the rule applies to; empty = every host.
    pub roles: &'static [Role],
    pub value: (u32, u32),
    /// Relative frequency.
    pub weight: u32,
    /// Whether the condition usually goes away by itself (load peaks, packet loss).
    pub flapping: bool,
}

/// A rule for every host, weight 1, no value, steady; refine with the methods below.
const fn rule(
    alertname: &'static str,
    severity: Severity,
    priority: Priority,
    title: &'static str,
) -> AlertRule {
    AlertRule {
        alertname,
        severity,
        priority,
        title,
        roles: &[],
        value: (0, 0),
        weight: 1,
        flapping: false,
    }
}

impl AlertRule {
    pub fn applies_to(&self, role: Role) -> bool {
        self.roles.is_empty() || self.roles.contains(&role)
    }

    const fn on(self, roles: &'static [Role]) -> Self {
        AlertRule { roles, ..self }
    }

    const fn value(self, lo: u32, hi: u32) -> Self {
        AlertRule {
            value: (lo, hi),
            ..self
        }
    }

    const fn weight(self, weight: u32) -> Self {
        AlertRule { weight, ..self }
    }

    const fn flapping(self) -> Self {
        AlertRule {
            flapping: true,
            ..self
        }
    }
}

use Severity::{Critical, Info, Warning};

/// The `alertname` of the host-down rule (used by the scripted events).
pub const HOST_DOWN: &str = "HostDown";
/// The `alertname` of the RAID rule (used by the scripted events).
pub const RAID_DEGRADED: &str = "RaidDegraded";

/// Alerting rules with their weights; P3 dominates, P1 is rare.
#[rustfmt::skip]
pub const ALERT_RULES: &[AlertRule] = &[
    rule(HOST_DOWN, Critical, P1, "Host down: {host}"),
    rule("UpsOnBattery", Critical, P1, "USV im Batteriebetrieb: {host}, Restlaufzeit {n} min")
        .on(&[Role::Ups]).value(5, 40).flapping(),
    rule("UpsSelfTestFailed", Warning, P3, "USV-Selbsttest fehlgeschlagen auf {host}")
        .on(&[Role::Ups]).weight(3),
    rule("UpsHighLoad", Info, P4, "USV-Last {n}% auf {host}")
        .on(&[Role::Ups]).value(70, 95).weight(3).flapping(),
    rule("DiskSpaceCritical", Critical, P2, "CRITICAL: disk /var {n}% on {host}")
        .on(&[Role::App, Role::Nas]).value(95, 99).weight(5),
    rule(RAID_DEGRADED, Critical, P2, "RAID degraded on {host}")
        .on(&[Role::Esx, Role::Nas, Role::Sql, Role::File]).weight(2),
    rule("ServiceDown", Critical, P2, "Dienst 'MSSQLSERVER' gestoppt auf {host}")
        .on(&[Role::Sql]).weight(3).flapping(),
    rule("VpnTunnelDown", Critical, P2, "IPsec tunnel to head office down on {host}")
        .on(&[Role::Firewall]).weight(2).flapping(),
    rule("LoginFailures", Warning, P2, "{n} failed logins for 'administrator' on {host} in 10 min")
        .on(&[Role::Dc]).value(50, 600).weight(2).flapping(),
    rule("DiskSpaceWarning", Warning, P3, "WARNING: Laufwerk C: zu {n}% belegt auf {host}")
        .on(Role::SERVERS).value(85, 94).weight(9),
    rule("CertificateExpiry", Warning, P3, "Zertifikat läuft in {n} Tagen ab: {host}")
        .on(&[Role::Mail, Role::Rds, Role::Firewall, Role::App]).value(3, 14).weight(5),
    rule("HighCpuLoad", Warning, P3, "CPU load high on {host} (load {n})")
        .on(Role::SERVERS).value(8, 40).weight(8).flapping(),
    rule("HighMemoryUsage", Warning, P3, "Speicherauslastung {n}% auf {host}")
        .on(Role::SERVERS).value(88, 98).weight(6).flapping(),
    rule("InterfaceDown", Warning, P3, "Interface port{n} down on {host}")
        .on(&[Role::Switch, Role::Firewall]).value(1, 48).weight(4).flapping(),
    rule("SmartWarning", Warning, P3, "SMART: reallocated sectors rising on {host} (disk {n})")
        .on(&[Role::Nas, Role::Esx, Role::File]).value(1, 8).weight(3),
    rule("PacketLoss", Warning, P3, "Paketverlust {n}% auf WAN-Strecke {host}")
        .on(&[Role::Firewall]).value(5, 40).weight(4).flapping(),
    rule("ExchangeQueue", Warning, P3, "Exchange transport queue {n} messages on {host}")
        .on(&[Role::Mail]).value(200, 4000).weight(3).flapping(),
    rule("BackupRepoFull", Warning, P3, "Backup-Repository zu {n}% voll auf {host}")
        .on(&[Role::Nas]).value(85, 99).weight(3),
    rule("DatastoreLatency", Warning, P3, "Datastore latency {n} ms on {host}")
        .on(&[Role::Esx]).value(40, 250).weight(3).flapping(),
    rule("PendingUpdates", Info, P4, "Windows-Updates seit {n} Tagen ausstehend auf {host}")
        .on(Role::SERVERS).value(20, 90).weight(6),
    rule("ClockSkew", Info, P4, "NTP offset {n} ms on {host}")
        .on(&[Role::Dc, Role::Esx]).value(120, 900).weight(3).flapping(),
    rule("FirmwareOutdated", Info, P4, "Firmware-Update verfügbar für {host}")
        .on(&[Role::Firewall, Role::Switch, Role::Nas, Role::Ups]).weight(3),
];

/// A backup job, protecting hosts of a role.
#[derive(Clone, Copy, Debug)]
pub struct BackupJob {
    pub name: &'static str,
    pub role: Role,
    /// Hours between runs; the RPO is this plus a grace period.
    pub interval_h: u32,
}

/// Backup jobs by the role of the host they protect.
pub const BACKUP_JOBS: &[BackupJob] = &[
    BackupJob {
        name: "SQL-Nightly",
        role: Role::Sql,
        interval_h: 24,
    },
    BackupJob {
        name: "DC-SystemState",
        role: Role::Dc,
        interval_h: 24,
    },
    BackupJob {
        name: "Fileserver-Daily",
        role: Role::File,
        interval_h: 24,
    },
    BackupJob {
        name: "Exchange-Hourly",
        role: Role::Mail,
        interval_h: 1,
    },
    BackupJob {
        name: "App-Image-Nightly",
        role: Role::App,
        interval_h: 24,
    },
    BackupJob {
        name: "RDS-Profiles-Daily",
        role: Role::Rds,
        interval_h: 24,
    },
    BackupJob {
        name: "VM-Replica-Nightly",
        role: Role::Esx,
        interval_h: 24,
    },
];

/// Grace on top of a job's interval before the restore point counts as too old.
pub const RPO_GRACE_H: u32 = 2;

/// The four ways a backup becomes a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Finding {
    /// The last run failed.
    LastRunFailed,
    /// The newest good restore point is older than the RPO.
    RpoExceeded,
    /// The job silently stopped running (its last result still says success).
    JobStopped,
    /// The periodic recovery test is overdue.
    RestoreTestOverdue,
}

impl Finding {
    pub const ALL: [Finding; 4] = [
        Finding::LastRunFailed,
        Finding::RpoExceeded,
        Finding::JobStopped,
        Finding::RestoreTestOverdue,
    ];

    /// Machine name (label `finding`, part of the external id).
    pub fn name(self) -> &'static str {
        match self {
            Finding::LastRunFailed => "last-run-failed",
            Finding::RpoExceeded => "rpo-exceeded",
            Finding::JobStopped => "job-stopped",
            Finding::RestoreTestOverdue => "restore-test-overdue",
        }
    }

    pub fn priority(self) -> Priority {
        match self {
            Finding::LastRunFailed | Finding::RpoExceeded => P2,
            Finding::JobStopped => P3,
            Finding::RestoreTestOverdue => P4,
        }
    }

    /// Relative frequency among findings.
    pub fn weight(self) -> u32 {
        match self {
            Finding::LastRunFailed => 4,
            Finding::RpoExceeded => 3,
            Finding::JobStopped => 2,
            Finding::RestoreTestOverdue => 3,
        }
    }
}

/// The finding's headline. `value` is the exit code, the age in hours, the days without run,
/// or the days the recovery test is overdue.
pub fn finding_title(finding: Finding, job: &BackupJob, host: &str, value: u32) -> String {
    let name = job.name;
    match finding {
        Finding::LastRunFailed => format!("Backup job '{name}' failed on {host} (exit {value})"),
        Finding::RpoExceeded => format!(
            "Newest restore point of '{name}' on {host} is {value} h old (RPO {} h)",
            job.interval_h + RPO_GRACE_H
        ),
        Finding::JobStopped => format!(
            "Backup-Job '{name}' auf {host} seit {value} Tagen nicht gelaufen (letztes Ergebnis: OK)"
        ),
        Finding::RestoreTestOverdue => {
            format!(
                "Wiederherstellungstest für '{name}' seit {value} Tagen überfällig (quartalsweise)"
            )
        }
    }
}

/// Value range for [`finding_title`].
pub fn finding_value_range(finding: Finding, job: &BackupJob) -> (u32, u32) {
    let rpo = job.interval_h + RPO_GRACE_H;
    match finding {
        Finding::LastRunFailed => (1, 9),
        Finding::RpoExceeded => (rpo + 1, rpo * 3),
        Finding::JobStopped => (2, 9),
        Finding::RestoreTestOverdue => (3, 60),
    }
}

/// Backup tools, by whether the tenant runs VMware (label `tool`).
pub fn backup_tool(has_hypervisor: bool) -> &'static str {
    if has_hypervisor { "veeam" } else { "restic" }
}

/// Status words as the demo PSA, monitoring and backup systems write them.
pub mod status {
    pub const NEW: &str = "new";
    pub const IN_PROGRESS: &str = "in progress";
    pub const OPEN: &str = "open";
    pub const WAITING_CUSTOMER: &str = "waiting for customer";
    pub const WAITING_VENDOR: &str = "waiting for vendor";
    pub const FIRING: &str = "firing";
    pub const ACKNOWLEDGED: &str = "acknowledged";
    pub const SILENCED: &str = "silenced";
    pub const RESOLVED: &str = "resolved";
}

/// Nominal first-response targets per priority, mirroring the standard contract. Initial
/// ages are spread around these so that some clocks are breached, some warn, most are fine.
pub fn nominal_first_response(p: Priority) -> SignedDuration {
    SignedDuration::from_mins([30, 60, 240, 480][p.index()])
}

/// Nominal resolution targets per priority (see [`nominal_first_response`]).
pub fn nominal_resolution(p: Priority) -> SignedDuration {
    SignedDuration::from_mins([240, 480, 1440, 4800][p.index()])
}

/// Replace `{host}` and `{n}` in a template.
pub fn fill(template: &str, host: &str, n: u32) -> String {
    let mut out = String::with_capacity(template.len() + host.len() + 8);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        if let Some(after) = tail.strip_prefix("{host}") {
            out.push_str(host);
            rest = after;
        } else if let Some(after) = tail.strip_prefix("{n}") {
            push_number(&mut out, n);
            rest = after;
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

fn push_number(out: &mut String, n: u32) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "{n}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_host_and_value() {
        assert_eq!(
            fill("CRITICAL: disk /var {n}% on {host}", "sql-02", 97),
            "CRITICAL: disk /var 97% on sql-02"
        );
        assert_eq!(fill("a {b} c", "h", 1), "a {b} c");
    }

    #[test]
    fn every_priority_has_subjects_and_alert_rules() {
        for p in Priority::ALL {
            assert!(SUBJECTS.iter().any(|s| s.priority == p), "{p}");
            assert!(ALERT_RULES.iter().any(|r| r.priority == p), "{p}");
        }
    }

    #[test]
    fn subjects_with_host_placeholder_name_roles() {
        for s in SUBJECTS {
            if s.text.contains("{host}") {
                assert!(!s.roles.is_empty(), "{}", s.text);
            }
        }
    }

    #[test]
    fn hostile_subject_has_escape_bell_and_length() {
        assert!(HOSTILE_SUBJECT.contains('\x1b'));
        assert!(HOSTILE_SUBJECT.contains('\x07'));
        assert!(HOSTILE_SUBJECT.chars().count() > 300);
    }

    #[test]
    fn finding_titles_read_like_the_tools() {
        let job = BACKUP_JOBS[0];
        assert_eq!(
            finding_title(Finding::LastRunFailed, &job, "sql-02", 4),
            "Backup job 'SQL-Nightly' failed on sql-02 (exit 4)"
        );
        let (lo, hi) = finding_value_range(Finding::RpoExceeded, &job);
        assert!(lo > job.interval_h + RPO_GRACE_H && hi > lo);
    }
}
