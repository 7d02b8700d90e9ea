//! The scripted story of the demo night: fixed events at fixed offsets from `start`, the same
//! for every seed (the table is in the module doc of [`super`]). The items a story is told
//! with carry a [`Tag`]; random events leave them alone and random generation never takes
//! their place.

use jiff::SignedDuration;

use super::lifecycle;
use super::vocab::{self, Finding};
use super::world::{RESOLVED_LINGER, Tracked, World};
use crate::model::StatusCategory;

/// Tenant whose monitoring becomes unreachable.
pub const OUTAGE_TENANT: &str = "swn";
/// Offset from `start` at which that monitoring stops answering.
pub const OUTAGE_FROM: SignedDuration = SignedDuration::from_mins(3);
/// Offset from `start` at which it answers again.
pub const OUTAGE_UNTIL: SignedDuration = SignedDuration::from_mins(15);

/// (tenant, host) of the scripted host-down alert and the P1 ticket that follows it.
pub const HOST_DOWN_AT: (&str, &str) = ("hansa", "fw-01");
/// (tenant, host, job) of the scripted failed nightly backup.
pub const FAILED_BACKUP_AT: (&str, &str, &str) = ("mueller", "sql-02", "SQL-Nightly");
/// Exit code of the scripted failed backup.
pub const FAILED_BACKUP_EXIT: u32 = 4;
/// (tenant, host) of the scripted degraded RAID.
pub const RAID_AT: (&str, &str) = ("koenig", "esx-02");

/// Marks an item the script tells its story with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// The ticket with control characters in its subject.
    Hostile,
    HostDown,
    Incident,
    FailedBackup,
    Raid,
}

/// One scripted event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scripted {
    HostDown,
    IncidentTicket,
    CustomerReply,
    BackupFails,
    IncidentAnswered,
    HostBack,
    RaidDegraded,
}

const fn at_min(min: i64, event: Scripted) -> (SignedDuration, Scripted) {
    (SignedDuration::from_mins(min), event)
}

/// The script, ordered by offset from `start`. (The monitoring outage is a time window, not
/// an event: see [`OUTAGE_FROM`].)
pub const SCRIPT: &[(SignedDuration, Scripted)] = &[
    at_min(2, Scripted::HostDown),
    at_min(6, Scripted::IncidentTicket),
    at_min(10, Scripted::CustomerReply),
    at_min(20, Scripted::BackupFails),
    at_min(25, Scripted::IncidentAnswered),
    at_min(35, Scripted::HostBack),
    at_min(50, Scripted::RaidDegraded),
];

/// Whether random alerts must keep off this (tenant, host, rule).
pub fn reserved_alert(tenant: &str, host: &str, alertname: &str) -> bool {
    (alertname == vocab::HOST_DOWN && (tenant, host) == HOST_DOWN_AT)
        || (alertname == vocab::RAID_DEGRADED && (tenant, host) == RAID_AT)
}

/// Whether random findings must keep off this external id.
pub fn reserved_finding(external_id: &str) -> bool {
    let (tenant, host, job) = FAILED_BACKUP_AT;
    let failed = Finding::LastRunFailed.name();
    external_id == format!("{tenant}/{host}/{job}/{failed}")
}

impl World {
    /// Play every scripted event that is due.
    pub(super) fn run_script(&mut self) {
        while let Some(&(offset, event)) = SCRIPT.get(self.next_scripted) {
            if self.start + offset > self.now {
                break;
            }
            self.next_scripted += 1;
            self.play(event);
        }
    }

    fn play(&mut self, event: Scripted) {
        match event {
            Scripted::HostDown => {
                self.scripted_alert(HOST_DOWN_AT, vocab::HOST_DOWN, Tag::HostDown)
            }
            Scripted::IncidentTicket => self.incident_ticket(),
            Scripted::CustomerReply => self.oldest_waiting_customer_replies(),
            Scripted::BackupFails => self.nightly_backup_fails(),
            Scripted::IncidentAnswered => self.incident_answered(),
            Scripted::HostBack => self.host_back(),
            Scripted::RaidDegraded => self.scripted_alert(RAID_AT, vocab::RAID_DEGRADED, Tag::Raid),
        }
    }

