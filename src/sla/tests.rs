//! Unit tests of the clocks: every instant is explicit, no system clock.

use jiff::civil::date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::model::{
    Interval, Item, ItemKey, Kind, Labels, Moment, Pauses, Priority, SlaFacts, SourceId, Status,
    StatusCategory, TenantId,
};

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

fn item(priority: Priority, created: Timestamp) -> Item {
    Item {
        key: ItemKey::new(&SourceId::new("demo"), "T-1"),
        tenant: TenantId::new("acme"),
        kind: Kind::Ticket,
        title: "Mail server down".into(),
        host: None,
        address: None,
        priority,
        status: Status::new(StatusCategory::New, "new"),
        created: crate::model::Moment::new(created),
        updated: crate::model::Moment::new(created),
        assignee: None,
        labels: Labels::new(),
        link: None,
        sla: SlaFacts::default(),
    }
}

fn clock(clocks: &SlaClocks, kind: ClockKind) -> &Clock {
    clocks.get(kind).expect("clock present")
}

fn pause(start: Timestamp, end: Timestamp) -> Interval {
    Interval { start, end }
}

#[test]
fn p1_around_the_clock_vs_p3_business_hours_from_friday_evening() {
    let contract = Contract::default();
    // Friday 2026-03-13 19:00.
    let created = berlin(2026, 3, 13, 19, 0);
    let p1 = evaluate(&contract, &item(Priority::P1, created));
    assert_eq!(
        clock(&p1, ClockKind::FirstResponse).due(),
        berlin(2026, 3, 13, 19, 30)
    );
    assert_eq!(
        clock(&p1, ClockKind::Resolution).due(),
        berlin(2026, 3, 13, 23, 0)
    );
    let p3 = evaluate(&contract, &item(Priority::P3, created));
    assert_eq!(
        clock(&p3, ClockKind::FirstResponse).due(),
        berlin(2026, 3, 16, 12, 0)
    );
    // 24 business hours: Monday 9h, Tuesday 9h, Wednesday 6h.
    assert_eq!(
        clock(&p3, ClockKind::Resolution).due(),
        berlin(2026, 3, 18, 14, 0)
    );
    assert!(
        p1.clocks
            .iter()
            .all(|c| !c.supplied && c.target().is_some())
    );
    assert_eq!(
        clock(&p1, ClockKind::FirstResponse).target(),
        Some(mins(30))
    );
    assert_eq!(clock(&p3, ClockKind::Resolution).target(), Some(hours(24)));
}

#[test]
fn p1_across_spring_dst_change_is_exact_elapsed_time() {
    // Saturday 2026-03-28 23:00 CET; clocks go forward at 02:00.
    let created = berlin(2026, 3, 28, 23, 0);
    let clocks = evaluate(&Contract::default(), &item(Priority::P1, created));
    let due = clock(&clocks, ClockKind::Resolution).due();
    assert_eq!(due.duration_since(created), hours(4));
    assert_eq!(due, berlin(2026, 3, 29, 4, 0));
}

#[test]
fn first_response_met_shows_met() {
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P2, created);
    it.sla.first_response_at = Some(Moment::new(berlin(2026, 3, 10, 9, 20)));
    let clocks = evaluate(&Contract::default(), &it);
    let fr = clock(&clocks, ClockKind::FirstResponse);
    let later = berlin(2026, 3, 12, 9, 0);
    assert_eq!(fr.level(later), Level::Met);
    assert_eq!(fr.met_in_time(), Some(true));
    // The resolution clock still runs and is now the nearest unmet one.
    assert_eq!(
        clocks.nearest_unmet().map(|c| c.kind),
        Some(ClockKind::Resolution)
    );
    assert_eq!(
        clock(&clocks, ClockKind::Resolution).level(later),
        Level::Breached
    );
}

#[test]
fn late_first_response_is_met_but_not_in_time() {
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P2, created);
    it.sla.first_response_at = Some(Moment::new(berlin(2026, 3, 10, 11, 0)));
    let clocks = evaluate(&Contract::default(), &it);
    assert_eq!(
        clock(&clocks, ClockKind::FirstResponse).met_in_time(),
        Some(false)
    );
}

