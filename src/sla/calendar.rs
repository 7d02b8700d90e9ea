//! Business calendars: when SLA time runs. Either always open (24x7, exact elapsed time) or
//! working-hour frames per weekday in a time zone, minus German public holidays of a state,
//! opted-in regional holidays and extra closed days.
//!
//! Business-time arithmetic walks day by day over the open frames (never minute by minute),
//! so adding weeks of business time costs a few dozen time-zone conversions. Working hours
//! are local wall-clock times, so a day with a DST change still opens at 08:00 local time.

use std::fmt;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::holidays::{self, Bundesland, RegionalHoliday};

/// After this many consecutive days without an open frame the calendar counts as never
/// open again (a due time that never comes is `Timestamp::MAX`).
const MAX_CLOSED_RUN_DAYS: u32 = 750;

const MINUTES_PER_DAY: u16 = 24 * 60;

/// One working-hour frame of a day, in local minutes since midnight: `[start, end)`.
/// `end` may be 24:00.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Frame {
    start: u16,
    end: u16,
}

impl Frame {
    /// A frame from `start` to `end` minutes after local midnight; None unless
    /// `start < end <= 1440`.
    pub fn new(start_minute: u16, end_minute: u16) -> Option<Frame> {
        (start_minute < end_minute && end_minute <= MINUTES_PER_DAY).then_some(Frame {
            start: start_minute,
            end: end_minute,
        })
    }

    /// A frame between two full hours (`Frame::hours(8, 17)` = 08:00-17:00).
    pub fn hours(start_hour: u16, end_hour: u16) -> Option<Frame> {
        Frame::new(start_hour.checked_mul(60)?, end_hour.checked_mul(60)?)
    }

    pub fn start_minute(self) -> u16 {
        self.start
    }

    pub fn end_minute(self) -> u16 {
        self.end
    }

    /// Parses `"08:00-12:00"`, `"8-17"` or `"8:30 - 24:00"`. The error says what is wrong.
    pub fn parse(s: &str) -> Result<Frame, &'static str> {
        let (from, to) = s
            .split_once('-')
            .ok_or("expected a range like \"08:00-17:00\"")?;
        let start = parse_clock(from)?;
        let end = parse_clock(to)?;
        Frame::new(start, end).ok_or("the end must be after the start")
    }

    fn overlaps(self, other: Frame) -> bool {
        self.start < other.end && other.start < self.end
    }
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u16| (m / 60, m % 60);
        let (sh, sm) = hm(self.start);
        let (eh, em) = hm(self.end);
        write!(f, "{sh:02}:{sm:02}-{eh:02}:{em:02}")
    }
}

/// `"8"`, `"08"`, `"8:30"`, `"24:00"` -> minutes since midnight.
fn parse_clock(s: &str) -> Result<u16, &'static str> {
    const BAD: &str = "expected times like \"08:00\" or \"8\"";
    let s = s.trim();
    let (h, m) = s.split_once(':').unwrap_or((s, "00"));
    let digits = |t: &str, max_len| {
        (!t.is_empty() && t.len() <= max_len && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<u16>().ok())
            .flatten()
    };
    let hour = digits(h, 2).ok_or(BAD)?;
    let minute = digits(m, 2).filter(|_| m.len() == 2).ok_or(BAD)?;
    match (hour, minute) {
        (24, 0) => Ok(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Ok(hour * 60 + minute),
        _ => Err("hours run from 00:00 to 24:00"),
    }
}

/// A day the calendar is closed besides public holidays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClosedDay {
    /// One date (`2026-12-24`).
    Date(Date),
    /// The same day every year (`12-24`).
    Yearly { month: i8, day: i8 },
}

impl ClosedDay {
    /// Parses `YYYY-MM-DD` or `MM-DD`.
    pub fn parse(s: &str) -> Option<ClosedDay> {
        let s = s.trim();
        if s.len() == 5 {
            let (m, d) = s.split_once('-')?;
            let (month, day) = (m.parse::<i8>().ok()?, d.parse::<i8>().ok()?);
            // 2000 is a leap year, so 02-29 is accepted (and applies in leap years).
            Date::new(2000, month, day).ok()?;
            return Some(ClosedDay::Yearly { month, day });
        }
        (s.len() == 10)
            .then(|| s.parse::<Date>().ok())
            .flatten()
            .map(ClosedDay::Date)
    }

