//! SLA engine: contracts (targets per priority), business calendars with German public
//! holidays per state, and the clocks (first response, next update, resolution) of an item.
//!
//! Clocks are computed once when an item changes ([`evaluate`]); per-second work is only
//! comparing `now` with the precomputed instants ([`Clock::level`]).

pub mod calendar;
pub mod holidays;
pub mod spec;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::model::{Interval, Item, Moment, Priority};

pub use calendar::{BusinessCalendar, Calendar, ClosedDay, Frame};
pub use holidays::{Bundesland, RegionalHoliday};

/// Which promise a clock measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClockKind {
    FirstResponse,
    NextUpdate,
    Resolution,
    /// NIS-2 early warning: 24 h after becoming aware of a significant incident.
    Nis2EarlyWarning,
    /// NIS-2 incident notification: 72 h after becoming aware.
    Nis2Notification,
    /// NIS-2 final report: one month after the incident notification.
    Nis2FinalReport,
}

impl ClockKind {
    /// Stable machine name (JSON output).
    pub fn name(self) -> &'static str {
        match self {
            ClockKind::FirstResponse => "first-response",
            ClockKind::NextUpdate => "next-update",
            ClockKind::Resolution => "resolution",
            ClockKind::Nis2EarlyWarning => "nis2-early-warning",
            ClockKind::Nis2Notification => "nis2-notification",
            ClockKind::Nis2FinalReport => "nis2-final-report",
        }
    }
}

/// Targets for one priority.
#[derive(Clone, Debug, PartialEq)]
pub struct PriorityTargets {
    pub first_response: Option<SignedDuration>,
    pub next_update: Option<SignedDuration>,
    pub resolution: Option<SignedDuration>,
    /// Clocks of this priority run 24x7 regardless of the contract's calendar.
    pub around_the_clock: bool,
}

impl PriorityTargets {
    /// No targets: items of this priority get no computed clocks.
    pub const NONE: PriorityTargets = PriorityTargets {
        first_response: None,
        next_update: None,
        resolution: None,
        around_the_clock: false,
    };
}

/// Status labels in which clocks pause unless a contract says otherwise (lower case).
pub const DEFAULT_PAUSE_STATUSES: [&str; 8] = [
    "waiting",
    "waiting for customer",
    "waiting for vendor",
    "waiting for third party",
    "warten auf kunde",
    "pending",
    "stalled",
    "on hold",
];

/// Warning fractions of the target unless a contract says otherwise.
pub const DEFAULT_WARN_FRACTIONS: [f64; 2] = [0.75, 0.9];

/// A tenant's contract: targets per priority, when clocks pause, when to warn, and the
/// calendar business time runs on.
#[derive(Clone, Debug, PartialEq)]
pub struct Contract {
    pub name: String,
    pub targets: [PriorityTargets; 4],
    /// Status labels (lower case) in which the clocks pause.
    pub pause_statuses: Vec<String>,
    /// Warning fractions of the target, ascending (default 0.75, 0.9).
    pub warn_fractions: Vec<f64>,
    /// Business calendar for priorities that are not `around_the_clock`.
    pub calendar: Calendar,
}

static ALWAYS_OPEN: Calendar = Calendar::AlwaysOpen;

impl Contract {
    /// The calendar the clocks of `priority` run on.
    pub fn calendar_for(&self, priority: Priority) -> &Calendar {
        if self.targets[priority.index()].around_the_clock {
            &ALWAYS_OPEN
        } else {
            &self.calendar
        }
    }

    /// True when an item whose status label is `label` has its clocks paused
    /// (case-insensitive, surrounding spaces ignored).
    pub fn pauses_on(&self, label: &str) -> bool {
        let label = label.trim().to_lowercase();
        self.pause_statuses
            .iter()
            .any(|s| s.trim().to_lowercase() == label)
    }

    /// The same contract with the public holidays of `state` instead of the calendar's own
    /// (for tenants in different states sharing one contract). 24x7 calendars stay 24x7.
    pub fn with_state(&self, state: Bundesland) -> Contract {
        Contract {
            calendar: self.calendar.with_state(Some(state)),
            ..self.clone()
        }
    }

    /// The same contract on another calendar.
    pub fn with_calendar(&self, calendar: Calendar) -> Contract {
        Contract {
            calendar,
            ..self.clone()
        }
    }

