//! The TOML shape of contracts and calendars, as written in the config file, and its
//! translation into a [`Contract`] ([`ContractSpec::to_contract`]). Every error is one line
//! that names the bad value; the config loader puts `contracts.<name>.` in front of the
//! field path.

use std::collections::BTreeMap;
use std::fmt;

use jiff::SignedDuration;
use jiff::tz::TimeZone;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, de::value::MapAccessDeserializer};

use super::calendar::{self, BusinessCalendar, Calendar, ClosedDay, Frame};
use super::holidays::{Bundesland, RegionalHoliday};
use super::{Contract, DEFAULT_PAUSE_STATUSES, DEFAULT_WARN_FRACTIONS, PriorityTargets};
use crate::model::Priority;

/// `[contracts.<name>]` in the config.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContractSpec {
    /// `"24x7"` or a `[contracts.<name>.calendar]` table. Default: Monday to Friday
    /// 08:00-17:00 Europe/Berlin with the nationwide holidays.
    #[serde(default)]
    pub calendar: Option<CalendarSpec>,
    /// Targets per priority: keys `p1`..`p4`. A priority without an entry gets no clocks.
    #[serde(default)]
    pub targets: BTreeMap<String, TargetSpec>,
    /// Status labels in which clocks pause (matched case-insensitively).
    #[serde(default)]
    pub pause_statuses: Option<Vec<String>>,
    /// Warning fractions, e.g. `[0.75, 0.9]`.
    #[serde(default)]
    pub warn_at: Option<Vec<f64>>,
}

/// A calendar: always open, or working hours in a zone minus holidays.
#[derive(Clone, Debug, PartialEq)]
pub enum CalendarSpec {
    /// The string `"24x7"`.
    Named(String),
    Business(BusinessCalendarSpec),
}

/// Deserialized by hand (not `untagged`) so that a mistake inside the calendar table is
/// reported as exactly that mistake (e.g. an unknown field) instead of "no variant matched".
impl<'de> Deserialize<'de> for CalendarSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CalendarVisitor;

        impl<'de> Visitor<'de> for CalendarVisitor {
            type Value = CalendarSpec;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"24x7\" or a calendar table")
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<CalendarSpec, E> {
                Ok(CalendarSpec::Named(s.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<CalendarSpec, A::Error> {
                BusinessCalendarSpec::deserialize(MapAccessDeserializer::new(map))
                    .map(CalendarSpec::Business)
            }
        }

        deserializer.deserialize_any(CalendarVisitor)
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BusinessCalendarSpec {
    /// IANA zone, default `Europe/Berlin`.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Working hours per weekday: keys `mon`..`sun` (or ranges like `mon-fri`), values like
    /// `["08:00-12:00", "13:00-17:00"]`. Days not listed are closed. Default: `mon-fri`
    /// 08:00-17:00.
    #[serde(default)]
    pub hours: Option<BTreeMap<String, Vec<String>>>,
    /// German state whose public holidays close the calendar (`BY`, `NW`, ... or a name).
    #[serde(default)]
    pub state: Option<String>,
    /// Regional holidays to add (`fronleichnam`, `mariae-himmelfahrt`, `augsburger-friedensfest`).
    #[serde(default)]
    pub regional: Vec<String>,
    /// Extra closed days, `YYYY-MM-DD` or yearly `MM-DD`.
    #[serde(default)]
    pub closed: Vec<String>,
}

/// `p1 = { first-response = "30m", resolution = "4h", next-update = "2h", around-the-clock = true }`
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TargetSpec {
    #[serde(default)]
    pub first_response: Option<String>,
    #[serde(default)]
    pub next_update: Option<String>,
    #[serde(default)]
    pub resolution: Option<String>,
    #[serde(default)]
    pub around_the_clock: bool,
}

/// Why a contract spec cannot become a contract. Each message is one line and names the
/// offending value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error(
        "{field}: bad duration {value:?} (use hours and minutes like \"30m\", \"4h\", \"1h30m\", \"27h\")"
    )]
    BadDuration { field: String, value: String },
    #[error("{field}: duration {value:?} must be longer than zero")]
    NonPositiveDuration { field: String, value: String },
    #[error("targets: unknown priority {0:?} (use p1, p2, p3 or p4)")]
    UnknownPriority(String),
    #[error("targets: priority {0:?} is given twice")]
    DuplicatePriority(String),
    #[error("calendar: unknown calendar {0:?} (use \"24x7\" or a calendar table)")]
    UnknownCalendar(String),
    #[error(
        "calendar.time-zone: unknown time zone {0:?} (use an IANA name like \"Europe/Berlin\")"
    )]
    UnknownTimeZone(String),
    #[error(
        "calendar.state: unknown German state {0:?} (use a code like BY, NW, SN or a name like \"Bayern\")"
    )]
    UnknownState(String),
    #[error(
        "calendar.regional: unknown regional holiday {0:?} (use fronleichnam, mariae-himmelfahrt or augsburger-friedensfest)"
    )]
    UnknownRegional(String),
    #[error("calendar.closed: bad day {0:?} (use YYYY-MM-DD or, every year, MM-DD)")]
    BadClosedDay(String),
    #[error("calendar.hours: unknown weekday {0:?} (use mon..sun or a range like mon-fri)")]
    UnknownWeekday(String),
    #[error("calendar.hours: {0} is given twice")]
    DuplicateWeekday(String),
    #[error("calendar.hours.{day}: bad frame {value:?}: {reason}")]
    BadFrame {
        day: String,
        value: String,
        reason: String,
    },
    #[error("calendar.hours.{0}: frames overlap")]
    OverlappingFrames(String),
    #[error("calendar.hours: no working hours on any day")]
    NoWorkingHours,
    #[error("warn-at: {value} is not a fraction between 0 and 1 (like 0.75)")]
    BadWarnFraction { value: String },
    #[error("warn-at: fractions must be ascending, {0} is not")]
    UnorderedWarnFractions(String),
    #[error("warn-at: at most {max} warnings per clock, {given} given")]
    TooManyWarnings { given: usize, max: usize },
}