    pub fn matches(self, date: Date) -> bool {
        match self {
            ClosedDay::Date(d) => d == date,
            ClosedDay::Yearly { month, day } => date.month() == month && date.day() == day,
        }
    }
}

impl fmt::Display for ClosedDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClosedDay::Date(d) => write!(f, "{d}"),
            ClosedDay::Yearly { month, day } => write!(f, "{month:02}-{day:02}"),
        }
    }
}

/// Working hours in a time zone minus holidays and closed days.
#[derive(Clone, Debug, PartialEq)]
pub struct BusinessCalendar {
    time_zone: TimeZone,
    /// Frames per weekday, Monday first; sorted and disjoint.
    week: [Vec<Frame>; 7],
    state: Option<Bundesland>,
    regional: Vec<RegionalHoliday>,
    closed: Vec<ClosedDay>,
}

impl BusinessCalendar {
    /// Working hours per weekday (Monday first) in `time_zone`, nationwide holidays only.
    /// Frames of a day are sorted; overlapping or touching frames are merged.
    pub fn new(time_zone: TimeZone, week: [Vec<Frame>; 7]) -> BusinessCalendar {
        BusinessCalendar {
            time_zone,
            week: week.map(normalise_frames),
            state: None,
            regional: Vec::new(),
            closed: Vec::new(),
        }
    }

    /// Monday to Friday 08:00-17:00 in Europe/Berlin, nationwide holidays only. Falls back
    /// to UTC (with a logged warning) when the system has no time-zone database.
    pub fn office_hours() -> BusinessCalendar {
        BusinessCalendar::new(default_time_zone(), BusinessCalendar::office_hours_week())
    }

    /// Monday to Friday 08:00-17:00, weekend closed.
    pub fn office_hours_week() -> [Vec<Frame>; 7] {
        std::array::from_fn(|day| match day {
            0..5 => vec![Frame::hours(8, 17).expect("valid frame")],
            _ => vec![],
        })
    }

    /// The same calendar with the public holidays of `state` (None: nationwide only).
    pub fn with_state(mut self, state: Option<Bundesland>) -> BusinessCalendar {
        self.state = state;
        self
    }

    pub fn with_regional(mut self, regional: Vec<RegionalHoliday>) -> BusinessCalendar {
        self.regional = regional;
        self
    }

    pub fn with_closed(mut self, closed: Vec<ClosedDay>) -> BusinessCalendar {
        self.closed = closed;
        self
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    pub fn state(&self) -> Option<Bundesland> {
        self.state
    }

    pub fn regional(&self) -> &[RegionalHoliday] {
        &self.regional
    }

    pub fn closed(&self) -> &[ClosedDay] {
        &self.closed
    }

    /// Frames of a weekday (0 = Monday).
    pub fn frames(&self, weekday_from_monday: usize) -> &[Frame] {
        &self.week[weekday_from_monday % 7]
    }

    /// True when `date` is a public holiday or an extra closed day.
    pub fn is_closed_day(&self, date: Date) -> bool {
        holidays::is_holiday(date, self.state, &self.regional)
            || self.closed.iter().any(|c| c.matches(date))
    }

    /// True when at least one weekday has working hours.
    pub fn has_working_hours(&self) -> bool {
        self.week.iter().any(|d| !d.is_empty())
    }

    /// The open intervals of a local date, in order (empty on closed days).
    fn open_intervals(
        &self,
        date: Date,
    ) -> impl DoubleEndedIterator<Item = (Timestamp, Timestamp)> + '_ {
        let frames: &[Frame] = if self.is_closed_day(date) {
            &[]
        } else {
            &self.week[date.weekday().to_monday_zero_offset() as usize]
        };
        frames.iter().filter_map(move |f| {
            let start = self.local_instant(date, f.start)?;
            let end = self.local_instant(date, f.end)?;
            (start < end).then_some((start, end))
        })
    }