    /// The zone in which due times of this contract are shown: the business calendar's zone,
    /// or Europe/Berlin for a 24x7 contract.
    pub fn display_time_zone(&self) -> TimeZone {
        self.calendar
            .time_zone()
            .cloned()
            .unwrap_or_else(calendar::default_time_zone)
    }
}

impl Default for Contract {
    /// P1 30m/4h around the clock; P2 1h/8h, P3 4h/24h, P4 8h/80h in business hours
    /// (Monday to Friday 08:00-17:00 Europe/Berlin, nationwide holidays).
    fn default() -> Self {
        let h = |n: i64| Some(SignedDuration::from_hours(n));
        let t = |fr, res, atc| PriorityTargets {
            first_response: fr,
            next_update: None,
            resolution: res,
            around_the_clock: atc,
        };
        Contract {
            name: "standard".into(),
            targets: [
                t(Some(SignedDuration::from_mins(30)), h(4), true),
                t(h(1), h(8), false),
                t(h(4), h(24), false),
                t(h(8), h(80), false),
            ],
            pause_statuses: DEFAULT_PAUSE_STATUSES.map(String::from).to_vec(),
            warn_fractions: DEFAULT_WARN_FRACTIONS.to_vec(),
            calendar: Calendar::business(BusinessCalendar::office_hours()),
        }
    }
}

/// How a clock stands at a given instant. Precedence: Met > Paused > Breached > Warning > Ok.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    /// Index into the warning fractions that has been passed (0 = first warning).
    Warning(u8),
    Breached,
    Paused,
    Met,
}

/// Most warning instants a clock keeps (contracts name at most this many fractions).
pub const MAX_WARNINGS: usize = 3;

/// "Not set" in a clock's packed instants.
const UNSET: i64 = i64::MIN;

// The queue holds two or three clocks per item: their size is part of the memory budget.
const _: () = assert!(std::mem::size_of::<Clock>() == 72);

/// One clock of one item. Instants are kept as milliseconds in a fixed layout (72 bytes, no
/// heap), since the queue holds two or three of them for each of 100k items; the accessors
/// give them back as [`Timestamp`]s. Build one from [`ClockParts`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clock {
    pub kind: ClockKind,
    /// True when the due time came from the source, not from the contract.
    pub supplied: bool,
    warnings: u8,
    /// The target in whole seconds (`UNSET_SECONDS`: supplied due time); 4 bytes, so that
    /// it shares the first word with the three small fields.
    target: i32,
    started: i64,
    due: i64,
    paused_since: i64,
    remaining_when_paused: i64,
    met_at: i64,
    warn_at: [i64; MAX_WARNINGS],
}

/// A clock's facts as the SLA engine computes them.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockParts {
    pub kind: ClockKind,
    /// When the clock started (item creation; for next update: the last update).
    pub started: Timestamp,
    /// The contract's target (business time); None when the due time was supplied.
    pub target: Option<SignedDuration>,
    /// Absolute due time. For a paused clock: the due time if it resumed at `paused_since`.
    /// `Timestamp::MAX` when the calendar never opens again.
    pub due: Timestamp,
    /// Instants at which each warning fraction is reached (the first [`MAX_WARNINGS`]).
    pub warn_at: Vec<Timestamp>,
    pub paused_since: Option<Timestamp>,
    /// Remaining target time frozen while paused (calendar time, not wall time); negative
    /// when the clock was already overdue when it paused.
    pub remaining_when_paused: Option<SignedDuration>,
    pub met_at: Option<Timestamp>,
    pub supplied: bool,
}

fn pack(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn unpack(ms: i64) -> Timestamp {
    if ms >= Timestamp::MAX.as_millisecond() {
        return Timestamp::MAX;
    }
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::MIN)
}

fn pack_opt(t: Option<Timestamp>) -> i64 {
    t.map_or(UNSET, pack)
}

fn unpack_opt(ms: i64) -> Option<Timestamp> {
    (ms != UNSET).then(|| unpack(ms))
}

fn pack_span(d: Option<SignedDuration>) -> i64 {
    d.map_or(UNSET, |d| {
        d.as_millis().clamp(i64::MIN as i128 + 1, i64::MAX as i128) as i64
    })
}

fn unpack_span(ms: i64) -> Option<SignedDuration> {
    (ms != UNSET).then(|| SignedDuration::from_millis(ms))
}

