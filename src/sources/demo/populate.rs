//! The world as the night shift finds it at `start`: ~250 tickets, alerts and backup findings
//! with a history (created over the past days, answered, waiting, acknowledged, silenced),
//! their ages spread around the nominal SLA targets so that most clocks are fine, some warn
//! and some are already breached. Also the factories that later events reuse.

use jiff::{SignedDuration, Timestamp};

use super::dice::{self, chance, instant_between, share, span};
use super::lifecycle::{self, AckKind};
use super::make::{self, FindingDraft, TicketDraft};
use super::names::CONTACTS;
use super::script::Tag;
use super::vocab::{self, AlertRule, Finding, SUBJECTS, Subject, status};
use super::world::{Tracked, World};
use crate::model::{Item, Priority};

/// Share of tickets per priority (percent): few P1, many P3.
const TICKET_MIX: [u32; 4] = [3, 17, 52, 28];

/// Weights of (fine, warning, breached) for the initial ages.
type BandMix = (u32, u32, u32);
const TICKET_BANDS: BandMix = (70, 15, 15);
const ALERT_BANDS: BandMix = (60, 12, 28);
const FINDING_BANDS: BandMix = (65, 15, 20);

/// How far a ticket had come by `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TicketState {
    New,
    InProgress,
    Waiting,
}

/// A ticket to create, decided before ticket numbers are handed out in order of creation.
struct TicketPlan {
    tenant: usize,
    subject: &'static Subject,
    host: Option<usize>,
    state: TicketState,
    created: Timestamp,
    tag: Option<Tag>,
}

impl World {
    /// Fill the world with what is open at `start`.
    pub(super) fn populate(&mut self) {
        self.populate_tickets();
        let alerts = 108 + self.rng.usize(0..=14);
        self.repeat_until(alerts, World::initial_alert);
        let findings = 36 + self.rng.usize(0..=6);
        self.repeat_until(findings, World::initial_finding);
    }

    /// Call `make` until it succeeded `n` times (it declines duplicates), with a bound.
    fn repeat_until(&mut self, n: usize, make: fn(&mut World) -> bool) {
        let mut made = 0;
        for _ in 0..n * 20 {
            if made == n {
                break;
            }
            made += usize::from(make(self));
        }
    }

    fn populate_tickets(&mut self) {
        let n = 96 + self.rng.usize(0..=12);
        let mut plans: Vec<TicketPlan> = self
            .ticket_priorities(n)
            .into_iter()
            .map(|p| self.plan_ticket(p))
            .collect();
        plans.push(self.hostile_plan());
        plans.sort_by_key(|p| p.created);
        for plan in plans {
            let tracked = self.build_ticket(plan);
            self.live.tickets.push(tracked);
        }
    }

    /// `n` priorities in the proportions of [`TICKET_MIX`], shuffled; at least one of each.
    fn ticket_priorities(&mut self, n: usize) -> Vec<Priority> {
        let mut list = Vec::with_capacity(n);
        for p in [Priority::P1, Priority::P2, Priority::P4] {
            let count = (n * TICKET_MIX[p.index()] as usize / 100).max(1);
            list.extend(std::iter::repeat_n(p, count));
        }
        list.resize(n.max(list.len()), Priority::P3);
        self.rng.shuffle(&mut list);
        list
    }

    fn plan_ticket(&mut self, priority: Priority) -> TicketPlan {
        let tenant = self.pick_tenant();
        let (subject, host) = self.pick_subject(tenant, priority);
        let state = match dice::weighted_index(&mut self.rng, [35, 45, 20].into_iter()) {
            Some(0) => TicketState::New,
            Some(1) => TicketState::InProgress,
            _ => TicketState::Waiting,
        };
        let target = match state {
            TicketState::New => vocab::nominal_first_response(priority),
            _ => vocab::nominal_resolution(priority),
        };
        let age = self.band_age(target, TICKET_BANDS);
        TicketPlan {
            tenant,
            subject,
            host,
            state,
            created: self.start - age,
            tag: None,
        }
    }

    /// The forwarded e-mail with control characters in its subject.
    fn hostile_plan(&mut self) -> TicketPlan {
        TicketPlan {
            tenant: self.tenant_index("koenig").unwrap_or(0),
            subject: &vocab::HOSTILE,
            host: None,
            state: TicketState::New,
            created: self.start - SignedDuration::from_mins(25),
            tag: Some(Tag::Hostile),
        }
    }

    fn build_ticket(&mut self, plan: TicketPlan) -> Tracked {
        let mut item = self.open_ticket(plan.tenant, plan.subject, plan.host, plan.created);
        match plan.state {
            TicketState::New => self.maybe_dispatch(&mut item),
            TicketState::InProgress => self.answer_in_past(&mut item),
            TicketState::Waiting => {
                self.answer_in_past(&mut item);
                self.wait_in_past(&mut item);
            }
        }
        let mut tracked = Tracked::new(item);
        tracked.life.tag = plan.tag;
        tracked
    }

    /// Some new tickets were already put on an agent's desk by the dispatcher.
    fn maybe_dispatch(&mut self, item: &mut Item) {
        if chance(&mut self.rng, 1, 5) {
            item.assignee = Some(self.agent());
        }
    }

