//! Builders that turn vocabulary into [`Item`]s in their first status (a new ticket, a firing
//! alert, an open backup finding). Shared by the live demo world and the bulk generator;
//! repeated words are shared through [`Words`].

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;

use super::names::{HostDef, Role};
use super::vocab::{self, AlertRule, BackupJob, Finding, Subject, status};
use crate::model::{
    Item, ItemKey, Kind, Label, Labels, Moment, Priority, SlaFacts, SourceId, Status,
    StatusCategory, TenantId,
};

/// Interns the words that repeat across items (status words, agent names), so thousands of
/// items share one allocation per word. Labels are shared by [`Label`] itself.
#[derive(Default)]
pub struct Words(HashMap<&'static str, Arc<str>>);

impl Words {
    pub fn get(&mut self, word: &'static str) -> Arc<str> {
        self.0
            .entry(word)
            .or_insert_with(|| Arc::from(word))
            .clone()
    }

    pub fn status(&mut self, category: StatusCategory, word: &'static str) -> Status {
        Status {
            category,
            label: self.get(word),
        }
    }
}

/// A machine of a tenant with the strings items share.
#[derive(Clone, Debug)]
pub struct Host {
    /// As items show it: FQDN for domain members, the short name for appliances.
    pub name: Arc<str>,
    pub short: Arc<str>,
    /// RFC 1918 address (nothing ever connects to it).
    pub address: Arc<str>,
    /// `<name>:<exporter port>` for the `instance` label.
    pub instance: Arc<str>,
    pub role: Role,
}

impl Host {
    /// The `index`-th host of a tenant whose AD domain is `domain` and whose network starts
    /// with `network` (three octets).
    pub fn new(def: &HostDef, domain: &str, network: &str, index: usize) -> Self {
        let name: Arc<str> = if def.role.is_appliance() {
            Arc::from(def.name)
        } else {
            Arc::from(format!("{}.{domain}", def.name))
        };
        Host {
            instance: Arc::from(format!("{name}:{}", def.role.exporter_port())),
            name,
            short: Arc::from(def.name),
            address: Arc::from(format!("{network}.{}", 10 + index)),
            role: def.role,
        }
    }
}

/// Where an item belongs: its source, its tenant and (optionally) its host.
#[derive(Clone, Copy)]
pub struct Place<'a> {
    pub source: &'a SourceId,
    pub tenant: &'a TenantId,
    pub host: Option<&'a Host>,
}

/// Fields every kind shares; the kind-specific builders fill in the rest.
fn base(
    place: Place<'_>,
    external_id: &str,
    kind: Kind,
    status: Status,
    created: Timestamp,
) -> Item {
    Item {
        key: ItemKey::new(place.source, external_id),
        tenant: place.tenant.clone(),
        kind,
        title: Box::from(""),
        host: place.host.map(|h| h.name.clone()),
        address: place.host.map(|h| h.address.clone()),
        priority: Priority::P3,
        status,
        created: Moment::new(created),
        updated: Moment::new(created),
        assignee: None,
        labels: Labels::new(),
        link: None,
        sla: SlaFacts {
            status_since: Some(Moment::new(created)),
            ..SlaFacts::default()
        },
    }
}

/// What a new ticket is about.
pub struct TicketDraft<'a> {
    pub number: u64,
    pub subject: &'a Subject,
    pub title: Box<str>,
    pub contact: &'static str,
    pub channel: &'static str,
}

/// The subject's text with `{host}` filled in.
pub fn ticket_title(subject: &Subject, host: Option<&Host>) -> Box<str> {
    let short = host.map(|h| &*h.short).unwrap_or("");
    vocab::fill(subject.text, short, 0).into_boxed_str()
}

/// A ticket as the PSA shows it right after it arrived.
pub fn new_ticket(
    words: &mut Words,
    place: Place<'_>,
    draft: TicketDraft<'_>,
    created: Timestamp,
) -> Item {
    let external_id = draft.number.to_string();
    let status = words.status(StatusCategory::New, status::NEW);
    let mut item = base(place, &external_id, Kind::Ticket, status, created);
    item.title = draft.title;
    item.priority = draft.subject.priority;
    item.link = Some(format!("https://psa.demo.invalid/ticket/{external_id}").into());
    let kind = ticket_type(draft.subject);
    item.labels.push(Label::new("queue", draft.subject.queue));
    item.labels.push(Label::new("type", kind));
    item.labels.push(Label::new("channel", draft.channel));
    item.labels.push(Label::new("contact", draft.contact));
    if draft.subject.security {
        item.labels.push(Label::new("security", "incident"));
    }
    item
}