/// No target (the due time was supplied).
const UNSET_SECONDS: i32 = i32::MIN;

/// A contract's target in whole seconds (targets are minutes to weeks; 68 years fit).
fn pack_target(d: Option<SignedDuration>) -> i32 {
    d.map_or(UNSET_SECONDS, |d| {
        d.as_secs()
            .clamp(i64::from(i32::MIN) + 1, i64::from(i32::MAX)) as i32
    })
}

fn unpack_target(secs: i32) -> Option<SignedDuration> {
    (secs != UNSET_SECONDS).then(|| SignedDuration::from_secs(i64::from(secs)))
}

impl From<ClockParts> for Clock {
    fn from(p: ClockParts) -> Self {
        let mut warn_at = [UNSET; MAX_WARNINGS];
        let warnings = p.warn_at.len().min(MAX_WARNINGS);
        for (slot, w) in warn_at.iter_mut().zip(&p.warn_at) {
            *slot = pack(*w);
        }
        Clock {
            kind: p.kind,
            supplied: p.supplied,
            warnings: warnings as u8,
            started: pack(p.started),
            target: pack_target(p.target),
            due: pack(p.due),
            paused_since: pack_opt(p.paused_since),
            remaining_when_paused: pack_span(p.remaining_when_paused),
            met_at: pack_opt(p.met_at),
            warn_at,
        }
    }
}

impl Clock {
    /// When the clock started (item creation; for next update: the last update).
    pub fn started(&self) -> Timestamp {
        unpack(self.started)
    }

    /// The contract's target (business time); None when the due time was supplied.
    pub fn target(&self) -> Option<SignedDuration> {
        unpack_target(self.target)
    }

    /// Absolute due time. For a paused clock: the due time if it resumed at
    /// `paused_since`. `Timestamp::MAX` when the calendar never opens again.
    pub fn due(&self) -> Timestamp {
        unpack(self.due)
    }

    /// Instants at which each warning fraction is reached, earliest first.
    pub fn warn_at(&self) -> impl Iterator<Item = Timestamp> + '_ {
        self.warn_at[..self.warnings as usize]
            .iter()
            .map(|ms| unpack(*ms))
    }

    pub fn paused_since(&self) -> Option<Timestamp> {
        unpack_opt(self.paused_since)
    }

    /// Remaining target time frozen while paused (calendar time, not wall time); negative
    /// when the clock was already overdue when it paused.
    pub fn remaining_when_paused(&self) -> Option<SignedDuration> {
        unpack_span(self.remaining_when_paused)
    }

    pub fn met_at(&self) -> Option<Timestamp> {
        unpack_opt(self.met_at)
    }

    pub fn level(&self, now: Timestamp) -> Level {
        if self.met_at != UNSET {
            return Level::Met;
        }
        if self.paused_since != UNSET {
            return Level::Paused;
        }
        let now = pack(now);
        if now >= self.due {
            return Level::Breached;
        }
        match self.warn_at[..self.warnings as usize]
            .iter()
            .rposition(|w| now >= *w)
        {
            Some(i) => Level::Warning(u8::try_from(i).unwrap_or(u8::MAX)),
            None => Level::Ok,
        }
    }

    /// Wall time left until due (negative when overdue).
    pub fn remaining(&self, now: Timestamp) -> SignedDuration {
        self.due().duration_since(now)
    }

    /// Neither met nor paused.
    pub fn is_running(&self) -> bool {
        self.met_at == UNSET && self.paused_since == UNSET
    }

    /// For a met clock: whether it was met by its due time.
    pub fn met_in_time(&self) -> Option<bool> {
        (self.met_at != UNSET).then_some(self.met_at <= self.due)
    }

    /// The clock's facts, to change and build a new clock from (tests, decorators).
    pub fn parts(&self) -> ClockParts {
        ClockParts {
            kind: self.kind,
            started: self.started(),
            target: self.target(),
            due: self.due(),
            warn_at: self.warn_at().collect(),
            paused_since: self.paused_since(),
            remaining_when_paused: self.remaining_when_paused(),
            met_at: self.met_at(),
            supplied: self.supplied,
        }
    }

    /// The due time in milliseconds since the epoch (for ordering without conversions).
    pub fn due_ms(&self) -> i64 {
        self.due
    }
}

