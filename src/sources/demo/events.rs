//! The random life of the demo world, one roll per kind of event and step: alerts fire (and
//! are scheduled to clear), colleagues acknowledge, tickets arrive, get answered, wait for
//! the customer, get replies and are solved, backups fail and recover. The rolls happen in a
//! fixed order every step, so the world depends only on the seed and the number of steps.

use jiff::SignedDuration;

use super::dice::{self, span};
use super::lifecycle::{self, AckKind};
use super::vocab::{Finding, status};
use super::world::{RESOLVED_LINGER, Tracked, World};
use crate::model::{Priority, StatusCategory};

/// Chance per 15-second step (numerator, denominator) of each event.
mod rate {
    pub const ALERT_FIRES: (u32, u32) = (1, 20); // ~12 per hour
    pub const COLLEAGUE_ACKS: (u32, u32) = (1, 120); // ~2 per hour
    pub const TICKET_ARRIVES: (u32, u32) = (1, 30); // ~8 per hour
    pub const AGENT_ANSWERS: (u32, u32) = (1, 24); // ~10 per hour
    pub const AGENT_ASKS: (u32, u32) = (1, 80); // ~3 per hour
    pub const CUSTOMER_REPLIES: (u32, u32) = (1, 60); // ~4 per hour
    pub const TICKET_SOLVED: (u32, u32) = (1, 45); // ~5 per hour
    pub const BACKUP_FAILS: (u32, u32) = (1, 400); // ~0.6 per hour
    pub const BACKUP_RECOVERS: (u32, u32) = (1, 300); // ~0.8 per hour
}

/// Priority weights of tickets that arrive during the night.
const NEW_TICKET_MIX: [u32; 4] = [2, 15, 55, 28];

impl World {
    /// Roll for every kind of random event once.
    pub(super) fn random_events(&mut self) {
        if self.roll(rate::ALERT_FIRES) {
            self.alert_fires();
        }
        if self.roll(rate::COLLEAGUE_ACKS) {
            self.colleague_acks();
        }
        if self.roll(rate::TICKET_ARRIVES) {
            self.ticket_arrives();
        }
        if self.roll(rate::AGENT_ANSWERS) {
            self.agent_answers();
        }
        if self.roll(rate::AGENT_ASKS) {
            self.agent_asks_customer();
        }
        if self.roll(rate::CUSTOMER_REPLIES) {
            self.customer_replies();
        }
        if self.roll(rate::TICKET_SOLVED) {
            self.ticket_solved();
        }
        if self.roll(rate::BACKUP_FAILS) {
            self.backup_fails();
        }
        if self.roll(rate::BACKUP_RECOVERS) {
            self.backup_recovers();
        }
    }

    fn roll(&mut self, (num, den): (u32, u32)) -> bool {
        dice::chance(&mut self.rng, num, den)
    }

    /// Index of a random item of `list` that random events may touch and `wanted` accepts.
    fn pick_free(
        &mut self,
        list: fn(&World) -> &Vec<Tracked>,
        wanted: fn(&Tracked) -> bool,
    ) -> Option<usize> {
        let candidates: Vec<usize> = list(self)
            .iter()
            .enumerate()
            .filter(|(_, t)| t.is_free() && wanted(t))
            .map(|(i, _)| i)
            .collect();
        (!candidates.is_empty()).then(|| *dice::pick(&mut self.rng, &candidates))
    }

    fn alert_fires(&mut self) {
        let tenant = self.pick_tenant();
        let host = self.rng.usize(0..self.tenants[tenant].hosts.len());
        let Some(rule) = self.pick_rule(tenant, host) else {
            return;
        };
        let mut tracked = Tracked::new(self.fire_alert(tenant, host, rule, self.now));
        let mins = SignedDuration::from_mins;
        let clears_after = if rule.flapping && self.roll((7, 10)) {
            Some(span(&mut self.rng, mins(3), mins(60)))
        } else if self.roll((3, 20)) {
            Some(span(&mut self.rng, mins(30), mins(240)))
        } else {
            None
        };
        tracked.life.clears_at = clears_after.map(|d| self.now + d);
        self.live.alerts.push(tracked);
    }

    fn colleague_acks(&mut self) {
        let Some(i) = self.pick_free(|w| &w.live.alerts, is_new) else {
            return;
        };
        let agent = self.agent();
        let t = &mut self.live.alerts[i];
        let how = AckKind::Acknowledged;
        let restore = lifecycle::ack(&mut self.words, &mut t.item, how, agent, None, self.now);
        t.life.restore = Some(restore);
    }

    fn ticket_arrives(&mut self) {
        let weights = NEW_TICKET_MIX.into_iter();
        let p = Priority::ALL[dice::weighted_index(&mut self.rng, weights).unwrap_or(2)];
        let tenant = self.pick_tenant();
        let (subject, host) = self.pick_subject(tenant, p);
        let item = self.open_ticket(tenant, subject, host, self.now);
        self.live.tickets.push(Tracked::new(item));
    }

    fn agent_answers(&mut self) {
        let Some(i) = self.pick_free(|w| &w.live.tickets, is_new) else {
            return;
        };
        let agent = self.agent();
        let item = &mut self.live.tickets[i].item;
        lifecycle::answer(&mut self.words, item, agent, self.now);
    }

    fn agent_asks_customer(&mut self) {
        let Some(i) = self.pick_free(|w| &w.live.tickets, is_in_progress) else {
            return;
        };
        let item = &mut self.live.tickets[i].item;
        lifecycle::wait_for(&mut self.words, item, status::WAITING_CUSTOMER, self.now);
    }

    fn customer_replies(&mut self) {
        let Some(i) = self.pick_free(|w| &w.live.tickets, is_waiting) else {
            return;
        };
        let item = &mut self.live.tickets[i].item;
        lifecycle::customer_replied(&mut self.words, item, self.now);
    }

    /// A ticket in progress is solved; the PSA lists open tickets only, so it is gone.
    fn ticket_solved(&mut self) {
        if let Some(i) = self.pick_free(|w| &w.live.tickets, is_in_progress) {
            self.live.tickets.remove(i);
        }
    }

    fn backup_fails(&mut self) {
        let kinds = [
            Finding::LastRunFailed,
            Finding::RpoExceeded,
            Finding::JobStopped,
        ];
        let Some((tenant, job, finding)) = self.pick_finding(&kinds) else {
            return;
        };
        let item = self.raise_finding(tenant, job, finding, None, self.now);
        self.live.backups.push(Tracked::new(item));
    }

    /// The next run succeeds: the finding resolves and leaves a little later.
    fn backup_recovers(&mut self) {
        let Some(i) = self.pick_free(|w| &w.live.backups, is_recoverable) else {
            return;
        };
        let t = &mut self.live.backups[i];
        lifecycle::resolve(&mut self.words, &mut t.item, self.now);
        t.life.gone_at = Some(self.now + RESOLVED_LINGER);
    }
}

fn is_new(t: &Tracked) -> bool {
    t.item.status.category == StatusCategory::New
}

fn is_in_progress(t: &Tracked) -> bool {
    t.item.status.category == StatusCategory::Acknowledged && t.item.sla.first_response_at.is_some()
}

fn is_waiting(t: &Tracked) -> bool {
    t.item.status.category == StatusCategory::Waiting
}

/// Failed runs and stale restore points heal with the next good run; overdue recovery tests
/// need a person.
fn is_recoverable(t: &Tracked) -> bool {
    t.item.label("finding") != Some(Finding::RestoreTestOverdue.name())
}