#[test]
fn resolving_meets_every_clock() {
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P2, created);
    it.sla.resolved_at = Some(Moment::new(berlin(2026, 3, 10, 9, 40)));
    let clocks = evaluate(&Contract::default(), &it);
    assert!(clocks.clocks.iter().all(|c| c.met_at().is_some()));
    assert_eq!(clocks.nearest_unmet(), None);
    assert_eq!(clocks.sort_key(), SortKey::NoClock);
}

#[test]
fn overdue_clock_is_breached_with_negative_remaining() {
    let created = berlin(2026, 3, 13, 19, 0);
    let clocks = evaluate(&Contract::default(), &item(Priority::P1, created));
    let resolution = clock(&clocks, ClockKind::Resolution);
    let now = created.checked_add(hours(5)).unwrap();
    assert_eq!(resolution.level(now), Level::Breached);
    assert_eq!(resolution.remaining(now), -hours(1));
    assert!(resolution.remaining(now).is_negative());
}

#[test]
fn warnings_at_75_and_90_percent() {
    let created = berlin(2026, 3, 13, 19, 0);
    let clocks = evaluate(&Contract::default(), &item(Priority::P1, created));
    let fr = clock(&clocks, ClockKind::FirstResponse);
    let at = |m: i64, s: i64| {
        created
            .checked_add(mins(m) + SignedDuration::from_secs(s))
            .unwrap()
    };
    assert_eq!(
        fr.warn_at().collect::<Vec<_>>(),
        vec![at(22, 30), at(27, 0)]
    );
    assert_eq!(fr.level(at(22, 29)), Level::Ok);
    assert_eq!(fr.level(at(22, 30)), Level::Warning(0));
    assert_eq!(fr.level(at(26, 59)), Level::Warning(0));
    assert_eq!(fr.level(at(27, 0)), Level::Warning(1));
    assert_eq!(fr.level(at(30, 0)), Level::Breached);
}

#[test]
fn business_hour_warnings_skip_the_night() {
    // P2 resolution 8h from Tuesday 13:00: 75 % = 6h -> Wednesday 10:00.
    let created = berlin(2026, 3, 10, 13, 0);
    let clocks = evaluate(&Contract::default(), &item(Priority::P2, created));
    let res = clock(&clocks, ClockKind::Resolution);
    assert_eq!(res.warn_at().next().unwrap(), berlin(2026, 3, 11, 10, 0));
    assert_eq!(res.due(), berlin(2026, 3, 11, 12, 0));
    assert_eq!(res.level(berlin(2026, 3, 11, 7, 0)), Level::Ok);
}

#[test]
fn past_pause_extends_due_by_its_business_time() {
    let created = berlin(2026, 3, 10, 9, 0); // Tuesday
    let mut it = item(Priority::P2, created);
    let unpaused = clock(&evaluate(&Contract::default(), &it), ClockKind::Resolution).due();
    assert_eq!(unpaused, berlin(2026, 3, 10, 17, 0));
    // Two business hours paused in the morning, plus an evening pause that covers no
    // business time.
    it.sla.past_pauses = Pauses::from(vec![
        pause(berlin(2026, 3, 10, 10, 0), berlin(2026, 3, 10, 12, 0)),
        pause(berlin(2026, 3, 10, 18, 0), berlin(2026, 3, 10, 20, 0)),
    ]);
    let clocks = evaluate(&Contract::default(), &it);
    let res = clock(&clocks, ClockKind::Resolution);
    assert_eq!(res.due(), berlin(2026, 3, 11, 10, 0));
    // 75 % (6h) is reached at Tuesday's closing, 90 % (7h12m) on Wednesday 09:12.
    assert_eq!(
        res.warn_at().collect::<Vec<_>>(),
        vec![berlin(2026, 3, 10, 17, 0), berlin(2026, 3, 11, 9, 12)]
    );
    assert_eq!(res.level(berlin(2026, 3, 11, 9, 0)), Level::Warning(0));
    assert_eq!(res.level(berlin(2026, 3, 11, 9, 15)), Level::Warning(1));
    // A pause after the due time changes nothing.
    it.sla.past_pauses = Pauses::from(vec![pause(
        berlin(2026, 3, 12, 9, 0),
        berlin(2026, 3, 12, 12, 0),
    )]);
    let res = clock(&evaluate(&Contract::default(), &it), ClockKind::Resolution).due();
    assert_eq!(res, unpaused);
}