/// Queue order by SLA, independent of "now": running unmet clocks by nearest absolute due
/// (seconds since the epoch), then paused clocks by their frozen remaining time (seconds),
/// then items without an unmet clock. Derived `Ord` compares the variant first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SortKey {
    Running { due: i64 },
    Paused { remaining: i64 },
    NoClock,
}

/// All clocks of an item.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlaClocks {
    pub clocks: Box<[Clock]>,
}

impl SlaClocks {
    /// Clocks in an allocation of their exact size. Copied rather than shrunk: shrinking a
    /// buffer in place leaves the freed tail behind as a hole between long-lived entries (72
    /// bytes for each of 100k items).
    pub fn new(clocks: &[Clock]) -> Self {
        Self {
            clocks: Box::from(clocks),
        }
    }

    /// The unmet, running clock that falls due first; if none runs, the paused one with the
    /// least remaining time.
    pub fn nearest_unmet(&self) -> Option<&Clock> {
        let running = self
            .clocks
            .iter()
            .filter(|c| c.is_running())
            .min_by_key(|c| c.due);
        running.or_else(|| {
            self.clocks
                .iter()
                .filter(|c| c.met_at == UNSET)
                .min_by_key(|c| c.remaining_when_paused)
        })
    }

    /// The item's place in the SLA-sorted queue (see [`SortKey`]).
    pub fn sort_key(&self) -> SortKey {
        match self.nearest_unmet() {
            Some(c) if c.paused_since == UNSET => SortKey::Running {
                due: c.due.div_euclid(1000),
            },
            Some(c) => SortKey::Paused {
                remaining: c.remaining_when_paused().map_or(i64::MAX, |r| r.as_secs()),
            },
            None => SortKey::NoClock,
        }
    }

    /// The clock of one kind, if the item has it.
    pub fn get(&self, kind: ClockKind) -> Option<&Clock> {
        self.clocks.iter().find(|c| c.kind == kind)
    }
}

/// Compute the clocks of `item` under `contract`. Independent of "now".
///
/// - First response starts at `created`, met at `first_response_at` (or at `resolved_at`:
///   resolving answers the customer too).
/// - Next update (only with a target) starts at the first response or the latest update
///   after it, and is met when the item is resolved.
/// - Resolution starts at `created`, met at `resolved_at`.
///
/// Past pauses push a computed due time out by the business time they cover between the
/// clock's start and its due. While the item's status is a pause status, unmet clocks are
/// paused since `status_since` (or `updated`); so are they when the source says it pauses
/// them (`paused_by_source`). Supplied due times win over computed ones and are not extended
/// by pauses.
pub fn evaluate(contract: &Contract, item: &Item) -> SlaClocks {
    let sla = &item.sla;
    let at = |m: Option<Moment>| m.map(Moment::timestamp);
    let targets = &contract.targets[item.priority.index()];
    let ctx = ClockContext {
        calendar: contract.calendar_for(item.priority),
        warn_fractions: &contract.warn_fractions,
        past_pauses: merged_pauses(&sla.past_pauses),
        running_pause: (sla.paused_by_source || contract.pauses_on(&item.status.label))
            .then(|| sla.status_since.unwrap_or(item.updated).timestamp()),
    };
    let mut clocks = Vec::with_capacity(6);
    clocks.extend(ctx.clock(
        ClockKind::FirstResponse,
        item.created.timestamp(),
        targets.first_response,
        at(sla.supplied_first_response_due),
        at(sla.first_response_at.or(sla.resolved_at)),
    ));
    if let (Some(target), Some(first)) = (targets.next_update, at(sla.first_response_at)) {
        let start = at(sla.last_update_at).map_or(first, |u| u.max(first));
        clocks.extend(ctx.clock(
            ClockKind::NextUpdate,
            start,
            Some(target),
            None,
            at(sla.resolved_at),
        ));
    }
    clocks.extend(ctx.clock(
        ClockKind::Resolution,
        item.created.timestamp(),
        targets.resolution,
        at(sla.supplied_resolution_due),
        at(sla.resolved_at),
    ));
    if let Some(nis2) = &sla.nis2 {
        clocks.extend(nis2_clocks(nis2, &contract.warn_fractions));
    }
    SlaClocks::new(&clocks)
}