fn ticket_type(subject: &Subject) -> &'static str {
    match subject.queue {
        "Onboarding" | "Beschaffung" => "service-request",
        _ => "incident",
    }
}

/// A firing alert of `rule` on the place's host (which must be set).
pub fn new_alert(
    words: &mut Words,
    place: Place<'_>,
    fingerprint: u64,
    rule: &AlertRule,
    value: u32,
    created: Timestamp,
) -> Item {
    let external_id = format!("{fingerprint:016x}");
    let status = words.status(StatusCategory::New, status::FIRING);
    let mut item = base(place, &external_id, Kind::Alert, status, created);
    let host = place.host.expect("an alert has a host");
    item.title = vocab::fill(rule.title, &host.name, value).into_boxed_str();
    item.priority = rule.priority;
    item.link = Some(
        format!(
            "https://monitoring.demo.invalid/{}/alerts/{external_id}",
            place.tenant
        )
        .into(),
    );
    let job = if rule.alertname == vocab::HOST_DOWN {
        "blackbox"
    } else {
        host.role.monitoring_job()
    };
    item.labels.push(Label::new("alertname", rule.alertname));
    item.labels
        .push(Label::new("severity", rule.severity.label()));
    item.labels.push(Label::new("instance", &host.instance));
    item.labels.push(Label::new("job", job));
    item
}

/// What a new backup finding is about.
pub struct FindingDraft<'a> {
    pub finding: Finding,
    pub job: &'a BackupJob,
    pub value: u32,
    pub tool: &'static str,
    pub repository: &'static str,
}

/// The external id of a backup finding: one per tenant, host, job and kind of finding.
pub fn finding_id(tenant: &TenantId, host: &Host, job: &BackupJob, finding: Finding) -> String {
    format!("{tenant}/{}/{}/{}", host.short, job.name, finding.name())
}

/// An open backup finding on the place's host (which must be set).
pub fn new_finding(
    words: &mut Words,
    place: Place<'_>,
    external_id: &str,
    draft: FindingDraft<'_>,
    created: Timestamp,
) -> Item {
    let status = words.status(StatusCategory::New, status::OPEN);
    let mut item = base(place, external_id, Kind::Backup, status, created);
    let host = place.host.expect("a backup finding has a host");
    item.title =
        vocab::finding_title(draft.finding, draft.job, &host.short, draft.value).into_boxed_str();
    item.priority = draft.finding.priority();
    item.link = Some(
        format!(
            "https://backup.demo.invalid/{}/jobs/{}",
            place.tenant,
            draft.job.name.to_ascii_lowercase()
        )
        .into(),
    );
    item.labels.push(Label::new("job", draft.job.name));
    item.labels
        .push(Label::new("finding", draft.finding.name()));
    item.labels.push(Label::new("tool", draft.tool));
    item.labels.push(Label::new("repository", draft.repository));
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::demo::names::TENANTS;

    fn host(index: usize) -> Host {
        let t = &TENANTS[0];
        Host::new(&t.hosts[index], "mueller.local", t.network, index)
    }

    #[test]
    fn servers_get_fqdn_and_appliances_short_names() {
        let dc = host(0);
        assert_eq!(&*dc.name, "srv-dc01.mueller.local");
        assert_eq!(&*dc.address, "10.10.0.10");
        assert_eq!(&*dc.instance, "srv-dc01.mueller.local:9182");
        let fw = TENANTS[0].hosts.iter().position(|h| h.name == "fw-01");
        let fw = host(fw.expect("mueller has fw-01"));
        assert_eq!(&*fw.name, "fw-01");
    }

    #[test]
    fn words_share_one_allocation() {
        let mut words = Words::default();
        let a = words.get("firing");
        let b = words.get("firing");
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn alert_carries_monitoring_labels() {
        let mut words = Words::default();
        let h = host(3);
        let (src, tenant) = (SourceId::new("mon-mueller"), TenantId::new("mueller"));
        let place = Place {
            source: &src,
            tenant: &tenant,
            host: Some(&h),
        };
        let rule = &vocab::ALERT_RULES[2];
        let at = Timestamp::UNIX_EPOCH;
        let item = new_alert(&mut words, place, 0xabc, rule, 97, at);
        assert_eq!(&*item.key.external_id, "0000000000000abc");
        assert_eq!(item.label("alertname"), Some(rule.alertname));
        assert_eq!(item.label("instance"), Some("sql-02.mueller.local:9182"));
        assert_eq!(item.status.category, StatusCategory::New);
        assert!(item.link.as_deref().unwrap().contains(".invalid/"));
    }
}
