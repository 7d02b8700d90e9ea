//! German public holidays per state (Bundesland), computed from rules: fixed dates, the
//! moveable feasts counted from Easter Sunday (Gregorian computus) and Buß- und Bettag.
//!
//! The table is written here rather than taken from a holiday crate because those crates bring
//! a second time library (`chrono` or `time`) next to `jiff`. Rules cover 1995 onward (the
//! year Buß- und Bettag stopped being a nationwide holiday).

use std::fmt;

use jiff::civil::{Date, Weekday};

/// One of the 16 German states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bundesland {
    BW,
    BY,
    BE,
    BB,
    HB,
    HH,
    HE,
    MV,
    NI,
    NW,
    RP,
    SL,
    SN,
    ST,
    SH,
    TH,
}

use Bundesland::*;

impl Bundesland {
    pub const ALL: [Bundesland; 16] = [
        BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH,
    ];

    /// The two-letter code (`"BY"`).
    pub fn code(self) -> &'static str {
        match self {
            BW => "BW",
            BY => "BY",
            BE => "BE",
            BB => "BB",
            HB => "HB",
            HH => "HH",
            HE => "HE",
            MV => "MV",
            NI => "NI",
            NW => "NW",
            RP => "RP",
            SL => "SL",
            SN => "SN",
            ST => "ST",
            SH => "SH",
            TH => "TH",
        }
    }

    /// The German name (`"Bayern"`).
    pub fn name(self) -> &'static str {
        match self {
            BW => "Baden-Württemberg",
            BY => "Bayern",
            BE => "Berlin",
            BB => "Brandenburg",
            HB => "Bremen",
            HH => "Hamburg",
            HE => "Hessen",
            MV => "Mecklenburg-Vorpommern",
            NI => "Niedersachsen",
            NW => "Nordrhein-Westfalen",
            RP => "Rheinland-Pfalz",
            SL => "Saarland",
            SN => "Sachsen",
            ST => "Sachsen-Anhalt",
            SH => "Schleswig-Holstein",
            TH => "Thüringen",
        }
    }

    /// Accepts the code (`by`, `BY`, also `DE-BY`) or the German name, with or without
    /// umlauts (`Thüringen`, `Thueringen`, `nordrhein westfalen`).
    pub fn parse(s: &str) -> Option<Bundesland> {
        let key = fold_name(s);
        let key = key
            .strip_prefix("de")
            .filter(|k| k.len() == 2)
            .unwrap_or(&key);
        Bundesland::ALL
            .into_iter()
            .find(|b| key == b.code().to_ascii_lowercase() || key == fold_name(b.name()))
    }
}

impl fmt::Display for Bundesland {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Lower case, umlauts spelled out, separators dropped: `"Baden-Württemberg"` ->
/// `"badenwuerttemberg"`.
pub(crate) fn fold_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            ' ' | '-' | '_' | '.' => {}
            c => out.push(c),
        }
    }
    out
}

/// Holidays that hold only in some municipalities; a calendar opts in to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegionalHoliday {
    /// Fronleichnam in predominantly Catholic municipalities of SN and TH.
    Fronleichnam,
    /// Mariä Himmelfahrt (15.8.) in predominantly Catholic municipalities of BY.
    MariaeHimmelfahrt,
    /// Augsburger Hohes Friedensfest (8.8.), city of Augsburg only.
    AugsburgerFriedensfest,
}

impl RegionalHoliday {
    pub const ALL: [RegionalHoliday; 3] = [
        RegionalHoliday::Fronleichnam,
        RegionalHoliday::MariaeHimmelfahrt,
        RegionalHoliday::AugsburgerFriedensfest,
    ];

    /// The config name (`"mariae-himmelfahrt"`).
    pub fn key(self) -> &'static str {
        match self {
            RegionalHoliday::Fronleichnam => "fronleichnam",
            RegionalHoliday::MariaeHimmelfahrt => "mariae-himmelfahrt",
            RegionalHoliday::AugsburgerFriedensfest => "augsburger-friedensfest",
        }
    }

    /// Accepts the config name, also with umlauts or spaces (`"Mariä Himmelfahrt"`).
    pub fn parse(s: &str) -> Option<RegionalHoliday> {
        let key = fold_name(s);
        RegionalHoliday::ALL
            .into_iter()
            .find(|r| fold_name(r.key()) == key)
    }
}