    /// The instant of a local wall-clock minute on `date` (a time in a DST gap moves forward).
    fn local_instant(&self, date: Date, minute: u16) -> Option<Timestamp> {
        let dt = if minute >= MINUTES_PER_DAY {
            date.tomorrow().ok()?.at(0, 0, 0, 0)
        } else {
            date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0)
        };
        self.to_instant(dt)
    }

    fn to_instant(&self, dt: DateTime) -> Option<Timestamp> {
        self.time_zone.to_ambiguous_timestamp(dt).compatible().ok()
    }

    fn local_date(&self, t: Timestamp) -> Date {
        self.time_zone.to_datetime(t).date()
    }

    fn is_open(&self, t: Timestamp) -> bool {
        self.open_intervals(self.local_date(t))
            .any(|(start, end)| start <= t && t < end)
    }

    fn add_forward(&self, start: Timestamp, amount: SignedDuration) -> Timestamp {
        let mut remaining = amount;
        let mut date = self.local_date(start);
        let mut closed_run = 0;
        loop {
            let mut open_today = false;
            for (frame_start, frame_end) in self.open_intervals(date) {
                open_today = true;
                let from = frame_start.max(start);
                if frame_end <= from {
                    continue;
                }
                let available = frame_end.duration_since(from);
                if available >= remaining {
                    return from.saturating_add(remaining).unwrap_or(Timestamp::MAX);
                }
                remaining -= available;
            }
            closed_run = if open_today { 0 } else { closed_run + 1 };
            match date.tomorrow() {
                Ok(next) if closed_run <= MAX_CLOSED_RUN_DAYS => date = next,
                _ => return Timestamp::MAX,
            }
        }
    }

    fn subtract_backward(&self, start: Timestamp, amount: SignedDuration) -> Timestamp {
        let mut remaining = amount;
        let mut date = self.local_date(start);
        let mut closed_run = 0;
        loop {
            let mut open_today = false;
            for (frame_start, frame_end) in self.open_intervals(date).rev() {
                open_today = true;
                let to = frame_end.min(start);
                if to <= frame_start {
                    continue;
                }
                let available = to.duration_since(frame_start);
                if available >= remaining {
                    return to.saturating_sub(remaining).unwrap_or(Timestamp::MIN);
                }
                remaining -= available;
            }
            closed_run = if open_today { 0 } else { closed_run + 1 };
            match date.yesterday() {
                Ok(prev) if closed_run <= MAX_CLOSED_RUN_DAYS => date = prev,
                _ => return Timestamp::MIN,
            }
        }
    }

    /// Open time in `[a, b)` for `a <= b`.
    fn open_time_between(&self, a: Timestamp, b: Timestamp) -> SignedDuration {
        let mut total = SignedDuration::ZERO;
        let last = self.local_date(b);
        let mut date = self.local_date(a);
        while date <= last {
            for (frame_start, frame_end) in self.open_intervals(date) {
                let from = frame_start.max(a);
                let to = frame_end.min(b);
                if from < to {
                    total += to.duration_since(from);
                }
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        total
    }
}

/// Sorts frames and merges those that overlap or touch.
fn normalise_frames(mut frames: Vec<Frame>) -> Vec<Frame> {
    frames.sort();
    let mut out: Vec<Frame> = Vec::with_capacity(frames.len());
    for f in frames {
        match out.last_mut() {
            Some(last) if f.start <= last.end => last.end = last.end.max(f.end),
            _ => out.push(f),
        }
    }
    out
}

/// True when any two frames of the list overlap (used by the config checker).
pub fn frames_overlap(frames: &[Frame]) -> bool {
    frames
        .iter()
        .enumerate()
        .any(|(i, a)| frames[i + 1..].iter().any(|b| a.overlaps(*b)))
}

/// Europe/Berlin, or UTC when the system has no time-zone database.
pub fn default_time_zone() -> TimeZone {
    TimeZone::get(DEFAULT_TIME_ZONE).unwrap_or_else(|err| {
        tracing::warn!("time zone {DEFAULT_TIME_ZONE} unavailable ({err}); using UTC");
        TimeZone::UTC
    })
}

pub const DEFAULT_TIME_ZONE: &str = "Europe/Berlin";

/// When SLA time runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Calendar {
    /// 24x7: business time is exact elapsed time.
    AlwaysOpen,
    /// Working hours minus holidays.
    Business(Box<BusinessCalendar>),
}

impl Calendar {
    pub fn business(calendar: BusinessCalendar) -> Calendar {
        Calendar::Business(Box::new(calendar))
    }

    /// True when SLA time runs at `t`.
    pub fn is_open(&self, t: Timestamp) -> bool {
        match self {
            Calendar::AlwaysOpen => true,
            Calendar::Business(cal) => cal.is_open(t),
        }
    }