#[test]
fn pause_beyond_the_original_due_counts_once_the_due_moves_past_it() {
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P2, created);
    it.sla.past_pauses = Pauses::from(vec![
        // Wednesday morning: after the unextended due (Tue 17:00), before the extended one.
        pause(berlin(2026, 3, 11, 9, 0), berlin(2026, 3, 11, 9, 30)),
        pause(berlin(2026, 3, 10, 10, 0), berlin(2026, 3, 10, 12, 0)),
        // Overlaps the first one: merged, not counted twice.
        pause(berlin(2026, 3, 10, 11, 0), berlin(2026, 3, 10, 11, 30)),
    ]);
    let res = clock(&evaluate(&Contract::default(), &it), ClockKind::Resolution).due();
    assert_eq!(res, berlin(2026, 3, 11, 10, 30));
}

#[test]
fn running_pause_freezes_remaining_time() {
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P2, created);
    it.sla.first_response_at = Some(Moment::new(berlin(2026, 3, 10, 9, 20)));
    it.status = Status::new(StatusCategory::Waiting, "Warten auf Kunde");
    it.sla.status_since = Some(Moment::new(berlin(2026, 3, 10, 11, 0)));
    let clocks = evaluate(&Contract::default(), &it);
    let res = clock(&clocks, ClockKind::Resolution);
    assert_eq!(res.paused_since(), Some(berlin(2026, 3, 10, 11, 0)));
    assert_eq!(res.remaining_when_paused(), Some(hours(6)));
    // Due if resumed at the pause start.
    assert_eq!(res.due(), berlin(2026, 3, 10, 17, 0));
    // Paused even long after that due time.
    assert_eq!(res.level(berlin(2026, 3, 20, 9, 0)), Level::Paused);
    // The met first-response clock is not paused.
    assert_eq!(
        clock(&clocks, ClockKind::FirstResponse).level(created),
        Level::Met
    );
    assert_eq!(
        clocks.sort_key(),
        SortKey::Paused {
            remaining: 6 * 3600
        }
    );
}

#[test]
fn running_pause_after_past_pause_and_then_resumed() {
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P2, created);
    it.sla.first_response_at = Some(Moment::new(berlin(2026, 3, 10, 9, 20)));
    it.sla.past_pauses = Pauses::from(vec![pause(
        berlin(2026, 3, 10, 10, 0),
        berlin(2026, 3, 10, 12, 0),
    )]);
    it.status = Status::new(StatusCategory::Waiting, "stalled");
    it.sla.status_since = Some(Moment::new(berlin(2026, 3, 10, 14, 0)));
    let paused = evaluate(&Contract::default(), &it);
    let res = clock(&paused, ClockKind::Resolution);
    // Consumed: 09-10 and 12-14 = 3h of 8h.
    assert_eq!(res.remaining_when_paused(), Some(hours(5)));
    assert_eq!(res.due(), berlin(2026, 3, 11, 10, 0));
    // Resumed Wednesday 09:00: the pause Tue 14:00-Wed 09:00 holds 4 business hours.
    it.status = Status::new(StatusCategory::Acknowledged, "open");
    it.sla
        .past_pauses
        .push(pause(berlin(2026, 3, 10, 14, 0), berlin(2026, 3, 11, 9, 0)));
    let resumed = evaluate(&Contract::default(), &it);
    let res = clock(&resumed, ClockKind::Resolution);
    assert_eq!(res.paused_since(), None);
    assert_eq!(res.due(), berlin(2026, 3, 11, 14, 0));
}