    /// (tenant index, host index) of a scripted target; the tables guarantee both exist.
    fn target(&self, (tenant, host): (&str, &str)) -> Option<(usize, usize)> {
        let t = self.tenant_index(tenant)?;
        Some((t, self.tenants[t].host_index(host)?))
    }

    fn scripted_alert(&mut self, at: (&str, &str), alertname: &str, tag: Tag) {
        let Some((tenant, host)) = self.target(at) else {
            return;
        };
        let Some(rule) = vocab::ALERT_RULES.iter().find(|r| r.alertname == alertname) else {
            return;
        };
        let item = self.fire_alert(tenant, host, rule, self.now);
        let mut tracked = Tracked::new(item);
        tracked.life.tag = Some(tag);
        self.live.alerts.push(tracked);
    }

    fn incident_ticket(&mut self) {
        let Some((tenant, host)) = self.target(HOST_DOWN_AT) else {
            return;
        };
        let item = self.open_ticket(tenant, &vocab::INCIDENT, Some(host), self.now);
        let mut tracked = Tracked::new(item);
        tracked.life.tag = Some(Tag::Incident);
        self.live.tickets.push(tracked);
    }

    fn oldest_waiting_customer_replies(&mut self) {
        let waiting = self
            .live
            .tickets
            .iter_mut()
            .filter(|t| t.is_free() && t.item.status.category == StatusCategory::Waiting)
            .min_by_key(|t| t.item.sla.status_since);
        if let Some(t) = waiting {
            lifecycle::customer_replied(&mut self.words, &mut t.item, self.now);
        }
    }

    fn nightly_backup_fails(&mut self) {
        let (tenant, host, job) = FAILED_BACKUP_AT;
        let Some((t, h)) = self.target((tenant, host)) else {
            return;
        };
        let jobs = &self.tenants[t].jobs;
        let Some(j) = jobs.iter().position(|&(jh, b)| jh == h && b.name == job) else {
            return;
        };
        let exit = Some(FAILED_BACKUP_EXIT);
        let item = self.raise_finding(t, j, Finding::LastRunFailed, exit, self.now);
        let mut tracked = Tracked::new(item);
        tracked.life.tag = Some(Tag::FailedBackup);
        self.live.backups.push(tracked);
    }

    fn incident_answered(&mut self) {
        let agent = self.agent();
        let now = self.now;
        if let Some(t) = tagged(&mut self.live.tickets, Tag::Incident) {
            lifecycle::answer(&mut self.words, &mut t.item, agent, now);
        }
    }

    fn host_back(&mut self) {
        let now = self.now;
        let Some(t) = tagged(&mut self.live.alerts, Tag::HostDown) else {
            return;
        };
        if t.is_open() {
            lifecycle::resolve(&mut self.words, &mut t.item, now);
            t.life.gone_at = Some(now + RESOLVED_LINGER);
        }
    }
}

/// The item with this tag in the list.
fn tagged(list: &mut [Tracked], tag: Tag) -> Option<&mut Tracked> {
    list.iter_mut().find(|t| t.life.tag == Some(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_is_ordered_and_fits_in_the_first_hour() {
        let offsets: Vec<_> = SCRIPT.iter().map(|(o, _)| *o).collect();
        assert!(offsets.windows(2).all(|w| w[0] < w[1]));
        assert!(*offsets.last().unwrap() < SignedDuration::from_hours(1));
        assert!(OUTAGE_FROM < OUTAGE_UNTIL);
    }

    #[test]
    fn scripted_targets_exist() {
        let world = World::new(3, jiff::Timestamp::UNIX_EPOCH);
        assert!(world.target(HOST_DOWN_AT).is_some());
        assert!(world.target(RAID_AT).is_some());
        let (t, h, _) = FAILED_BACKUP_AT;
        assert!(world.target((t, h)).is_some());
        assert!(world.tenant_index(OUTAGE_TENANT).is_some());
        assert!(reserved_finding(
            "mueller/sql-02/SQL-Nightly/last-run-failed"
        ));
        assert!(reserved_alert("hansa", "fw-01", "HostDown"));
        assert!(!reserved_alert("hansa", "fw-01", "PacketLoss"));
    }
}