    /// The instant at which `amount` of business time has passed since `start` (the earliest
    /// such instant: when the amount runs out at the end of a frame, the frame's end). A
    /// negative amount counts backwards. Saturates at `Timestamp::MAX`/`MIN` when the
    /// calendar never opens again.
    pub fn add_business(&self, start: Timestamp, amount: SignedDuration) -> Timestamp {
        match self {
            Calendar::AlwaysOpen => start
                .checked_add(amount)
                .unwrap_or(if amount.is_negative() {
                    Timestamp::MIN
                } else {
                    Timestamp::MAX
                }),
            Calendar::Business(_) if amount.is_zero() => start,
            Calendar::Business(cal) if amount.is_negative() => {
                cal.subtract_backward(start, -amount)
            }
            Calendar::Business(cal) => cal.add_forward(start, amount),
        }
    }

    /// Business time from `a` to `b` (negative when `b` is before `a`).
    pub fn business_between(&self, a: Timestamp, b: Timestamp) -> SignedDuration {
        match self {
            Calendar::AlwaysOpen => b.duration_since(a),
            Calendar::Business(cal) if a <= b => cal.open_time_between(a, b),
            Calendar::Business(cal) => -cal.open_time_between(b, a),
        }
    }

    /// The calendar's time zone (None for 24x7, which has no local hours).
    pub fn time_zone(&self) -> Option<&TimeZone> {
        match self {
            Calendar::AlwaysOpen => None,
            Calendar::Business(cal) => Some(cal.time_zone()),
        }
    }