#[test]
fn pause_status_without_status_since_falls_back_to_updated() {
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P3, created);
    it.status = Status::new(StatusCategory::Waiting, "  On Hold ");
    it.updated = crate::model::Moment::new(berlin(2026, 3, 10, 10, 0));
    let clocks = evaluate(&Contract::default(), &it);
    let fr = clock(&clocks, ClockKind::FirstResponse);
    assert_eq!(fr.paused_since(), Some(it.updated.timestamp()));
    assert_eq!(fr.remaining_when_paused(), Some(hours(3)));
}

#[test]
fn status_not_in_pause_list_keeps_running() {
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P3, created);
    it.status = Status::new(StatusCategory::Waiting, "waiting for parts");
    let clocks = evaluate(&Contract::default(), &it);
    assert!(clocks.clocks.iter().all(Clock::is_running));
}

#[test]
fn supplied_due_wins_and_is_not_extended_by_pauses() {
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P2, created);
    let supplied = berlin(2026, 3, 12, 9, 0);
    it.sla.supplied_resolution_due = Some(Moment::new(supplied));
    it.sla.past_pauses = Pauses::from(vec![pause(
        berlin(2026, 3, 10, 9, 30),
        berlin(2026, 3, 10, 11, 30),
    )]);
    let clocks = evaluate(&Contract::default(), &it);
    let res = clock(&clocks, ClockKind::Resolution);
    assert_eq!(res.due(), supplied);
    assert!(res.supplied);
    assert_eq!(res.target(), None);
    // 18 business hours from created to due: warnings at 13.5h and 16.2h.
    assert_eq!(
        res.warn_at().collect::<Vec<_>>(),
        vec![berlin(2026, 3, 11, 13, 30), berlin(2026, 3, 11, 16, 12)]
    );
    // The first-response clock is still computed, and extended by the pause.
    let fr = clock(&clocks, ClockKind::FirstResponse);
    assert!(!fr.supplied);
    assert_eq!(fr.due(), berlin(2026, 3, 10, 12, 0));
}

#[test]
fn supplied_due_without_contract_target_still_makes_a_clock() {
    let mut contract = Contract::default();
    contract.targets[3] = PriorityTargets::NONE;
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P4, created);
    assert!(evaluate(&contract, &it).clocks.is_empty());
    it.sla.supplied_first_response_due = Some(Moment::new(berlin(2026, 3, 10, 15, 0)));
    let clocks = evaluate(&contract, &it);
    assert_eq!(clocks.clocks.len(), 1);
    assert_eq!(clocks.clocks[0].kind, ClockKind::FirstResponse);
    assert!(clocks.clocks[0].supplied);
}

#[test]
fn paused_supplied_clock_keeps_the_supplied_due() {
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P2, created);
    let supplied = berlin(2026, 3, 11, 12, 0);
    it.sla.supplied_resolution_due = Some(Moment::new(supplied));
    it.status = Status::new(StatusCategory::Waiting, "pending");
    it.sla.status_since = Some(Moment::new(berlin(2026, 3, 10, 16, 0)));
    let res = clock(&evaluate(&Contract::default(), &it), ClockKind::Resolution).clone();
    assert_eq!(res.due(), supplied);
    assert_eq!(res.remaining_when_paused(), Some(hours(5)));
    assert_eq!(res.level(berlin(2026, 3, 11, 13, 0)), Level::Paused);
}

#[test]
fn a_pause_the_source_reports_pauses_whatever_the_status_word() {
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P2, created);
    it.sla.supplied_resolution_due = Some(Moment::new(berlin(2026, 3, 11, 12, 0)));
    // "Awaiting parts" is not in the default contract's pause list; the source pauses it.
    it.status = Status::new(StatusCategory::Waiting, "Awaiting parts");
    it.sla.status_since = Some(Moment::new(berlin(2026, 3, 10, 16, 0)));
    let running = clock(&evaluate(&Contract::default(), &it), ClockKind::Resolution).clone();
    assert_eq!(
        running.paused_since(),
        None,
        "the contract alone does not pause it"
    );
    it.sla.paused_by_source = true;
    let paused = clock(&evaluate(&Contract::default(), &it), ClockKind::Resolution).clone();
    assert_eq!(paused.paused_since(), Some(berlin(2026, 3, 10, 16, 0)));
    assert_eq!(paused.level(berlin(2026, 3, 11, 13, 0)), Level::Paused);
}