/// Easter Sunday of `year` in the Gregorian calendar (anonymous Gregorian computus).
pub fn easter_sunday(year: i16) -> Date {
    let y = i32::from(year);
    let golden = y % 19;
    let century = y / 100;
    let year_in_century = y % 100;
    let leap_skips = century / 4;
    let century_rest = century % 4;
    let lunar_correction = (century + 8) / 25;
    let solar_correction = (century - lunar_correction + 1) / 3;
    let epact = (19 * golden + century - leap_skips - solar_correction + 15) % 30;
    let weekday_fix =
        (32 + 2 * century_rest + 2 * (year_in_century / 4) - epact - year_in_century % 4) % 7;
    let march_shift = (golden + 11 * epact + 22 * weekday_fix) / 451;
    let n = epact + weekday_fix - 7 * march_shift + 114;
    let month = (n / 31) as i8;
    let day = (n % 31 + 1) as i8;
    jiff::civil::date(year, month, day)
}

/// Buß- und Bettag: the Wednesday before 23 November (16..=22 November).
pub fn buss_und_bettag(year: i16) -> Date {
    let nov_22 = jiff::civil::date(year, 11, 22);
    let back =
        (nov_22.weekday().to_monday_zero_offset() - Weekday::Wednesday.to_monday_zero_offset() + 7)
            % 7;
    jiff::civil::date(year, 11, 22 - back)
}

/// The name of the public holiday on `date` for a calendar in `state` (None: nationwide
/// holidays only) with the opted-in `regional` holidays, or None on a normal day.
pub fn holiday_name(
    date: Date,
    state: Option<Bundesland>,
    regional: &[RegionalHoliday],
) -> Option<&'static str> {
    fixed_holiday(date, state, regional)
        .or_else(|| easter_holiday(date, state, regional))
        .or_else(|| {
            (state == Some(SN) && date == buss_und_bettag(date.year())).then_some("Buß- und Bettag")
        })
}

/// True when `date` is a public holiday (see [`holiday_name`]).
pub fn is_holiday(date: Date, state: Option<Bundesland>, regional: &[RegionalHoliday]) -> bool {
    holiday_name(date, state, regional).is_some()
}

/// A public holiday of a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    pub name: &'static str,
}

/// All public holidays of `year`, in date order.
pub fn holidays_in(
    year: i16,
    state: Option<Bundesland>,
    regional: &[RegionalHoliday],
) -> Vec<Holiday> {
    let first = jiff::civil::date(year, 1, 1);
    first
        .series(jiff::Span::new().days(1))
        .take_while(|d| d.year() == year)
        .filter_map(|date| holiday_name(date, state, regional).map(|name| Holiday { date, name }))
        .collect()
}

fn in_state(state: Option<Bundesland>, states: &[Bundesland]) -> bool {
    state.is_some_and(|s| states.contains(&s))
}

fn fixed_holiday(
    date: Date,
    state: Option<Bundesland>,
    regional: &[RegionalHoliday],
) -> Option<&'static str> {
    let year = date.year();
    let yes = |cond: bool, name: &'static str| cond.then_some(name);
    match (date.month(), date.day()) {
        (1, 1) => Some("Neujahr"),
        (1, 6) => yes(in_state(state, &[BW, BY, ST]), "Heilige Drei Könige"),
        (3, 8) => yes(
            (state == Some(BE) && year >= 2019) || (state == Some(MV) && year >= 2023),
            "Internationaler Frauentag",
        ),
        (5, 1) => Some("Tag der Arbeit"),
        (5, 8) => yes(
            state == Some(BE) && matches!(year, 2020 | 2025),
            "Tag der Befreiung",
        ),
        (8, 8) => yes(
            regional.contains(&RegionalHoliday::AugsburgerFriedensfest),
            "Augsburger Hohes Friedensfest",
        ),
        (8, 15) => yes(
            state == Some(SL) || regional.contains(&RegionalHoliday::MariaeHimmelfahrt),
            "Mariä Himmelfahrt",
        ),
        (9, 20) => yes(state == Some(TH) && year >= 2019, "Weltkindertag"),
        (10, 3) => Some("Tag der Deutschen Einheit"),
        (10, 31) => yes(reformation_day(year, state), "Reformationstag"),
        (11, 1) => yes(in_state(state, &[BW, BY, NW, RP, SL]), "Allerheiligen"),
        (12, 25) => Some("1. Weihnachtstag"),
        (12, 26) => Some("2. Weihnachtstag"),
        _ => None,
    }
}