    /// The first response came some time within the first-response target (or the age).
    fn answer_in_past(&mut self, item: &mut Item) {
        let target = vocab::nominal_first_response(item.priority);
        let age = self.start.duration_since(item.created.timestamp());
        let at = item.created.timestamp() + share(&mut self.rng, target.min(age), 0.1, 0.9);
        let agent = self.agent();
        lifecycle::answer(&mut self.words, item, agent, at);
    }

    /// Waiting since some time after the last change; sometimes after an earlier pause.
    fn wait_in_past(&mut self, item: &mut Item) {
        let latest = self.start - SignedDuration::from_mins(1);
        let mut since = item.updated.timestamp();
        if chance(&mut self.rng, 2, 5) {
            let third = since + latest.duration_since(since) / 3;
            let asked = instant_between(&mut self.rng, since, third);
            let replied = instant_between(&mut self.rng, asked, third);
            lifecycle::wait_for(&mut self.words, item, status::WAITING_CUSTOMER, asked);
            lifecycle::customer_replied(&mut self.words, item, replied);
            since = replied;
        }
        let label = if chance(&mut self.rng, 1, 6) {
            status::WAITING_VENDOR
        } else {
            status::WAITING_CUSTOMER
        };
        let at = instant_between(&mut self.rng, since, latest);
        lifecycle::wait_for(&mut self.words, item, label, at);
    }

    /// An age around `target`: fine (well inside), warning (75-97 %) or breached.
    fn band_age(
        &mut self,
        target: SignedDuration,
        (fine, warn, breach): BandMix,
    ) -> SignedDuration {
        let rng = &mut self.rng;
        let age = match dice::weighted_index(rng, [fine, warn, breach].into_iter()) {
            Some(0) => share(rng, target, 0.05, 0.7),
            Some(1) => share(rng, target, 0.78, 0.97),
            _ => share(rng, target, 1.05, 3.0),
        };
        age.max(SignedDuration::from_mins(2))
    }

    /// A subject of `priority` that fits the tenant, and the host it names.
    pub(super) fn pick_subject(
        &mut self,
        tenant: usize,
        priority: Priority,
    ) -> (&'static Subject, Option<usize>) {
        let hosts = &self.tenants[tenant].hosts;
        let fits = |s: &Subject| {
            s.priority == priority
                && (s.roles.is_empty() || hosts.iter().any(|h| s.roles.contains(&h.role)))
        };
        let weights = SUBJECTS.iter().map(|s| u32::from(fits(s)));
        let index = dice::weighted_index(&mut self.rng, weights).unwrap_or(0);
        let subject = &SUBJECTS[index];
        (subject, self.host_for_roles(tenant, subject.roles))
    }

    /// A host of the tenant with one of `roles`; none when `roles` is empty.
    pub(super) fn host_for_roles(
        &mut self,
        tenant: usize,
        roles: &[super::names::Role],
    ) -> Option<usize> {
        if roles.is_empty() {
            return None;
        }
        let hosts = &self.tenants[tenant].hosts;
        let weights = hosts.iter().map(|h| u32::from(roles.contains(&h.role)));
        dice::weighted_index(&mut self.rng, weights)
    }

    /// A new ticket in the PSA, numbered in order of arrival.
    pub(super) fn open_ticket(
        &mut self,
        tenant: usize,
        subject: &'static Subject,
        host: Option<usize>,
        created: Timestamp,
    ) -> Item {
        let number = self.take_ticket_number();
        let contact = *dice::pick(&mut self.rng, CONTACTS);
        let channel = *dice::pick(&mut self.rng, vocab::CHANNELS);
        let t = &self.tenants[tenant];
        let place = t.place(&self.psa, host);
        let draft = TicketDraft {
            number,
            subject,
            title: make::ticket_title(subject, place.host),
            contact,
            channel,
        };
        make::new_ticket(&mut self.words, place, draft, created)
    }

    fn initial_alert(&mut self) -> bool {
        let tenant = self.pick_tenant();
        let host = self.rng.usize(0..self.tenants[tenant].hosts.len());
        let Some(rule) = self.pick_rule(tenant, host) else {
            return false;
        };
        let age = self.band_age(vocab::nominal_first_response(rule.priority), ALERT_BANDS);
        let mut tracked = Tracked::new(self.fire_alert(tenant, host, rule, self.start - age));
        self.initial_alert_state(&mut tracked, age);
        if (rule.flapping && chance(&mut self.rng, 1, 2)) || chance(&mut self.rng, 1, 10) {
            let after = span(
                &mut self.rng,
                SignedDuration::from_mins(2),
                SignedDuration::from_mins(150),
            );
            tracked.life.clears_at = Some(self.start + after);
        }
        self.live.alerts.push(tracked);
        true
    }

    /// Firing (most), acknowledged or silenced by a colleague earlier.
    fn initial_alert_state(&mut self, tracked: &mut Tracked, age: SignedDuration) {
        let how = match dice::weighted_index(&mut self.rng, [70, 20, 10].into_iter()) {
            Some(1) => AckKind::Acknowledged,
            Some(2) => AckKind::Silenced,
            _ => return,
        };
        self.ack_in_past(tracked, how, age);
    }