#[test]
fn next_update_clock_runs_after_first_response_until_resolved() {
    let mut contract = Contract::default();
    contract.targets[1].next_update = Some(hours(2));
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P2, created);
    assert!(
        evaluate(&contract, &it)
            .get(ClockKind::NextUpdate)
            .is_none()
    );
    it.sla.first_response_at = Some(Moment::new(berlin(2026, 3, 10, 9, 30)));
    let nu = evaluate(&contract, &it)
        .get(ClockKind::NextUpdate)
        .cloned()
        .unwrap();
    assert_eq!(nu.started(), berlin(2026, 3, 10, 9, 30));
    assert_eq!(nu.due(), berlin(2026, 3, 10, 11, 30));
    it.sla.last_update_at = Some(Moment::new(berlin(2026, 3, 10, 10, 0)));
    let clocks = evaluate(&contract, &it);
    assert_eq!(
        clock(&clocks, ClockKind::NextUpdate).due(),
        berlin(2026, 3, 10, 12, 0)
    );
    // The next update falls due before the resolution (Tuesday 17:00).
    assert_eq!(
        clocks.nearest_unmet().map(|c| c.kind),
        Some(ClockKind::NextUpdate)
    );
    it.sla.last_update_at = Some(Moment::new(berlin(2026, 3, 10, 16, 0)));
    let clocks = evaluate(&contract, &it);
    assert_eq!(
        clock(&clocks, ClockKind::NextUpdate).due(),
        berlin(2026, 3, 11, 9, 0)
    );
    assert_eq!(
        clocks.nearest_unmet().map(|c| c.kind),
        Some(ClockKind::Resolution)
    );
    it.sla.resolved_at = Some(Moment::new(berlin(2026, 3, 10, 17, 0)));
    let nu = evaluate(&contract, &it)
        .get(ClockKind::NextUpdate)
        .cloned()
        .unwrap();
    assert_eq!(nu.level(berlin(2026, 3, 12, 9, 0)), Level::Met);
}

#[test]
fn sort_key_orders_running_then_paused_then_none() {
    let contract = Contract::default();
    let created = berlin(2026, 3, 10, 9, 0);
    let soon = evaluate(&contract, &item(Priority::P1, created)).sort_key();
    let later = evaluate(&contract, &item(Priority::P4, created)).sort_key();
    let mut waiting = item(Priority::P1, created);
    waiting.status = Status::new(StatusCategory::Waiting, "waiting");
    let paused_short = evaluate(&contract, &waiting).sort_key();
    let mut waiting_long = item(Priority::P4, created);
    waiting_long.status = Status::new(StatusCategory::Waiting, "waiting");
    let paused_long = evaluate(&contract, &waiting_long).sort_key();
    let mut done = item(Priority::P1, created);
    done.sla.resolved_at = Some(Moment::new(created));
    let none = evaluate(&contract, &done).sort_key();
    assert_eq!(
        soon,
        SortKey::Running {
            due: berlin(2026, 3, 10, 9, 30).as_second()
        }
    );
    let mut keys = vec![none, paused_long, later, paused_short, soon];
    keys.sort();
    assert_eq!(keys, vec![soon, later, paused_short, paused_long, none]);
}

#[test]
fn with_state_uses_that_states_holidays() {
    let contract = Contract::default();
    // Thursday 2025-10-30 16:00 P3 first response (4h): Friday 31.10. is Reformationstag in SN.
    let created = berlin(2025, 10, 30, 16, 0);
    let it = item(Priority::P3, created);
    let by = evaluate(&contract.with_state(Bundesland::BY), &it);
    let sn = evaluate(&contract.with_state(Bundesland::SN), &it);
    assert_eq!(
        clock(&by, ClockKind::FirstResponse).due(),
        berlin(2025, 10, 31, 11, 0)
    );
    assert_eq!(
        clock(&sn, ClockKind::FirstResponse).due(),
        berlin(2025, 11, 3, 11, 0)
    );
    // P1 runs 24x7 in both.
    assert_eq!(
        clock(
            &evaluate(
                &contract.with_state(Bundesland::SN),
                &item(Priority::P1, created)
            ),
            ClockKind::Resolution
        )
        .due(),
        berlin(2025, 10, 30, 20, 0)
    );
}