impl ContractSpec {
    /// Build the contract `name` from this spec, checking every value.
    pub fn to_contract(&self, name: &str) -> Result<Contract, SpecError> {
        Ok(Contract {
            name: name.to_owned(),
            targets: self.parse_targets()?,
            pause_statuses: self.pause_statuses(),
            warn_fractions: self.warn_fractions()?,
            calendar: match &self.calendar {
                None => Calendar::business(BusinessCalendar::office_hours()),
                Some(spec) => spec.to_calendar()?,
            },
        })
    }

    fn parse_targets(&self) -> Result<[PriorityTargets; 4], SpecError> {
        let mut targets = [const { None }; 4];
        for (key, spec) in &self.targets {
            let priority =
                Priority::parse(key).ok_or_else(|| SpecError::UnknownPriority(key.clone()))?;
            let slot = &mut targets[priority.index()];
            if slot.is_some() {
                return Err(SpecError::DuplicatePriority(key.clone()));
            }
            *slot = Some(spec.to_targets(key)?);
        }
        Ok(targets.map(|t| t.unwrap_or(PriorityTargets::NONE)))
    }

    fn pause_statuses(&self) -> Vec<String> {
        match &self.pause_statuses {
            Some(list) => list.iter().map(|s| s.trim().to_lowercase()).collect(),
            None => DEFAULT_PAUSE_STATUSES.map(String::from).to_vec(),
        }
    }

    fn warn_fractions(&self) -> Result<Vec<f64>, SpecError> {
        let Some(list) = &self.warn_at else {
            return Ok(DEFAULT_WARN_FRACTIONS.to_vec());
        };
        if let Some(bad) = list.iter().find(|f| !(**f > 0.0 && **f < 1.0)) {
            return Err(SpecError::BadWarnFraction {
                value: bad.to_string(),
            });
        }
        if list.windows(2).any(|w| w[0] >= w[1]) {
            return Err(SpecError::UnorderedWarnFractions(format!("{list:?}")));
        }
        if list.len() > super::MAX_WARNINGS {
            return Err(SpecError::TooManyWarnings {
                given: list.len(),
                max: super::MAX_WARNINGS,
            });
        }
        Ok(list.clone())
    }
}

impl TargetSpec {
    fn to_targets(&self, key: &str) -> Result<PriorityTargets, SpecError> {
        let field = |name: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(|v| parse_duration(&format!("targets.{key}.{name}"), v))
                .transpose()
        };
        Ok(PriorityTargets {
            first_response: field("first-response", &self.first_response)?,
            next_update: field("next-update", &self.next_update)?,
            resolution: field("resolution", &self.resolution)?,
            around_the_clock: self.around_the_clock,
        })
    }
}