/// The NIS-2 reporting clocks (Art. 23): early warning 24 h and incident notification 72 h
/// after becoming aware, final report one month after the notification (while it is not
/// sent, one month after its due time). Legal deadlines run on calendar time, never paused.
pub fn nis2_clocks(n: &crate::model::Nis2Facts, warn_fractions: &[f64]) -> [Clock; 3] {
    let early = n.aware_at + SignedDuration::from_hours(24);
    let notify = n.aware_at + SignedDuration::from_hours(72);
    let report_from = n.notification_at.unwrap_or(notify);
    let report = report_from
        .to_zoned_datetime(TimeZone::UTC)
        .checked_add(jiff::Span::new().months(1))
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX);
    [
        legal_clock(
            ClockKind::Nis2EarlyWarning,
            n.aware_at,
            early,
            n.early_warning_at,
            warn_fractions,
        ),
        legal_clock(
            ClockKind::Nis2Notification,
            n.aware_at,
            notify,
            n.notification_at,
            warn_fractions,
        ),
        legal_clock(
            ClockKind::Nis2FinalReport,
            report_from,
            report,
            n.final_report_at,
            warn_fractions,
        ),
    ]
}

/// A clock on calendar time with warnings at fractions of its span.
fn legal_clock(
    kind: ClockKind,
    started: Timestamp,
    due: Timestamp,
    met_at: Option<Timestamp>,
    warn_fractions: &[f64],
) -> Clock {
    let span = due.duration_since(started);
    ClockParts {
        kind,
        started,
        target: None,
        due,
        warn_at: warn_fractions
            .iter()
            .map(|f| started + span.mul_f64(*f))
            .collect(),
        paused_since: None,
        remaining_when_paused: None,
        met_at,
        supplied: true,
    }
    .into()
}

/// The parts of [`evaluate`] shared by all clocks of one item.
struct ClockContext<'a> {
    calendar: &'a Calendar,
    warn_fractions: &'a [f64],
    /// Past pauses, sorted and merged.
    past_pauses: Vec<Interval>,
    /// Start of the running pause, if the item is in a pause status.
    running_pause: Option<Timestamp>,
}

impl ClockContext<'_> {
    fn clock(
        &self,
        kind: ClockKind,
        started: Timestamp,
        target: Option<SignedDuration>,
        supplied_due: Option<Timestamp>,
        met_at: Option<Timestamp>,
    ) -> Option<Clock> {
        match (supplied_due, target) {
            (Some(due), _) => Some(self.supplied_clock(kind, started, due, met_at)),
            (None, Some(target)) => Some(self.computed_clock(kind, started, target, met_at)),
            (None, None) => None,
        }
    }

    /// When the clock pauses: at the running pause (never before the clock's start), unless
    /// the clock is met.
    fn paused_since(&self, started: Timestamp, met_at: Option<Timestamp>) -> Option<Timestamp> {
        match met_at {
            Some(_) => None,
            None => self.running_pause.map(|p| p.max(started)),
        }
    }

    fn computed_clock(
        &self,
        kind: ClockKind,
        started: Timestamp,
        target: SignedDuration,
        met_at: Option<Timestamp>,
    ) -> Clock {
        let paused_since = self.paused_since(started, met_at);
        // Pauses after the clock stopped (met, or now paused) do not move its due time.
        let horizon = paused_since.or(met_at).unwrap_or(Timestamp::MAX);
        let pauses = clip_pauses(&self.past_pauses, started, horizon);
        let reach = |amount| add_business_excluding(self.calendar, started, amount, &pauses);
        let remaining_when_paused = paused_since
            .map(|since| target - consumed_business(self.calendar, started, since, &pauses));
        ClockParts {
            kind,
            started,
            target: Some(target),
            due: reach(target),
            warn_at: self
                .warn_fractions
                .iter()
                .map(|f| reach(fraction_of(target, *f)))
                .collect(),
            paused_since,
            remaining_when_paused,
            met_at,
            supplied: false,
        }
        .into()
    }

    fn supplied_clock(
        &self,
        kind: ClockKind,
        started: Timestamp,
        due: Timestamp,
        met_at: Option<Timestamp>,
    ) -> Clock {
        let span = self.calendar.business_between(started, due);
        let warn_at = if span.is_positive() {
            self.warn_fractions
                .iter()
                .map(|f| self.calendar.add_business(started, fraction_of(span, *f)))
                .collect()
        } else {
            Vec::new()
        };
        let paused_since = self.paused_since(started, met_at);
        ClockParts {
            kind,
            started,
            target: None,
            due,
            warn_at,
            paused_since,
            remaining_when_paused: paused_since
                .map(|since| self.calendar.business_between(since, due)),
            met_at,
            supplied: true,
        }
        .into()
    }
}

