//! The TOML shape of contracts and calendars, as written in the config file. (SHAPE ONLY: the
//! SLA engine turns a spec into a [`super::Contract`].)

use std::collections::BTreeMap;

use serde::Deserialize;

/// `[contracts.<name>]` in the config.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContractSpec {
    /// `"24x7"` or a `[contracts.<name>.calendar]` table.
    #[serde(default)]
    pub calendar: Option<CalendarSpec>,
    /// Targets per priority: keys `p1`..`p4`.
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
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum CalendarSpec {
    /// The string `"24x7"`.
    Named(String),
    Business(BusinessCalendarSpec),
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BusinessCalendarSpec {
    /// IANA zone, default `Europe/Berlin`.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Working hours per weekday: keys `mon`..`sun`, values like `["08:00-12:00", "13:00-17:00"]`.
    pub hours: BTreeMap<String, Vec<String>>,
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
#[derive(Clone, Debug, Deserialize, PartialEq)]
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