/// `"30m"`, `"4h"`, `"1h30m"`, `"27h"` (jiff's friendly format; ISO 8601 `PT4H` works too).
/// Days are refused: a "day" of business time is ambiguous.
pub fn parse_duration(field: &str, value: &str) -> Result<SignedDuration, SpecError> {
    let bad = || SpecError::BadDuration {
        field: field.to_owned(),
        value: value.to_owned(),
    };
    let d: SignedDuration = value.trim().parse().map_err(|_| bad())?;
    if !d.is_positive() {
        return Err(SpecError::NonPositiveDuration {
            field: field.to_owned(),
            value: value.to_owned(),
        });
    }
    Ok(d)
}

impl CalendarSpec {
    /// The calendar this spec describes.
    pub fn to_calendar(&self) -> Result<Calendar, SpecError> {
        match self {
            CalendarSpec::Named(name) => match name.trim().to_ascii_lowercase().as_str() {
                "24x7" | "24/7" => Ok(Calendar::AlwaysOpen),
                _ => Err(SpecError::UnknownCalendar(name.clone())),
            },
            CalendarSpec::Business(spec) => spec.to_calendar().map(Calendar::business),
        }
    }
}

impl BusinessCalendarSpec {
    pub fn to_calendar(&self) -> Result<BusinessCalendar, SpecError> {
        let time_zone = match &self.time_zone {
            None => calendar::default_time_zone(),
            Some(name) => {
                TimeZone::get(name).map_err(|_| SpecError::UnknownTimeZone(name.clone()))?
            }
        };
        let week = match &self.hours {
            None => BusinessCalendar::office_hours_week(),
            Some(hours) => parse_week(hours)?,
        };
        let state = self
            .state
            .as_deref()
            .map(|s| Bundesland::parse(s).ok_or_else(|| SpecError::UnknownState(s.to_owned())))
            .transpose()?;
        let regional = self
            .regional
            .iter()
            .map(|r| RegionalHoliday::parse(r).ok_or_else(|| SpecError::UnknownRegional(r.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        let closed = self
            .closed
            .iter()
            .map(|c| ClosedDay::parse(c).ok_or_else(|| SpecError::BadClosedDay(c.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BusinessCalendar::new(time_zone, week)
            .with_state(state)
            .with_regional(regional)
            .with_closed(closed))
    }
}

const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn parse_week(hours: &BTreeMap<String, Vec<String>>) -> Result<[Vec<Frame>; 7], SpecError> {
    let mut week: [Option<Vec<Frame>>; 7] = Default::default();
    for (key, frames) in hours {
        let frames = parse_frames(key, frames)?;
        for day in parse_weekdays(key)? {
            if week[day].is_some() {
                return Err(SpecError::DuplicateWeekday(WEEKDAY_KEYS[day].to_owned()));
            }
            week[day] = Some(frames.clone());
        }
    }
    let week = week.map(Option::unwrap_or_default);
    if week.iter().all(Vec::is_empty) {
        return Err(SpecError::NoWorkingHours);
    }
    Ok(week)
}

fn parse_frames(key: &str, values: &[String]) -> Result<Vec<Frame>, SpecError> {
    let frames = values
        .iter()
        .map(|v| {
            Frame::parse(v).map_err(|reason| SpecError::BadFrame {
                day: key.to_owned(),
                value: v.clone(),
                reason: reason.to_owned(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if calendar::frames_overlap(&frames) {
        return Err(SpecError::OverlappingFrames(key.to_owned()));
    }
    Ok(frames)
}

/// `"mon"`, `"Monday"`, `"Mo"`, `"Montag"` or a range `"mon-fri"` -> weekday indexes
/// (0 = Monday).
fn parse_weekdays(key: &str) -> Result<Vec<usize>, SpecError> {
    let unknown = || SpecError::UnknownWeekday(key.to_owned());
    match key.split_once('-') {
        Some((from, to)) => {
            let (from, to) = (
                weekday(from).ok_or_else(unknown)?,
                weekday(to).ok_or_else(unknown)?,
            );
            if from > to {
                return Err(unknown());
            }
            Ok((from..=to).collect())
        }
        None => Ok(vec![weekday(key).ok_or_else(unknown)?]),
    }
}

fn weekday(name: &str) -> Option<usize> {
    const NAMES: [[&str; 4]; 7] = [
        ["mon", "monday", "mo", "montag"],
        ["tue", "tuesday", "di", "dienstag"],
        ["wed", "wednesday", "mi", "mittwoch"],
        ["thu", "thursday", "do", "donnerstag"],
        ["fri", "friday", "fr", "freitag"],
        ["sat", "saturday", "sa", "samstag"],
        ["sun", "sunday", "so", "sonntag"],
    ];
    let name = name.trim().to_lowercase();
    NAMES
        .iter()
        .position(|names| names.contains(&name.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use jiff::civil::date;

    fn parse(toml_text: &str) -> ContractSpec {
        toml::from_str(toml_text).expect("valid TOML shape")
    }

    fn error(toml_text: &str) -> String {
        parse(toml_text)
            .to_contract("c")
            .expect_err("spec must be refused")
            .to_string()
    }

    fn berlin(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Timestamp {
        date(y, mo, d)
            .at(h, mi, 0, 0)
            .in_tz("Europe/Berlin")
            .unwrap()
            .timestamp()
    }

    const FULL: &str = r#"
        pause-statuses = ["Warten auf Kunde", "stalled"]
        warn-at = [0.5, 0.8]

        [targets]
        p1 = { first-response = "30m", resolution = "4h", around-the-clock = true }
        p2 = { first-response = "1h", next-update = "2h", resolution = "1h30m" }
        p3 = { first-response = "4h", resolution = "27h" }

        [calendar]
        time-zone = "Europe/Berlin"
        state = "Sachsen"
        regional = ["fronleichnam"]
        closed = ["12-24", "2026-12-28"]
        [calendar.hours]
        mon-thu = ["08:00-12:00", "13:00-17:00"]
        fri = ["8-14"]
    "#;

    #[test]
    fn full_contract_parses() {
        let c = parse(FULL).to_contract("gold").unwrap();
        assert_eq!(c.name, "gold");
        assert_eq!(
            c.targets[0].first_response,
            Some(SignedDuration::from_mins(30))
        );
        assert!(c.targets[0].around_the_clock);
        assert_eq!(c.targets[1].resolution, Some(SignedDuration::from_mins(90)));
        assert_eq!(
            c.targets[1].next_update,
            Some(SignedDuration::from_hours(2))
        );
        assert_eq!(
            c.targets[2].resolution,
            Some(SignedDuration::from_hours(27))
        );
        assert_eq!(c.targets[3], PriorityTargets::NONE);
        assert_eq!(c.pause_statuses, vec!["warten auf kunde", "stalled"]);
        assert_eq!(c.warn_fractions, vec![0.5, 0.8]);
        let Calendar::Business(cal) = &c.calendar else {
            panic!("business calendar expected");
        };
        assert_eq!(cal.state(), Some(Bundesland::SN));
        assert_eq!(cal.regional(), &[RegionalHoliday::Fronleichnam]);
        assert_eq!(cal.frames(0).len(), 2);
        assert_eq!(cal.frames(4), &[Frame::hours(8, 14).unwrap()]);
        assert!(cal.frames(5).is_empty());
        // Fronleichnam 2026-06-04 (Thursday) is closed through the regional option.
        assert!(!c.calendar.is_open(berlin(2026, 6, 4, 10, 0)));
        assert!(c.calendar.is_open(berlin(2026, 6, 3, 10, 0)));
        assert!(!c.calendar.is_open(berlin(2026, 6, 3, 12, 30)));
        assert!(!c.calendar.is_open(berlin(2026, 12, 28, 10, 0)));
    }

    #[test]
    fn empty_spec_gets_defaults() {
        let c = ContractSpec::default().to_contract("x").unwrap();
        assert_eq!(c.warn_fractions, DEFAULT_WARN_FRACTIONS.to_vec());
        assert!(c.pauses_on("Waiting for customer"));
        assert!(c.targets.iter().all(|t| *t == PriorityTargets::NONE));
        assert_eq!(
            c.calendar,
            Calendar::business(BusinessCalendar::office_hours())
        );
    }

    #[test]
    fn calendar_24x7_and_default_hours() {
        let c = parse("calendar = \"24x7\"").to_contract("x").unwrap();
        assert_eq!(c.calendar, Calendar::AlwaysOpen);
        let c = parse("[calendar]\nstate = \"by\"")
            .to_contract("x")
            .unwrap();
        let Calendar::Business(cal) = &c.calendar else {
            panic!("business calendar expected");
        };
        assert_eq!(cal.frames(0), &[Frame::hours(8, 17).unwrap()]);
        assert_eq!(cal.state(), Some(Bundesland::BY));
    }

    #[test]
    fn bad_duration_is_named() {
        let msg = error("[targets]\np1 = { first-response = \"4x\" }");
        assert_eq!(
            msg,
            "targets.p1.first-response: bad duration \"4x\" (use hours and minutes like \"30m\", \"4h\", \"1h30m\", \"27h\")"
        );
        assert!(error("[targets]\np2 = { resolution = \"0m\" }").contains("\"0m\""));
        assert!(error("[targets]\np2 = { resolution = \"-1h\" }").contains("\"-1h\""));
        assert!(error("[targets]\np2 = { resolution = \"\" }").contains("bad duration"));
    }

    #[test]
    fn unknown_state_is_named() {
        let msg = error("[calendar]\nstate = \"Bavaria\"");
        assert!(msg.starts_with("calendar.state: unknown German state \"Bavaria\""));
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn bad_hours_frame_is_named() {
        let msg = error("[calendar.hours]\nmon = [\"8-17x\"]");
        assert!(
            msg.starts_with("calendar.hours.mon: bad frame \"8-17x\""),
            "{msg}"
        );
        assert!(error("[calendar.hours]\nmon = [\"17-8\"]").contains("after the start"));
        assert!(error("[calendar.hours]\nmon = [\"8-12\", \"11-13\"]").contains("overlap"));
        assert!(error("[calendar.hours]\nmon = []").contains("no working hours"));
        assert!(error("[calendar.hours]\nmon-fry = [\"8-17\"]").contains("mon-fry"));
        assert!(error("[calendar.hours]\nfri-mon = [\"8-17\"]").contains("fri-mon"));
        assert!(error("[calendar.hours]\nmon-fri = [\"8-17\"]\nmo = [\"8-9\"]").contains("mon"));
    }

    #[test]
    fn other_bad_values_are_named() {
        assert!(error("[targets]\np5 = { resolution = \"4h\" }").contains("\"p5\""));
        assert!(
            error("[targets]\np1 = { resolution = \"4h\" }\nP1 = { resolution = \"4h\" }")
                .contains("twice")
        );
        assert!(error("calendar = \"always\"").contains("\"always\""));
        assert!(error("[calendar]\ntime-zone = \"Mars/Olympus\"").contains("\"Mars/Olympus\""));
        assert!(error("[calendar]\nregional = [\"karneval\"]").contains("\"karneval\""));
        assert!(error("[calendar]\nclosed = [\"24.12.\"]").contains("\"24.12.\""));
        assert!(error("warn-at = [0.9, 0.75]").contains("ascending"));
        assert!(error("warn-at = [1.5]").contains("1.5"));
        assert!(error("warn-at = [0.5, 0.6, 0.7, 0.8]").contains("at most 3 warnings"));
    }

    #[test]
    fn unknown_fields_are_refused_by_serde() {
        let err = toml::from_str::<ContractSpec>("[targets]\np1 = { response = \"1h\" }")
            .unwrap_err()
            .to_string();
        assert!(err.contains("response"), "{err}");
        let err = toml::from_str::<ContractSpec>("[calendar]\nstates = \"BY\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("states"), "{err}");
    }

    #[test]
    fn the_example_in_the_user_guide_is_valid() {
        let guide = include_str!("../../docs/sla.md");
        let start = guide.find("```toml\n").expect("toml example") + "```toml\n".len();
        let len = guide[start..].find("```").expect("end of example");
        let config: BTreeMap<String, BTreeMap<String, ContractSpec>> =
            toml::from_str(&guide[start..start + len]).expect("example parses");
        let gold = config["contracts"]["gold"].to_contract("gold").unwrap();
        assert!(gold.targets[0].around_the_clock);
        assert_eq!(
            gold.targets[1].next_update,
            Some(SignedDuration::from_mins(90))
        );
        // Augsburg: Friedensfest on 8 August closes the calendar.
        assert!(!gold.calendar.is_open(berlin(2025, 8, 8, 10, 0)));
        assert!(gold.calendar.is_open(berlin(2025, 8, 7, 10, 0)));
    }

    #[test]
    fn duration_formats() {
        let d = |s| parse_duration("f", s);
        assert_eq!(d("30m"), Ok(SignedDuration::from_mins(30)));
        assert_eq!(d("1h30m"), Ok(SignedDuration::from_mins(90)));
        assert_eq!(d("27h"), Ok(SignedDuration::from_hours(27)));
        assert_eq!(d("PT2H"), Ok(SignedDuration::from_hours(2)));
        assert!(d("1d").is_err());
        assert!(d("4x").is_err());
    }
}