/// `fraction` (clamped to 0..=1) of `d`, to whole seconds.
fn fraction_of(d: SignedDuration, fraction: f64) -> SignedDuration {
    let fraction = if fraction.is_nan() {
        1.0
    } else {
        fraction.clamp(0.0, 1.0)
    };
    SignedDuration::from_secs((d.as_secs_f64() * fraction).round() as i64)
}

/// Sorted, non-empty, merged pause intervals.
fn merged_pauses(pauses: &[Interval]) -> Vec<Interval> {
    let mut sorted: Vec<Interval> = pauses.iter().filter(|p| p.start < p.end).copied().collect();
    sorted.sort_by_key(|p| p.start);
    let mut out: Vec<Interval> = Vec::with_capacity(sorted.len());
    for p in sorted {
        match out.last_mut() {
            Some(last) if p.start <= last.end => last.end = last.end.max(p.end),
            _ => out.push(p),
        }
    }
    out
}

/// The parts of sorted pauses that fall within `[from, to)`.
fn clip_pauses(pauses: &[Interval], from: Timestamp, to: Timestamp) -> Vec<Interval> {
    pauses
        .iter()
        .map(|p| Interval {
            start: p.start.max(from),
            end: p.end.min(to),
        })
        .filter(|p| p.start < p.end)
        .collect()
}

/// The instant at which `amount` of business time outside `pauses` has passed since
/// `start`: a single walk that hops over each pause (pauses sorted, disjoint, after `start`).
fn add_business_excluding(
    calendar: &Calendar,
    start: Timestamp,
    amount: SignedDuration,
    pauses: &[Interval],
) -> Timestamp {
    let mut cursor = start;
    let mut remaining = amount;
    for pause in pauses {
        if pause.start > cursor {
            let reached = calendar.add_business(cursor, remaining);
            if reached <= pause.start {
                return reached;
            }
            remaining -= calendar.business_between(cursor, pause.start);
        }
        cursor = cursor.max(pause.end);
    }
    calendar.add_business(cursor, remaining)
}

/// Business time in `[start, until)` that was not paused.
fn consumed_business(
    calendar: &Calendar,
    start: Timestamp,
    until: Timestamp,
    pauses: &[Interval],
) -> SignedDuration {
    let paused: SignedDuration = clip_pauses(pauses, start, until)
        .iter()
        .map(|p| calendar.business_between(p.start, p.end))
        .sum();
    calendar.business_between(start, until) - paused
}

const WEEKDAYS_DE: [&str; 7] = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"];
const WEEKDAYS_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A due time as the queue shows it: local weekday and clock time, `"Mo 09:30"` (German) or
/// `"Mon 09:30"` (English). A due time that never comes (`Timestamp::MAX`) shows as `"∞"`.
pub fn due_label(due: Timestamp, tz: &TimeZone, lang_is_german: bool) -> String {
    if due == Timestamp::MAX {
        return "∞".to_owned();
    }
    let local = tz.to_datetime(due);
    let names = if lang_is_german {
        &WEEKDAYS_DE
    } else {
        &WEEKDAYS_EN
    };
    let day = names[local.weekday().to_monday_zero_offset() as usize];
    format!("{day} {:02}:{:02}", local.hour(), local.minute())
}

/// Remaining (or, negative, overdue) time as the queue shows it next to the due time:
/// `"2d 03h"` from one day on, `"3h 05m"` from one hour on, `"42m 07s"` below one hour (the
/// only case with seconds). Overdue time gets a leading `-`; the breach glyph is the UI's.
pub fn remaining_label(remaining: SignedDuration) -> String {
    let sign = if remaining.is_negative() { "-" } else { "" };
    let secs = remaining.as_secs().unsigned_abs();
    let (days, hours, mins) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    if days > 0 {
        format!("{sign}{days}d {hours:02}h")
    } else if hours > 0 {
        format!("{sign}{hours}h {mins:02}m")
    } else {
        format!("{sign}{mins}m {:02}s", secs % 60)
    }
}

#[cfg(test)]
mod tests;