#[test]
fn the_states_own_holidays_move_the_due_time_and_others_do_not() {
    let contract = Contract::default();
    // (state with the holiday, state without, created the working day before at 16:00,
    // due there, due in the other: P3 first response, 4 business hours 08:00-17:00).
    let cases = [
        // Fronleichnam, Thursday 4 June 2026: Hessen yes, Berlin no.
        (
            Bundesland::HE,
            Bundesland::BE,
            (2026, 6, 3),
            (2026, 6, 5),
            (2026, 6, 4),
        ),
        // Internationaler Frauentag, Monday 8 March 2027: Berlin yes, Hamburg no.
        (
            Bundesland::BE,
            Bundesland::HH,
            (2027, 3, 5),
            (2027, 3, 9),
            (2027, 3, 8),
        ),
        // Weltkindertag, Monday 20 September 2027: Thüringen yes, Sachsen no.
        (
            Bundesland::TH,
            Bundesland::SN,
            (2027, 9, 17),
            (2027, 9, 21),
            (2027, 9, 20),
        ),
        // Allerheiligen, Monday 1 November 2027: Nordrhein-Westfalen yes, Niedersachsen no.
        (
            Bundesland::NW,
            Bundesland::NI,
            (2027, 10, 29),
            (2027, 11, 2),
            (2027, 11, 1),
        ),
        // Reformationstag, Friday 31 October 2025: Hamburg yes, Nordrhein-Westfalen no.
        (
            Bundesland::HH,
            Bundesland::NW,
            (2025, 10, 30),
            (2025, 11, 3),
            (2025, 10, 31),
        ),
        // Buß- und Bettag, Wednesday 18 November 2026: Sachsen yes, Bayern no.
        (
            Bundesland::SN,
            Bundesland::BY,
            (2026, 11, 17),
            (2026, 11, 19),
            (2026, 11, 18),
        ),
    ];
    for (with, without, (y, m, d), (wy, wm, wd), (oy, om, od)) in cases {
        let it = item(Priority::P3, berlin(y, m, d, 16, 0));
        let due = |state| {
            clock(
                &evaluate(&contract.with_state(state), &it),
                ClockKind::FirstResponse,
            )
            .due()
        };
        assert_eq!(due(with), berlin(wy, wm, wd, 11, 0), "{with:?}");
        assert_eq!(due(without), berlin(oy, om, od, 11, 0), "{without:?}");
    }
}

#[test]
fn pause_status_matching_is_case_insensitive() {
    let contract = Contract::default();
    assert!(contract.pauses_on("Waiting for Customer"));
    assert!(contract.pauses_on("WARTEN AUF KUNDE"));
    assert!(!contract.pauses_on("open"));
}

#[test]
fn due_label_in_german_and_english() {
    let tz = TimeZone::get("Europe/Berlin").unwrap();
    let due = berlin(2026, 3, 16, 9, 30); // Monday
    assert_eq!(due_label(due, &tz, true), "Mo 09:30");
    assert_eq!(due_label(due, &tz, false), "Mon 09:30");
    assert_eq!(due_label(due, &TimeZone::UTC, false), "Mon 08:30");
    let sunday = berlin(2026, 3, 22, 23, 5);
    assert_eq!(due_label(sunday, &tz, true), "So 23:05");
    assert_eq!(due_label(Timestamp::MAX, &tz, true), "∞");
}

#[test]
fn display_time_zone_follows_the_calendar() {
    let contract = Contract::default();
    assert_eq!(
        contract.display_time_zone().iana_name(),
        Some("Europe/Berlin")
    );
    let utc = contract.with_calendar(Calendar::business(BusinessCalendar::new(
        TimeZone::UTC,
        std::array::from_fn(|_| vec![Frame::hours(0, 24).unwrap()]),
    )));
    assert_eq!(utc.display_time_zone(), TimeZone::UTC);
}