fn reformation_day(year: i16, state: Option<Bundesland>) -> bool {
    year == 2017
        || in_state(state, &[BB, MV, SN, ST, TH])
        || (year >= 2018 && in_state(state, &[HB, HH, NI, SH]))
}

fn easter_holiday(
    date: Date,
    state: Option<Bundesland>,
    regional: &[RegionalHoliday],
) -> Option<&'static str> {
    let offset = date.day_of_year() - easter_sunday(date.year()).day_of_year();
    let yes = |cond: bool, name: &'static str| cond.then_some(name);
    match offset {
        -2 => Some("Karfreitag"),
        0 => yes(state == Some(BB), "Ostersonntag"),
        1 => Some("Ostermontag"),
        39 => Some("Christi Himmelfahrt"),
        49 => yes(state == Some(BB), "Pfingstsonntag"),
        50 => Some("Pfingstmontag"),
        60 => yes(
            in_state(state, &[BW, BY, HE, NW, RP, SL])
                || regional.contains(&RegionalHoliday::Fronleichnam),
            "Fronleichnam",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn easter_sunday_known_years() {
        assert_eq!(easter_sunday(2024), date(2024, 3, 31));
        assert_eq!(easter_sunday(2025), date(2025, 4, 20));
        assert_eq!(easter_sunday(2026), date(2026, 4, 5));
        assert_eq!(easter_sunday(2027), date(2027, 3, 28));
        assert_eq!(easter_sunday(2038), date(2038, 4, 25));
        assert_eq!(easter_sunday(2019), date(2019, 4, 21));
    }

    #[test]
    fn buss_und_bettag_is_wednesday_before_23_november() {
        assert_eq!(buss_und_bettag(2025), date(2025, 11, 19));
        assert_eq!(buss_und_bettag(2026), date(2026, 11, 18));
        // 22 November 2028 is itself a Wednesday.
        assert_eq!(buss_und_bettag(2028), date(2028, 11, 22));
        for year in 2000..2040 {
            let d = buss_und_bettag(year);
            assert_eq!(d.weekday(), Weekday::Wednesday);
            assert!((16..=22).contains(&d.day()) && d.month() == 11);
        }
    }

    #[test]
    fn moveable_feasts_2026() {
        let h = |d| holiday_name(d, None, &[]);
        assert_eq!(h(date(2026, 4, 3)), Some("Karfreitag"));
        assert_eq!(h(date(2026, 4, 6)), Some("Ostermontag"));
        assert_eq!(h(date(2026, 5, 14)), Some("Christi Himmelfahrt"));
        assert_eq!(h(date(2026, 5, 25)), Some("Pfingstmontag"));
        assert_eq!(h(date(2026, 4, 5)), None, "Ostersonntag only in BB");
        assert_eq!(
            holiday_name(date(2026, 4, 5), Some(BB), &[]),
            Some("Ostersonntag")
        );
        assert_eq!(
            holiday_name(date(2026, 5, 24), Some(BB), &[]),
            Some("Pfingstsonntag")
        );
    }

    #[test]
    fn reformationstag_sn_but_not_by() {
        let d = date(2026, 10, 31);
        assert!(is_holiday(d, Some(SN), &[]));
        assert!(!is_holiday(d, Some(BY), &[]));
        assert!(!is_holiday(d, None, &[]));
        // Northern states only from 2018, every state in 2017.
        assert!(!is_holiday(date(2016, 10, 31), Some(NI), &[]));
        assert!(is_holiday(date(2018, 10, 31), Some(NI), &[]));
        assert!(is_holiday(date(2017, 10, 31), Some(BY), &[]));
        assert!(is_holiday(date(2017, 10, 31), None, &[]));
    }

    #[test]
    fn allerheiligen_nw_but_not_ni() {
        let d = date(2026, 11, 1);
        assert_eq!(holiday_name(d, Some(NW), &[]), Some("Allerheiligen"));
        assert_eq!(holiday_name(d, Some(NI), &[]), None);
    }

    #[test]
    fn fronleichnam_he_but_not_be_unless_regional() {
        let d = date(2026, 6, 4);
        assert_eq!(holiday_name(d, Some(HE), &[]), Some("Fronleichnam"));
        assert_eq!(holiday_name(d, Some(BE), &[]), None);
        assert_eq!(holiday_name(d, Some(SN), &[]), None);
        assert_eq!(
            holiday_name(d, Some(SN), &[RegionalHoliday::Fronleichnam]),
            Some("Fronleichnam")
        );
    }

    #[test]
    fn frauentag_berlin_since_2019_and_mv_since_2023() {
        assert!(is_holiday(date(2026, 3, 8), Some(BE), &[]));
        assert!(!is_holiday(date(2018, 3, 8), Some(BE), &[]));
        assert!(!is_holiday(date(2022, 3, 8), Some(MV), &[]));
        assert!(is_holiday(date(2023, 3, 8), Some(MV), &[]));
        assert!(!is_holiday(date(2026, 3, 8), Some(HH), &[]));
    }

    #[test]
    fn berlin_one_off_days() {
        assert!(is_holiday(date(2020, 5, 8), Some(BE), &[]));
        assert!(is_holiday(date(2025, 5, 8), Some(BE), &[]));
        assert!(!is_holiday(date(2026, 5, 8), Some(BE), &[]));
        assert!(!is_holiday(date(2025, 5, 8), Some(BB), &[]));
    }

    #[test]
    fn buss_und_bettag_only_in_sachsen() {
        let d = date(2026, 11, 18);
        assert_eq!(holiday_name(d, Some(SN), &[]), Some("Buß- und Bettag"));
        assert_eq!(holiday_name(d, Some(TH), &[]), None);
    }

    #[test]
    fn weltkindertag_thueringen_since_2019() {
        assert!(is_holiday(date(2026, 9, 20), Some(TH), &[]));
        assert!(!is_holiday(date(2018, 9, 20), Some(TH), &[]));
        assert!(!is_holiday(date(2026, 9, 20), Some(SN), &[]));
    }

    #[test]
    fn heilige_drei_koenige_by_but_not_hh() {
        assert!(is_holiday(date(2026, 1, 6), Some(BY), &[]));
        assert!(is_holiday(date(2026, 1, 6), Some(ST), &[]));
        assert!(!is_holiday(date(2026, 1, 6), Some(HH), &[]));
    }

    #[test]
    fn bavarian_regional_holidays_are_opt_in() {
        let assumption = date(2026, 8, 15);
        let peace = date(2026, 8, 8);
        assert!(!is_holiday(assumption, Some(BY), &[]));
        assert!(is_holiday(assumption, Some(SL), &[]));
        let augsburg = [
            RegionalHoliday::MariaeHimmelfahrt,
            RegionalHoliday::AugsburgerFriedensfest,
        ];
        assert!(is_holiday(assumption, Some(BY), &augsburg));
        assert!(is_holiday(peace, Some(BY), &augsburg));
        assert!(!is_holiday(peace, Some(BY), &[]));
    }

    #[test]
    fn yearly_counts_differ_by_state() {
        let count = |s| holidays_in(2026, s, &[]).len();
        assert_eq!(count(None), 9);
        assert_eq!(count(Some(HH)), 10); // + Reformationstag
        assert_eq!(count(Some(BE)), 10); // + Frauentag
        assert_eq!(count(Some(SN)), 11); // + Reformationstag, Buß- und Bettag
        assert_eq!(count(Some(BY)), 12); // + Drei Könige, Fronleichnam, Allerheiligen
        let list = holidays_in(2026, Some(BY), &[]);
        assert!(list.windows(2).all(|w| w[0].date < w[1].date));
        assert_eq!(list[0].name, "Neujahr");
    }

    #[test]
    fn parse_states_by_code_and_name() {
        assert_eq!(Bundesland::parse("by"), Some(BY));
        assert_eq!(Bundesland::parse("DE-NW"), Some(NW));
        assert_eq!(Bundesland::parse("Thüringen"), Some(TH));
        assert_eq!(Bundesland::parse("thueringen"), Some(TH));
        assert_eq!(Bundesland::parse("Baden-Württemberg"), Some(BW));
        assert_eq!(Bundesland::parse("nordrhein westfalen"), Some(NW));
        assert_eq!(Bundesland::parse("Bavaria"), None);
        assert_eq!(Bundesland::parse("XX"), None);
        for b in Bundesland::ALL {
            assert_eq!(Bundesland::parse(b.code()), Some(b));
            assert_eq!(Bundesland::parse(b.name()), Some(b));
        }
    }

    #[test]
    fn parse_regional_names() {
        assert_eq!(
            RegionalHoliday::parse("Mariä Himmelfahrt"),
            Some(RegionalHoliday::MariaeHimmelfahrt)
        );
        assert_eq!(
            RegionalHoliday::parse("fronleichnam"),
            Some(RegionalHoliday::Fronleichnam)
        );
        assert_eq!(RegionalHoliday::parse("allerheiligen"), None);
    }
}