    /// The same calendar with the public holidays of another state (24x7 stays 24x7).
    pub fn with_state(&self, state: Option<Bundesland>) -> Calendar {
        match self {
            Calendar::AlwaysOpen => Calendar::AlwaysOpen,
            Calendar::Business(cal) => Calendar::business((**cal).clone().with_state(state)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn berlin(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Timestamp {
        date(y, mo, d)
            .at(h, mi, 0, 0)
            .in_tz("Europe/Berlin")
            .expect("Berlin time")
            .timestamp()
    }

    fn hours(h: i64) -> SignedDuration {
        SignedDuration::from_hours(h)
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    fn office() -> Calendar {
        let tz = TimeZone::get("Europe/Berlin").expect("tzdb");
        let day = || vec![Frame::hours(8, 17).unwrap()];
        Calendar::business(BusinessCalendar::new(
            tz,
            [day(), day(), day(), day(), day(), vec![], vec![]],
        ))
    }

    fn with_lunch() -> Calendar {
        let tz = TimeZone::get("Europe/Berlin").expect("tzdb");
        let day = || vec![Frame::hours(13, 17).unwrap(), Frame::hours(8, 12).unwrap()];
        Calendar::business(BusinessCalendar::new(
            tz,
            [day(), day(), day(), day(), day(), vec![], vec![]],
        ))
    }

    #[test]
    fn frame_parsing() {
        assert_eq!(
            Frame::parse("08:00-12:00"),
            Ok(Frame::hours(8, 12).unwrap())
        );
        assert_eq!(Frame::parse("8-17"), Ok(Frame::hours(8, 17).unwrap()));
        assert_eq!(
            Frame::parse(" 8:30 - 24:00 "),
            Ok(Frame::new(510, 1440).unwrap())
        );
        assert!(Frame::parse("8-17x").is_err());
        assert!(Frame::parse("17-8").is_err());
        assert!(Frame::parse("8:5-9").is_err());
        assert!(Frame::parse("08:00").is_err());
        assert!(Frame::parse("24:30-25").is_err());
        assert_eq!(Frame::new(510, 1440).unwrap().to_string(), "08:30-24:00");
    }

    #[test]
    fn closed_day_parsing() {
        assert_eq!(
            ClosedDay::parse("12-24"),
            Some(ClosedDay::Yearly { month: 12, day: 24 })
        );
        assert_eq!(
            ClosedDay::parse("2026-12-31"),
            Some(ClosedDay::Date(date(2026, 12, 31)))
        );
        assert!(ClosedDay::parse("02-29").is_some());
        assert!(ClosedDay::parse("13-01").is_none());
        assert!(ClosedDay::parse("2026-02-30").is_none());
        assert!(ClosedDay::parse("24.12.").is_none());
    }

    #[test]
    fn frames_are_sorted_and_merged() {
        let merged = normalise_frames(vec![
            Frame::hours(13, 17).unwrap(),
            Frame::hours(8, 12).unwrap(),
            Frame::hours(11, 13).unwrap(),
        ]);
        assert_eq!(merged, vec![Frame::hours(8, 17).unwrap()]);
        assert!(frames_overlap(&[
            Frame::hours(8, 12).unwrap(),
            Frame::hours(11, 13).unwrap()
        ]));
        assert!(!frames_overlap(&[
            Frame::hours(8, 12).unwrap(),
            Frame::hours(12, 13).unwrap()
        ]));
    }

    #[test]
    fn friday_afternoon_plus_one_hour_is_monday_morning() {
        // 2026-03-13 is a Friday.
        let due = office().add_business(berlin(2026, 3, 13, 16, 30), hours(1));
        assert_eq!(due, berlin(2026, 3, 16, 8, 30));
    }

    #[test]
    fn start_outside_hours_begins_at_next_opening() {
        let cal = office();
        assert_eq!(
            cal.add_business(berlin(2026, 3, 10, 6, 0), hours(2)),
            berlin(2026, 3, 10, 10, 0)
        );
        assert_eq!(
            cal.add_business(berlin(2026, 3, 10, 22, 0), mins(30)),
            berlin(2026, 3, 11, 8, 30)
        );
    }

    #[test]
    fn running_out_at_closing_time_stays_at_closing_time() {
        let cal = office();
        assert_eq!(
            cal.add_business(berlin(2026, 3, 10, 8, 0), hours(9)),
            berlin(2026, 3, 10, 17, 0)
        );
    }

    #[test]
    fn holiday_is_skipped() {
        // Karfreitag 2026-04-03 and Ostermontag 2026-04-06 are nationwide holidays.
        let due = office().add_business(berlin(2026, 4, 2, 16, 0), hours(2));
        assert_eq!(due, berlin(2026, 4, 7, 9, 0));
        // Reformationstag closes a Saxon calendar but not a Bavarian one.
        let sn = office().with_state(Some(Bundesland::SN));
        let by = office().with_state(Some(Bundesland::BY));
        let friday_before = berlin(2025, 10, 30, 16, 0);
        assert_eq!(
            sn.add_business(friday_before, hours(2)),
            berlin(2025, 11, 3, 9, 0)
        );
        assert_eq!(
            by.add_business(friday_before, hours(2)),
            berlin(2025, 10, 31, 9, 0)
        );
    }

    #[test]
    fn closed_days_are_skipped() {
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        let day = || vec![Frame::hours(8, 17).unwrap()];
        let cal = Calendar::business(
            BusinessCalendar::new(tz, [day(), day(), day(), day(), day(), vec![], vec![]])
                .with_closed(vec![
                    ClosedDay::Yearly { month: 12, day: 24 },
                    ClosedDay::Date(date(2026, 12, 28)),
                ]),
        );
        // Wed 2026-12-23 16:00 + 2h: 24th closed, 25th/26th holidays, 27th Sunday, 28th closed.
        assert_eq!(
            cal.add_business(berlin(2026, 12, 23, 16, 0), hours(2)),
            berlin(2026, 12, 29, 9, 0)
        );
        assert!(!cal.is_open(berlin(2027, 12, 24, 10, 0)));
        assert!(cal.is_open(berlin(2027, 12, 23, 10, 0)));
    }

    #[test]
    fn lunch_break_frames() {
        let cal = with_lunch();
        assert_eq!(
            cal.add_business(berlin(2026, 3, 10, 11, 0), hours(2)),
            berlin(2026, 3, 10, 14, 0)
        );
        assert!(!cal.is_open(berlin(2026, 3, 10, 12, 30)));
        assert!(cal.is_open(berlin(2026, 3, 10, 13, 0)));
        assert!(!cal.is_open(berlin(2026, 3, 10, 17, 0)));
        assert_eq!(
            cal.business_between(berlin(2026, 3, 10, 7, 0), berlin(2026, 3, 11, 9, 0)),
            hours(9)
        );
    }

    #[test]
    fn business_between_is_signed_and_skips_weekends() {
        let cal = office();
        let fri = berlin(2026, 3, 13, 16, 0);
        let mon = berlin(2026, 3, 16, 10, 0);
        assert_eq!(cal.business_between(fri, mon), hours(3));
        assert_eq!(cal.business_between(mon, fri), -hours(3));
        assert_eq!(cal.business_between(fri, fri), SignedDuration::ZERO);
    }

    #[test]
    fn negative_amount_counts_backwards() {
        let cal = office();
        let mon = berlin(2026, 3, 16, 9, 0);
        assert_eq!(cal.add_business(mon, -hours(2)), berlin(2026, 3, 13, 16, 0));
        assert_eq!(cal.add_business(berlin(2026, 3, 16, 9, 0), hours(0)), mon);
    }

    #[test]
    fn add_and_between_agree_over_weeks() {
        let cal = office().with_state(Some(Bundesland::BY));
        let start = berlin(2026, 5, 1, 3, 0);
        let due = cal.add_business(start, hours(9 * 30));
        assert_eq!(cal.business_between(start, due), hours(9 * 30));
        // 30 working days from 1 May (holiday) in Bavaria skip 14 May, 25 May and 4 June.
        assert_eq!(due, berlin(2026, 6, 17, 17, 0));
    }

    #[test]
    fn dst_spring_forward() {
        // Sunday 2026-03-29 02:00 CET -> 03:00 CEST.
        let before = berlin(2026, 3, 28, 22, 0);
        let around = Calendar::AlwaysOpen;
        let due = around.add_business(before, hours(6));
        assert_eq!(due.duration_since(before), hours(6));
        assert_eq!(
            due,
            berlin(2026, 3, 29, 5, 0),
            "6 real hours, one wall hour lost"
        );
        // Business hours open at 08:00 local on both sides of the change.
        let cal = office();
        let fri = berlin(2026, 3, 27, 16, 0);
        assert_eq!(cal.add_business(fri, hours(2)), berlin(2026, 3, 30, 9, 0));
        assert_eq!(
            cal.business_between(fri, berlin(2026, 3, 30, 9, 0)),
            hours(2)
        );
        let all_day = Calendar::business(BusinessCalendar::new(
            TimeZone::get("Europe/Berlin").unwrap(),
            std::array::from_fn(|_| vec![Frame::hours(0, 24).unwrap()]),
        ));
        assert_eq!(
            all_day.business_between(berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0)),
            hours(23)
        );
    }

    #[test]
    fn dst_fall_back() {
        // Sunday 2026-10-25 03:00 CEST -> 02:00 CET.
        let before = berlin(2026, 10, 24, 22, 0);
        let due = Calendar::AlwaysOpen.add_business(before, hours(6));
        assert_eq!(due.duration_since(before), hours(6));
        assert_eq!(
            due,
            berlin(2026, 10, 25, 3, 0),
            "6 real hours, one wall hour gained"
        );
        let cal = office();
        let fri = berlin(2026, 10, 23, 16, 0);
        assert_eq!(cal.add_business(fri, hours(2)), berlin(2026, 10, 26, 9, 0));
        assert_eq!(
            cal.business_between(berlin(2026, 10, 23, 8, 0), berlin(2026, 10, 26, 17, 0)),
            hours(18)
        );
        let all_day = Calendar::business(BusinessCalendar::new(
            TimeZone::get("Europe/Berlin").unwrap(),
            std::array::from_fn(|_| vec![Frame::hours(0, 24).unwrap()]),
        ));
        assert_eq!(
            all_day.business_between(berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 26, 0, 0)),
            hours(25)
        );
    }

    #[test]
    fn calendar_without_hours_never_reaches_due() {
        let cal = Calendar::business(BusinessCalendar::new(
            TimeZone::UTC,
            std::array::from_fn(|_| vec![]),
        ));
        let start = berlin(2026, 3, 10, 9, 0);
        assert_eq!(cal.add_business(start, hours(1)), Timestamp::MAX);
        assert_eq!(cal.add_business(start, -hours(1)), Timestamp::MIN);
        assert!(!cal.is_open(start));
    }

    #[test]
    fn always_open_is_elapsed_time() {
        let cal = Calendar::AlwaysOpen;
        let a = berlin(2026, 3, 13, 16, 30);
        assert!(cal.is_open(a));
        assert_eq!(cal.add_business(a, hours(1)), berlin(2026, 3, 13, 17, 30));
        assert_eq!(
            cal.business_between(a, berlin(2026, 3, 16, 8, 30)),
            hours(64)
        );
        assert_eq!(cal.time_zone(), None);
        assert_eq!(cal.with_state(Some(Bundesland::BY)), Calendar::AlwaysOpen);
    }
}