#[test]
fn remaining_label_shows_seconds_only_below_one_hour() {
    let secs = SignedDuration::from_secs;
    assert_eq!(remaining_label(secs(2 * 86_400 + 3 * 3600 + 59)), "2d 03h");
    assert_eq!(remaining_label(secs(3 * 3600 + 5 * 60 + 30)), "3h 05m");
    assert_eq!(remaining_label(secs(42 * 60 + 7)), "42m 07s");
    assert_eq!(remaining_label(secs(0)), "0m 00s");
    assert_eq!(remaining_label(-secs(42 * 60)), "-42m 00s");
    assert_eq!(remaining_label(-secs(26 * 3600)), "-1d 02h");
}

#[test]
fn due_is_the_earliest_instant_the_target_is_used_up() {
    // One business hour from 09:00 is used up at 10:00, even when a pause starts right then.
    let created = berlin(2026, 3, 10, 9, 0);
    let mut it = item(Priority::P2, created);
    it.sla.past_pauses = Pauses::from(vec![pause(
        berlin(2026, 3, 10, 10, 0),
        berlin(2026, 3, 10, 12, 0),
    )]);
    let clocks = evaluate(&Contract::default(), &it);
    assert_eq!(
        clock(&clocks, ClockKind::FirstResponse).due(),
        berlin(2026, 3, 10, 10, 0)
    );
    // Created Friday 16:00, one business hour: due at Friday's closing, not Monday 08:00.
    let friday = evaluate(
        &Contract::default(),
        &item(Priority::P2, berlin(2026, 3, 13, 16, 0)),
    );
    assert_eq!(
        clock(&friday, ClockKind::FirstResponse).due(),
        berlin(2026, 3, 13, 17, 0)
    );
}

#[test]
fn nis2_clocks_run_on_calendar_time_from_awareness() {
    // Aware on a Friday evening: the early warning is due Saturday evening, no business hours.
    let aware = berlin(2026, 11, 27, 19, 0);
    let mut it = item(Priority::P3, berlin(2026, 11, 27, 18, 0));
    it.sla.nis2 = Some(Box::new(crate::model::Nis2Facts {
        aware_at: aware,
        early_warning_at: None,
        notification_at: None,
        final_report_at: None,
    }));
    let clocks = evaluate(&Contract::default(), &it);
    let early = clock(&clocks, ClockKind::Nis2EarlyWarning).clone();
    assert_eq!(early.due(), berlin(2026, 11, 28, 19, 0));
    let notify = clock(&clocks, ClockKind::Nis2Notification).clone();
    assert_eq!(notify.due(), berlin(2026, 11, 30, 19, 0));
    // Not notified yet: the final report is one month after the notification's due time.
    let report = clock(&clocks, ClockKind::Nis2FinalReport).clone();
    assert_eq!(report.due(), berlin(2026, 12, 30, 19, 0));
    // The early warning is the nearest clock: it decides the queue position.
    assert_eq!(
        clocks.nearest_unmet().unwrap().kind,
        ClockKind::Nis2EarlyWarning
    );
    assert_eq!(
        early.level(berlin(2026, 11, 28, 13, 0)),
        Level::Warning(0),
        "75 % used"
    );
    assert_eq!(early.level(berlin(2026, 11, 28, 19, 30)), Level::Breached);

    // Steps done: met; the final report counts from the real notification.
    let facts = it.sla.nis2.as_mut().unwrap();
    facts.early_warning_at = Some(berlin(2026, 11, 28, 9, 0));
    facts.notification_at = Some(berlin(2026, 11, 29, 10, 0));
    let clocks = evaluate(&Contract::default(), &it);
    assert_eq!(
        clock(&clocks, ClockKind::Nis2EarlyWarning).level(berlin(2026, 11, 29, 0, 0)),
        Level::Met
    );
    assert_eq!(
        clock(&clocks, ClockKind::Nis2FinalReport).due(),
        berlin(2026, 12, 29, 10, 0)
    );
}