    fn ack_in_past(&mut self, tracked: &mut Tracked, how: AckKind, age: SignedDuration) {
        let target = vocab::nominal_first_response(tracked.item.priority);
        let at = tracked.item.created.timestamp() + share(&mut self.rng, target.min(age), 0.1, 0.9);
        let agent = self.agent();
        let restore = lifecycle::ack(&mut self.words, &mut tracked.item, how, agent, None, at);
        tracked.life.restore = Some(restore);
    }

    /// A rule for that host that does not fire there yet (and is not kept for the script).
    pub(super) fn pick_rule(&mut self, tenant: usize, host: usize) -> Option<&'static AlertRule> {
        let role = self.tenants[tenant].hosts[host].role;
        let weights = vocab::ALERT_RULES
            .iter()
            .map(|r| if r.applies_to(role) { r.weight } else { 0 });
        let rule = &vocab::ALERT_RULES[dice::weighted_index(&mut self.rng, weights)?];
        let taken = self.alert_exists(tenant, host, rule.alertname)
            || self.is_reserved_alert(tenant, host, rule.alertname);
        (!taken).then_some(rule)
    }

    /// A firing alert of `rule` on the tenant's host, with a fresh fingerprint.
    pub(super) fn fire_alert(
        &mut self,
        tenant: usize,
        host: usize,
        rule: &AlertRule,
        created: Timestamp,
    ) -> Item {
        let fingerprint = self.rng.u64(..);
        let value = dice::value(&mut self.rng, rule.value);
        let t = &self.tenants[tenant];
        let place = t.place(&t.monitoring, Some(host));
        make::new_alert(&mut self.words, place, fingerprint, rule, value, created)
    }

    fn initial_finding(&mut self) -> bool {
        let Some((tenant, job, finding)) = self.pick_finding(&Finding::ALL) else {
            return false;
        };
        let target = vocab::nominal_first_response(finding.priority());
        let age = self.band_age(target, FINDING_BANDS);
        let item = self.raise_finding(tenant, job, finding, None, self.start - age);
        let mut tracked = Tracked::new(item);
        if chance(&mut self.rng, 1, 5) {
            self.ack_in_past(&mut tracked, AckKind::Acknowledged, age);
        }
        self.live.backups.push(tracked);
        true
    }

    /// A (tenant, job index, finding) that is not open yet, drawn from `kinds` by weight.
    pub(super) fn pick_finding(&mut self, kinds: &[Finding]) -> Option<(usize, usize, Finding)> {
        let tenant = self.pick_tenant();
        let jobs = self.tenants[tenant].jobs.len();
        if jobs == 0 {
            return None;
        }
        let job = self.rng.usize(0..jobs);
        let finding = kinds[dice::weighted_index(&mut self.rng, kinds.iter().map(|f| f.weight()))?];
        let id = self.finding_id(tenant, job, finding);
        let taken = self.finding_exists(&id) || super::script::reserved_finding(&id);
        (!taken).then_some((tenant, job, finding))
    }

    pub(super) fn finding_id(&self, tenant: usize, job: usize, finding: Finding) -> String {
        let t = &self.tenants[tenant];
        let (host, job) = t.jobs[job];
        make::finding_id(&t.id, &t.hosts[host], job, finding)
    }

    /// An open backup finding; `value` is drawn when not given.
    pub(super) fn raise_finding(
        &mut self,
        tenant: usize,
        job: usize,
        finding: Finding,
        value: Option<u32>,
        created: Timestamp,
    ) -> Item {
        let id = self.finding_id(tenant, job, finding);
        let t = &self.tenants[tenant];
        let (host, backup_job) = t.jobs[job];
        let range = vocab::finding_value_range(finding, backup_job);
        let value = value.unwrap_or_else(|| dice::value(&mut self.rng, range));
        let draft = FindingDraft {
            finding,
            job: backup_job,
            value,
            tool: t.backup_tool,
            repository: t.repository(),
        };
        let place = t.place(&self.backup, Some(host));
        make::new_finding(&mut self.words, place, &id, draft, created)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::demo::names::TENANTS;

    #[test]
    fn every_tenant_has_a_subject_for_every_priority() {
        for t in TENANTS {
            for p in Priority::ALL {
                let fits = SUBJECTS.iter().any(|s| {
                    s.priority == p
                        && (s.roles.is_empty() || t.hosts.iter().any(|h| s.roles.contains(&h.role)))
                });
                assert!(fits, "{} {p}", t.id);
            }
        }
    }

    #[test]
    fn every_tenant_has_a_backup_job_and_an_alert_rule_per_host() {
        let world = World::new(1, Timestamp::UNIX_EPOCH);
        for t in &world.tenants {
            assert!(!t.jobs.is_empty(), "{}", t.def.id);
            for h in &t.hosts {
                assert!(vocab::ALERT_RULES.iter().any(|r| r.applies_to(h.role)));
            }
        }
    }
}
