//! State tests: actions and source events applied to the application state, no terminal.

mod common;

use common::{frozen_start, primed_demo};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::SignedDuration;
use nightdesk::action::{Action, ActionId};
use nightdesk::actions::session::{Exit, Refusal, SessionOutcome, SessionResult};
use nightdesk::app::state::Mode;
use nightdesk::app::update::Effect;
use nightdesk::model::{Kind, SourceId, StatusCategory};
use nightdesk::setup::{self, Session};
use nightdesk::sources::runner::{SourceCommand, SourceHandle};
use nightdesk::sources::{AsSeen, Fetched, SourceError, SourceEvent, WriteBack};

fn demo() -> (tempfile::TempDir, Session) {
    let home = tempfile::tempdir().unwrap();
    let s = primed_demo(home.path(), 42, frozen_start(), "default");
    (home, s)
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn refetch(s: &mut Session, minutes: i64) {
    let at = frozen_start() + SignedDuration::from_mins(minutes);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(setup::fetch_once(&mut s.app, &mut s.sources, at));
}

#[test]
fn the_queue_is_sorted_by_nearest_due_time() {
    let (_h, s) = demo();
    let app = &s.app;
    assert!(app.view.len() >= 200);
    let keys: Vec<_> = app
        .view
        .iter()
        .map(|&id| app.queue.sort_key(id).unwrap())
        .collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "not sorted by SLA");
}

#[test]
fn selection_stays_on_the_same_item_across_refreshes() {
    let (_h, mut s) = demo();
    for _ in 0..30 {
        s.app.apply(Action::new(ActionId::SelectNext));
    }
    let chosen = s.app.selected.clone().unwrap();
    let screen_row = s.app.cursor - s.app.offset;
    refetch(&mut s, 5);
    refetch(&mut s, 10);
    assert!(
        s.app.queue.id_of(&chosen).is_some(),
        "seed 42 keeps this item"
    );
    assert_eq!(s.app.selected.as_ref(), Some(&chosen));
    let id = s.app.selected_id().unwrap();
    assert_eq!(s.app.queue.entry(id).unwrap().item.key, chosen);
    assert_eq!(s.app.cursor - s.app.offset, screen_row, "same screen row");
}

#[test]
fn typing_a_filter_narrows_and_escape_restores() {
    let (_h, mut s) = demo();
    let all = s.app.view.len();
    s.app.on_key(key('/'));
    assert_eq!(s.app.mode, Mode::Filter);
    for c in "k:backup".chars() {
        s.app.on_key(key(c));
    }
    assert!(s.app.view.len() < all && !s.app.view.is_empty());
    assert!(
        s.app
            .view
            .iter()
            .all(|&id| s.app.queue.entry(id).unwrap().item.kind == Kind::Backup)
    );
    s.app
        .on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(s.app.mode, Mode::Queue);
    assert_eq!(s.app.view.len(), all);
}

#[test]
fn a_bad_filter_term_keeps_the_last_good_result() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter p:1".parse().unwrap());
    let p1 = s.app.view.clone();
    s.app.apply("set-filter p:9".parse().unwrap());
    assert!(s.app.filter_error.is_some());
    assert_eq!(s.app.view, p1);
}

#[test]
fn filter_and_command_line_errors_speak_the_users_language() {
    let (_h, mut s) = demo();
    s.app.lang = nightdesk::i18n::Lang::De;
    s.app.apply("set-filter p:9".parse().unwrap());
    let err = s.app.filter_error.clone().unwrap();
    assert_eq!(err, "p:9: Priorität muss 1 bis 4 sein");
    s.app.lang = nightdesk::i18n::Lang::En;
    s.app.apply("set-filter k:frob".parse().unwrap());
    let err = s.app.filter_error.clone().unwrap();
    assert_eq!(err, "k:frob: kind must be ticket, alert or backup");
    s.app.lang = nightdesk::i18n::Lang::De;
    s.app.on_key(key(':'));
    type_str(&mut s, "quit now");
    s.app
        .on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let flash = s.app.flash.clone().unwrap();
    assert!(flash.error);
    assert_eq!(flash.text, "Aktion `quit` nimmt keine Argumente");
}

#[test]
fn key_sequences_wait_for_their_second_key() {
    let (_h, mut s) = demo();
    s.app.apply(Action::new(ActionId::SelectLast));
    assert!(s.app.cursor > 0);
    s.app.on_key(key('g'));
    assert_eq!(s.app.pending.len(), 1);
    assert!(
        !s.app.continuations.is_empty(),
        "a hint of what g can become"
    );
    s.app.on_key(key('g'));
    assert!(s.app.pending.is_empty());
    assert_eq!(s.app.cursor, 0);
}

#[test]
fn command_line_completes_and_runs_actions() {
    let (_h, mut s) = demo();
    s.app.on_key(key(':'));
    for c in "toggle-d".chars() {
        s.app.on_key(key(c));
    }
    assert_eq!(s.app.completions, vec!["toggle-detail"]);
    s.app
        .on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    assert_eq!(s.app.command.text(), "toggle-detail");
    s.app
        .on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert!(s.app.detail_open);
    assert_eq!(s.app.mode, Mode::Queue);
}

#[test]
fn ack_asks_the_items_source_with_my_name() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:alert s:new".parse().unwrap());
    let item = s.app.selected_item().unwrap().key.clone();
    assert!(s.app.on_key(key('a')).is_empty(), "a form opens first");
    assert_eq!(s.app.mode, Mode::Prompt);
    for c in "on it".chars() {
        s.app.on_key(key(c));
    }
    let effects = s.app.on_key(enter());
    match effects.as_slice() {
        [
            Effect::WriteBack {
                source,
                item: i,
                action:
                    WriteBack::Ack {
                        author,
                        comment,
                        minutes,
                    },
                ..
            },
        ] => {
            assert_eq!(source, &item.source);
            assert_eq!(i, &item);
            assert_eq!(author, &s.app.user);
            assert_eq!(comment, "on it");
            assert_eq!(*minutes, Some(120));
        }
        other => panic!("expected one ack write-back, got {other:?}"),
    }
    assert_eq!(s.app.mode, Mode::Queue);
}

fn enter() -> KeyEvent {
    KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)
}

fn esc() -> KeyEvent {
    KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)
}

fn type_str(s: &mut Session, text: &str) {
    for c in text.chars() {
        s.app.on_key(key(c));
    }
}

#[test]
fn a_refused_ack_keeps_the_typed_comment_for_the_next_try() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:alert s:new".parse().unwrap());
    let item = s.app.selected_item().unwrap().key.clone();
    s.app.on_key(key('a'));
    type_str(&mut s, "router reboot planned");
    let effects = s.app.on_key(enter());
    assert_eq!(effects.len(), 1);
    answer(
        &mut s,
        &item,
        "ack",
        Err(SourceError::Http {
            status: 500,
            message: "internal error".into(),
        }),
    );
    let flash = s.app.flash.clone().unwrap();
    assert!(
        flash.error && flash.text.contains("internal error"),
        "{flash:?}"
    );
    // The same key brings the form back with the text.
    s.app.on_key(key('a'));
    assert_eq!(s.app.mode, Mode::Prompt);
    assert_eq!(
        s.app.form.as_ref().unwrap().fields[1].text(),
        "router reboot planned"
    );
}

#[test]
fn esc_closes_the_form_and_keeps_a_draft() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:alert s:new".parse().unwrap());
    s.app.on_key(key('a'));
    type_str(&mut s, "half a thought");
    assert!(s.app.on_key(esc()).is_empty());
    assert_eq!(s.app.mode, Mode::Queue);
    s.app.on_key(key('a'));
    assert_eq!(
        s.app.form.as_ref().unwrap().fields[1].text(),
        "half a thought"
    );
}

#[test]
fn a_bad_duration_is_shown_in_the_form_and_nothing_is_sent() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:alert s:new".parse().unwrap());
    s.app.on_key(key('a'));
    s.app
        .on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    type_str(&mut s, "xyz");
    assert!(s.app.on_key(enter()).is_empty());
    assert_eq!(s.app.mode, Mode::Prompt);
    let error = s.app.form.as_ref().unwrap().error.clone().unwrap();
    assert!(error.contains("2hxyz"), "{error}");
}

#[test]
fn an_action_the_source_cannot_do_is_refused_before_sending() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:alert".parse().unwrap());
    let source = s.app.selected_item().unwrap().key.source.clone();
    assert!(
        s.app.on_key(key('R')).is_empty(),
        "demo monitoring has no recheck"
    );
    let flash = s.app.flash.clone().unwrap();
    assert!(flash.error);
    assert!(
        flash.text.contains("recheck") && flash.text.contains(source.as_str()),
        "{}",
        flash.text
    );
}

#[test]
fn a_dead_source_leaves_stale_items_and_an_outage_item() {
    let (_h, mut s) = demo();
    let blind = SourceId::new("mon-swn");
    let before = s
        .app
        .queue
        .iter()
        .filter(|(_, e)| e.item.key.source == blind)
        .count();
    assert!(before > 0);
    refetch(&mut s, 5); // the demo's swn monitoring is down from +3 to +15 min
    let stale = s
        .app
        .queue
        .iter()
        .filter(|(_, e)| e.item.key.source == blind && s.app.queue.is_stale(e))
        .count();
    assert_eq!(stale, before, "items of the dead source stay, marked stale");
    let outage = s
        .app
        .queue
        .iter()
        .find(|(_, e)| e.item.key.source.as_str() == "nightdesk")
        .map(|(_, e)| e.item.clone())
        .expect("an outage item");
    assert_eq!(outage.tenant.as_str(), "swn", "the blind tenant");
    assert!(outage.title.contains("blind since"), "{}", outage.title);
    assert!(outage.title.contains("mon-swn"), "{}", outage.title);
    assert_eq!(outage.status.category, StatusCategory::New);
    refetch(&mut s, 16);
    assert!(
        s.app
            .queue
            .iter()
            .all(|(_, e)| e.item.key.source.as_str() != "nightdesk"),
        "the outage item goes when the source answers again"
    );
    assert!(s.app.queue.iter().all(|(_, e)| !s.app.queue.is_stale(e)));
}

#[test]
fn the_outage_item_shows_under_its_tenant_filter() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter t:swn".parse().unwrap());
    let before = s.app.view.len();
    refetch(&mut s, 5);
    let titles: Vec<String> = s
        .app
        .view
        .iter()
        .map(|&id| s.app.queue.entry(id).unwrap().item.title.to_string())
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("blind since")),
        "{before} -> {titles:?}"
    );
}

fn ticket_selected(s: &mut Session) -> nightdesk::model::ItemKey {
    s.app.apply("set-filter k:ticket s:new".parse().unwrap());
    s.app.selected_item().expect("a new ticket").key.clone()
}

/// The source's answer to the oldest write-back of `action` in flight for `item`.
fn answer(
    s: &mut Session,
    item: &nightdesk::model::ItemKey,
    action: &'static str,
    result: Result<(), SourceError>,
) {
    let seq = s
        .app
        .in_flight
        .iter()
        .filter(|(_, p)| p.item == *item && p.action.name() == action)
        .map(|(seq, _)| *seq)
        .min()
        .unwrap_or_else(|| panic!("no {action} in flight for {item:?}"));
    answer_seq(s, seq, result);
}

/// The source's answer to the write-back sent as `seq`.
fn answer_seq(s: &mut Session, seq: u64, result: Result<(), SourceError>) {
    let pending = s.app.in_flight[&seq].clone();
    s.app.on_source_event(SourceEvent::WriteBackDone {
        seq,
        source: pending.item.source.clone(),
        item: pending.item.clone(),
        action: pending.action.name(),
        result,
    });
}

/// The numbers and texts of the notes among `effects`.
fn notes_sent(effects: &[Effect]) -> Vec<(u64, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::WriteBack {
                seq,
                action: WriteBack::Note { text, .. },
                ..
            } => Some((*seq, text.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn assign_completes_over_the_sources_agents_and_is_audited() {
    let (_h, mut s) = demo();
    // The first read delivers the PSA's agents.
    s.app.on_source_event(SourceEvent::Vocabulary {
        source: SourceId::new("psa"),
        vocabulary: nightdesk::sources::Vocabulary {
            agents: vec![
                "Anna Schulz".into(),
                "Jonas Becker".into(),
                "Lena Hofmann".into(),
            ],
            statuses: vec![],
        },
    });
    let item = ticket_selected(&mut s);
    assert_eq!(item.source.as_str(), "psa");
    s.app.on_key(key('@'));
    assert_eq!(s.app.mode, Mode::Prompt);
    type_str(&mut s, "hof");
    s.app
        .on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    assert_eq!(
        s.app.form.as_ref().unwrap().fields[0].text(),
        "Lena Hofmann"
    );
    let effects = s.app.on_key(enter());
    assert!(
        matches!(effects.as_slice(), [Effect::WriteBack { action: WriteBack::Assign { agent }, .. }] if agent == "Lena Hofmann"),
        "{effects:?}"
    );
    answer(&mut s, &item, "assign", Ok(()));
    let audit = s.app.take_outbox();
    match audit.as_slice() {
        [Effect::Audit(entry)] => {
            assert_eq!(entry.action, "assign");
            assert_eq!(entry.params["agent"], "Lena Hofmann");
            assert_eq!(entry.item, &*item.external_id);
            assert_eq!(entry.user, s.app.user);
            assert_eq!(entry.outcome, nightdesk::store::AuditOutcome::Ok);
            assert!(!entry.tenant.is_empty());
        }
        other => panic!("one audit entry expected, got {other:?}"),
    }
}

#[test]
fn set_status_completes_over_the_sources_statuses_and_a_refusal_keeps_the_choice() {
    let (_h, mut s) = demo();
    s.app.on_source_event(SourceEvent::Vocabulary {
        source: SourceId::new("psa"),
        vocabulary: nightdesk::sources::Vocabulary {
            agents: vec![],
            statuses: vec![
                "New".into(),
                "In Progress".into(),
                "Waiting for Customer".into(),
            ],
        },
    });
    let item = ticket_selected(&mut s);
    s.app
        .on_key(KeyEvent::new(KeyCode::Char('C'), KeyModifiers::SHIFT));
    assert_eq!(s.app.mode, Mode::Prompt);
    type_str(&mut s, "wait");
    s.app
        .on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    assert_eq!(
        s.app.form.as_ref().unwrap().fields[0].text(),
        "Waiting for Customer"
    );
    let effects = s.app.on_key(enter());
    assert!(
        matches!(effects.as_slice(), [Effect::WriteBack { action: WriteBack::SetStatus { status }, .. }] if status == "Waiting for Customer"),
        "{effects:?}"
    );
    answer(
        &mut s,
        &item,
        "set-status",
        Err(SourceError::Refused(
            "the workflow does not allow it".into(),
        )),
    );
    let flash = s.app.flash.clone().unwrap();
    assert!(flash.error && flash.text.contains("workflow"), "{flash:?}");
    // The same key again: the form comes back with the choice, nothing to type again.
    s.app
        .on_key(KeyEvent::new(KeyCode::Char('C'), KeyModifiers::SHIFT));
    assert_eq!(
        s.app.form.as_ref().unwrap().fields[0].text(),
        "Waiting for Customer"
    );
}

#[test]
fn a_note_has_several_lines_and_is_sent_with_alt_enter() {
    let (_h, mut s) = demo();
    ticket_selected(&mut s);
    s.app.on_key(key('n'));
    type_str(&mut s, "called Herr Weber");
    s.app.on_key(enter());
    type_str(&mut s, "router reboot at 06:00");
    assert_eq!(
        s.app.mode,
        Mode::Prompt,
        "enter starts a new line in a note"
    );
    let effects = s
        .app
        .on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
    assert!(
        matches!(effects.as_slice(), [Effect::WriteBack { action: WriteBack::Note { text, .. }, .. }]
            if text == "called Herr Weber\nrouter reboot at 06:00"),
        "{effects:?}"
    );
}

fn ctrl_d() -> KeyEvent {
    KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)
}

/// Writes a note to the selected item and sends it; its number and text.
fn send_note(s: &mut Session, text: &str) -> (u64, String) {
    s.app.on_key(key('n'));
    assert_eq!(s.app.mode, Mode::Prompt);
    assert_eq!(
        s.app.form.as_ref().unwrap().fields[0].text(),
        "",
        "no draft: the form is empty"
    );
    type_str(s, text);
    match notes_sent(&s.app.on_key(ctrl_d())).as_slice() {
        [note] => note.clone(),
        other => panic!("one note expected, got {other:?}"),
    }
}

#[test]
fn two_notes_in_flight_to_one_item_are_answered_each_with_its_own_text() {
    let (_h, mut s) = demo();
    ticket_selected(&mut s);
    let first = send_note(&mut s, "called Herr Weber, no answer");
    let second = send_note(&mut s, "router rebooted at 06:00");
    assert_ne!(first.0, second.0, "each write-back has its own number");
    assert_eq!(s.app.in_flight.len(), 2, "both wait for their answer");
    s.app.take_outbox();

    // The first fails after the second was sent; the second goes through.
    answer_seq(
        &mut s,
        first.0,
        Err(SourceError::Http {
            status: 503,
            message: "Service Unavailable".into(),
        }),
    );
    answer_seq(&mut s, second.0, Ok(()));
    assert!(s.app.in_flight.is_empty());
    let audited: Vec<(String, bool)> = s
        .app
        .take_outbox()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Audit(entry) => Some((
                entry.params["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                entry.outcome == nightdesk::store::AuditOutcome::Ok,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        audited,
        [(first.1.clone(), false), (second.1.clone(), true)],
        "each answer is audited with its own text"
    );

    // The note form brings back the failed first text, not the second that was added.
    s.app.on_key(key('n'));
    let form = s.app.form.as_ref().unwrap();
    assert_eq!(form.fields[0].text(), first.1);
    assert!(form.error.as_deref().unwrap().contains("503"), "{form:?}");
}

#[test]
fn two_failed_notes_to_one_item_come_back_as_one_draft_with_both_texts() {
    let (_h, mut s) = demo();
    ticket_selected(&mut s);
    let first = send_note(&mut s, "disk replaced");
    let second = send_note(&mut s, "RAID rebuilding");
    let down = || Err(SourceError::Unreachable("connection refused".into()));
    answer_seq(&mut s, first.0, down());
    answer_seq(&mut s, second.0, down());
    s.app.on_key(key('n'));
    let form = s.app.form.as_ref().unwrap();
    assert_eq!(form.fields[0].text(), "disk replaced\n\nRAID rebuilding");
    assert_eq!(form.fields[0].lines.len(), 3, "lines of the editor");
}

/// Hands the write-backs among `effects` to the tasks in `handles`, as the event loop does.
fn dispatch(
    s: &mut Session,
    handles: &std::collections::HashMap<SourceId, SourceHandle>,
    effects: Vec<Effect>,
) {
    for effect in effects {
        if let Effect::WriteBack {
            seq,
            source,
            item,
            action,
            seen,
        } = effect
        {
            let command = SourceCommand::WriteBack {
                seq,
                item,
                action,
                seen,
            };
            nightdesk::app::run::dispatch(&mut s.app, handles, &source, command);
        }
    }
}

/// Types a note to the selected item (after a draft's text, `\n` as enter) and sends it;
/// its effects, not yet carried out.
fn note_effects(s: &mut Session, text: &str) -> Vec<Effect> {
    s.app.on_key(key('n'));
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            s.app.on_key(enter());
        }
        type_str(s, line);
    }
    let effects = s.app.on_key(ctrl_d());
    assert_eq!(notes_sent(&effects).len(), 1, "{effects:?}");
    effects
}

/// The text of the note form when it opens again (and the error it shows), then closed.
fn note_draft(s: &mut Session) -> (String, String) {
    s.app.on_key(key('n'));
    let form = s.app.form.as_ref().expect("the note form");
    let draft = (
        form.fields[0].text(),
        form.error.clone().unwrap_or_default(),
    );
    s.app.on_key(esc());
    draft
}

#[test]
fn a_write_back_to_a_source_without_a_running_task_fails_and_keeps_the_text() {
    let (_h, mut s) = demo();
    let item = ticket_selected(&mut s);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();

    // The source has no task at all.
    let effects = note_effects(&mut s, "called Herr Weber");
    s.app.take_outbox();
    dispatch(&mut s, &std::collections::HashMap::new(), effects);
    assert!(s.app.in_flight.is_empty(), "answered, not left waiting");
    let flash = s.app.flash.clone().unwrap();
    assert!(
        flash.error && flash.text.contains("not running"),
        "{flash:?}"
    );
    assert!(matches!(
        s.app.take_outbox().as_slice(),
        [Effect::Audit(e)] if matches!(&e.outcome, nightdesk::store::AuditOutcome::Failed(m) if m.contains("not running"))
    ));
    let (text, error) = note_draft(&mut s);
    assert_eq!(text, "called Herr Weber");
    assert!(error.contains("not running"), "{error}");

    // Its task has ended: the command cannot be sent.
    let (commands, receiver) = tokio::sync::mpsc::unbounded_channel();
    drop(receiver);
    let task = runtime.spawn(async {});
    let dead =
        std::collections::HashMap::from([(item.source.clone(), SourceHandle { commands, task })]);
    let effects = note_effects(&mut s, "\nrouter rebooted");
    dispatch(&mut s, &dead, effects);
    assert!(s.app.in_flight.is_empty());
    assert_eq!(
        note_draft(&mut s).0,
        "called Herr Weber\nrouter rebooted",
        "the draft came back, was added to and is back again"
    );

    // Its task takes the command and ends without answering (a connector that panics).
    let (commands, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let task = runtime.spawn(async move {
        let _ = receiver.recv().await;
    });
    let dying =
        std::collections::HashMap::from([(item.source.clone(), SourceHandle { commands, task })]);
    let effects = note_effects(&mut s, "\nthird line");
    dispatch(&mut s, &dying, effects);
    nightdesk::app::run::answer_orphaned(&mut s.app, &dying);
    assert_eq!(s.app.in_flight.len(), 1, "sent, its task still running");
    runtime.block_on(async {
        while !dying[&item.source].task.is_finished() {
            tokio::task::yield_now().await;
        }
    });
    nightdesk::app::run::answer_orphaned(&mut s.app, &dying);
    assert!(s.app.in_flight.is_empty(), "answered once the task ended");
    assert_eq!(
        note_draft(&mut s).0,
        "called Herr Weber\nrouter rebooted\nthird line"
    );
}

#[test]
fn an_edit_conflict_reopens_the_form_with_what_changed_and_the_text() {
    let (_h, mut s) = demo();
    let item = ticket_selected(&mut s);
    s.app.on_key(key('n'));
    type_str(&mut s, "my long analysis");
    s.app
        .on_key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
    assert_eq!(s.app.mode, Mode::Queue);
    answer(
        &mut s,
        &item,
        "note",
        Err(SourceError::Conflict(
            "Owner changed from Nobody to alice".into(),
        )),
    );
    assert_eq!(s.app.mode, Mode::Prompt, "the form is back");
    let form = s.app.form.as_ref().unwrap();
    assert_eq!(form.fields[0].text(), "my long analysis");
    assert!(
        form.error
            .as_deref()
            .unwrap()
            .contains("Owner changed from Nobody to alice")
    );
    // The refusal is in the audit log too.
    assert!(matches!(
        s.app.take_outbox().as_slice(),
        [Effect::Audit(e)] if matches!(&e.outcome, nightdesk::store::AuditOutcome::Failed(m) if m.contains("changed meanwhile"))
    ));
}

/// A colleague's change to `item` as the source's next read delivers it: owner `owner`,
/// status `status` (unchanged when `None`), updated a minute later.
fn colleague_changes(
    s: &mut Session,
    item: &nightdesk::model::ItemKey,
    owner: &str,
    status: Option<(StatusCategory, &str)>,
) -> nightdesk::model::Item {
    let mut changed = s.app.queue.get(item).expect("in the queue").item.clone();
    changed.assignee = Some(owner.into());
    if let Some((category, label)) = status {
        changed.status = nightdesk::model::Status::new(category, label);
    }
    changed.updated =
        nightdesk::model::Moment::new(changed.updated.timestamp() + SignedDuration::from_mins(1));
    s.app.on_source_event(SourceEvent::Data {
        source: item.source.clone(),
        at: s.app.now,
        fetched: Fetched::Delta {
            upserts: vec![changed.clone()],
            removed: Vec::new(),
        },
    });
    assert_eq!(
        s.app.queue.get(item).unwrap().item.assignee.as_deref(),
        Some(owner),
        "the queue shows the change"
    );
    changed
}

/// The one write-back among `effects`: what it asks for and the item as it was seen.
fn sent(effects: &[Effect]) -> (u64, WriteBack, Option<AsSeen>) {
    match effects {
        [
            Effect::WriteBack {
                seq, action, seen, ..
            },
        ] => (*seq, action.clone(), seen.clone()),
        other => panic!("one write-back expected, got {other:?}"),
    }
}

#[test]
fn a_write_back_carries_the_item_as_shown_when_the_form_opened_not_as_read_since() {
    let (_h, mut s) = demo();
    let item = ticket_selected(&mut s);
    let shown = AsSeen::of(s.app.selected_item().unwrap());
    s.app.on_key(key('C'));
    assert_eq!(s.app.mode, Mode::Prompt);
    // While the form is open, the next read shows that a colleague took the ticket.
    let taken = colleague_changes(&mut s, &item, "Jonas Becker", None);
    type_str(&mut s, "stalled");
    let (_, action, seen) = sent(&s.app.on_key(enter()));
    assert_eq!(
        action,
        WriteBack::SetStatus {
            status: "stalled".into()
        }
    );
    assert_eq!(
        seen.as_ref(),
        Some(&shown),
        "what the user saw, not the read that came in while the form was open"
    );
    assert!(!seen.unwrap().same_as(&AsSeen::of(&taken)));

    // A key without a form: the item as it is shown when the key is pressed.
    assert_eq!(s.app.selected.as_ref(), Some(&item));
    let (_, action, seen) = sent(&s.app.on_key(key('t')));
    assert_eq!(
        action,
        WriteBack::Assign {
            agent: s.app.user.clone()
        }
    );
    assert_eq!(seen, Some(AsSeen::of(&taken)));
}

/// A conflict as the RT connector reports it (`describe` in src/sources/rt/conflict.rs).
fn rt_conflict(item: &nightdesk::model::ItemKey, by: &str, changes: &str) -> SourceError {
    SourceError::Conflict(format!(
        "ticket {} changed by {by} at 2026-11-27T01:31:00Z: {changes}",
        item.external_id
    ))
}

#[test]
fn a_conflict_on_assign_or_status_reopens_the_form_with_what_changed_and_the_typed_text() {
    let (_h, mut s) = demo();
    let item = ticket_selected(&mut s);
    let shown = AsSeen::of(s.app.selected_item().unwrap());

    // Assign: the form opens, a colleague takes the ticket and opens it meanwhile (the
    // next read shows it), the user sends what they typed.
    s.app.on_key(key('@'));
    colleague_changes(
        &mut s,
        &item,
        "Jonas Becker",
        Some((StatusCategory::Acknowledged, "open")),
    );
    type_str(&mut s, "Lena Hofmann");
    let (seq, _, seen) = sent(&s.app.on_key(enter()));
    assert_eq!(seen.as_ref(), Some(&shown));
    assert_eq!(s.app.mode, Mode::Queue);
    s.app.take_outbox();
    let changes = "Owner Nobody → Jonas Becker; Status new → open";
    answer_seq(
        &mut s,
        seq,
        Err(rt_conflict(&item, "Jonas Becker", changes)),
    );
    assert_eq!(s.app.mode, Mode::Prompt, "the form is back");
    let form = s.app.form.as_ref().unwrap();
    assert_eq!(form.kind, nightdesk::app::form::FormKind::Assign);
    assert_eq!(form.targets, std::slice::from_ref(&item));
    assert_eq!(form.fields[0].text(), "Lena Hofmann", "the typed text");
    let error = form.error.as_deref().unwrap();
    assert!(
        error.contains("changed meanwhile by someone else")
            && error.contains(changes)
            && error.contains("by Jonas Becker"),
        "what changed, and who: {error}"
    );
    let flash = s.app.flash.clone().unwrap();
    assert!(flash.error && flash.text.contains(changes), "{flash:?}");
    assert!(matches!(
        s.app.take_outbox().as_slice(),
        [Effect::Audit(e)] if e.action == "assign"
            && e.params["agent"] == "Lena Hofmann"
            && matches!(&e.outcome, nightdesk::store::AuditOutcome::Failed(m) if m.contains(changes))
    ));
    // Having read it, the user sends it again: the same text, and still the item as they
    // saw it before, which the source has now told them about.
    let (_, action, seen) = sent(&s.app.on_key(enter()));
    assert_eq!(
        action,
        WriteBack::Assign {
            agent: "Lena Hofmann".into()
        }
    );
    assert_eq!(seen.as_ref(), Some(&shown));
    answer(&mut s, &item, "assign", Ok(()));
    assert!(s.app.in_flight.is_empty());

    // Status, while another form is open: the answer keeps it as a draft instead.
    s.app.selected = Some(item.clone());
    s.app.apply("set-filter k:ticket".parse().unwrap());
    assert_eq!(s.app.selected_item().unwrap().key, item, "open now");
    let shown = AsSeen::of(&s.app.queue.get(&item).unwrap().item);
    s.app.on_key(key('C'));
    type_str(&mut s, "resolved");
    let (seq, _, seen) = sent(&s.app.on_key(enter()));
    assert_eq!(seen.as_ref(), Some(&shown));
    s.app.on_key(key('n'));
    type_str(&mut s, "half a note");
    let changes = "Status open → stalled; comment by Jonas Becker";
    answer_seq(
        &mut s,
        seq,
        Err(rt_conflict(&item, "Jonas Becker", changes)),
    );
    assert_eq!(
        s.app.form.as_ref().unwrap().fields[0].text(),
        "half a note",
        "the open form stays as it is"
    );
    s.app.on_key(esc());
    s.app.on_key(key('C'));
    let form = s.app.form.as_ref().unwrap();
    assert_eq!(form.fields[0].text(), "resolved", "the typed status");
    assert!(form.error.as_deref().unwrap().contains(changes), "{form:?}");
}

#[test]
fn a_restore_test_is_recorded_for_a_backup_finding_only() {
    let (_h, mut s) = demo();
    ticket_selected(&mut s);
    assert!(s.app.on_key(key('B')).is_empty());
    assert_eq!(s.app.mode, Mode::Queue, "a ticket has no restore test");
    assert!(s.app.flash.as_ref().unwrap().error);
    s.app.apply("set-filter k:backup".parse().unwrap());
    let item = s.app.selected_item().unwrap().clone();
    s.app.on_key(key('B'));
    assert_eq!(s.app.mode, Mode::Prompt);
    type_str(&mut s, "restored to test VM, checked logins");
    let effects = s.app.on_key(enter());
    let record = effects
        .iter()
        .find_map(|e| match e {
            Effect::RecordRestoreTest(r) => Some(r.clone()),
            _ => None,
        })
        .expect("a restore-test record");
    assert_eq!(record.source, item.key.source.as_str());
    assert_eq!(record.tenant, item.tenant.as_str());
    assert_eq!(record.note, "restored to test VM, checked logins");
    assert_eq!(record.done_on.to_string(), "2026-11-27", "today in Berlin");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Audit(a) if a.action == "restore-test-done"))
    );
}

#[test]
fn marked_items_are_acknowledged_together_after_one_form() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:alert s:new".parse().unwrap());
    for _ in 0..3 {
        s.app.on_key(key(' '));
    }
    assert_eq!(s.app.marked.len(), 3);
    s.app.on_key(key('a'));
    let form = s.app.form.as_ref().unwrap();
    assert_eq!(form.targets.len(), 3);
    type_str(&mut s, "one comment for all");
    let effects = s.app.on_key(enter());
    assert_eq!(effects.len(), 3, "one write-back per marked item");
    assert!(effects.iter().all(|e| matches!(e, Effect::WriteBack { action: WriteBack::Ack { comment, .. }, .. } if comment == "one comment for all")));
    assert!(s.app.marked.is_empty(), "marks are used up by the batch");
}

#[test]
fn one_failure_in_a_batch_stays_on_the_status_line_after_later_successes() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:alert s:new".parse().unwrap());
    for _ in 0..3 {
        s.app.on_key(key(' '));
    }
    s.app.on_key(key('a'));
    let effects = s.app.on_key(enter());
    let items: Vec<_> = effects
        .iter()
        .map(|e| match e {
            Effect::WriteBack { item, .. } => item.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(items.len(), 3);
    answer(&mut s, &items[0], "ack", Ok(()));
    let flash = s.app.flash.clone().unwrap();
    assert_eq!(flash.text, "ack: 1 of 3 done");
    assert!(!flash.error);
    let refusal = SourceError::Refused("silence matchers invalid".into());
    answer(&mut s, &items[1], "ack", Err(refusal));
    answer(&mut s, &items[2], "ack", Ok(()));
    let kind = nightdesk::app::form::FormKind::Ack;
    let draft = &s.app.drafts[&(kind, items[1].clone())];
    assert_eq!(
        draft.targets,
        [items[1].clone()],
        "the refused item's draft is for it alone: sending it again acks no other twice"
    );
    let flash = s.app.flash.clone().unwrap();
    assert!(
        flash.error,
        "the failure is not overwritten: {}",
        flash.text
    );
    assert!(
        flash
            .text
            .starts_with("ack: 2 of 3 done, 1 failed (first: ")
            && flash.text.contains(&*items[1].external_id)
            && flash.text.contains("silence matchers invalid"),
        "{}",
        flash.text
    );
    assert!(s.app.batches.is_empty(), "the batch is over");
    // A single ack afterwards is told on its own again.
    s.app.on_key(key('a'));
    let effects = s.app.on_key(enter());
    let [Effect::WriteBack { item, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    answer(&mut s, item, "ack", Ok(()));
    assert_eq!(s.app.flash.clone().unwrap().text, "ack: done");
}

#[test]
fn a_batch_skips_what_a_source_cannot_do_and_asks_first() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:ticket s:new".parse().unwrap());
    s.app.on_key(key(' '));
    s.app.on_key(key(' '));
    s.app.apply("set-filter k:alert s:new".parse().unwrap());
    s.app.on_key(key(' '));
    assert_eq!(s.app.marked.len(), 3);
    // Take: the PSA can assign, the monitoring cannot; two tickets remain, confirmed first.
    assert!(s.app.on_key(key('t')).is_empty());
    assert_eq!(s.app.mode, Mode::Prompt);
    let form = s.app.form.as_ref().unwrap();
    assert_eq!(form.targets.len(), 2);
    assert!(form.targets.iter().all(|k| k.source.as_str() == "psa"));
    let flash = s.app.flash.clone().unwrap();
    assert!(flash.text.contains("1 of 3"), "{}", flash.text);
    let effects = s.app.on_key(enter());
    assert_eq!(effects.len(), 2);
    assert!(effects.iter().all(|e| matches!(e, Effect::WriteBack { action: WriteBack::Assign { agent }, .. } if agent == &s.app.user)));
}

#[test]
fn the_mine_view_shows_my_items_only() {
    let (_h, mut s) = demo();
    let me = s
        .app
        .queue
        .iter()
        .find_map(|(_, e)| e.item.assignee.clone())
        .expect("the demo has assigned items")
        .to_string();
    s.app.user = me.clone();
    s.app.on_key(key('M'));
    assert_eq!(s.app.filter.text(), "a:me");
    assert!(!s.app.view.is_empty());
    assert!(
        s.app
            .view
            .iter()
            .all(|&id| s.app.entry(id).unwrap().item.assignee.as_deref() == Some(me.as_str()))
    );
    let mine = s.app.view.len();
    s.app.apply("view nosuchview".parse().unwrap());
    assert!(
        s.app.flash.as_ref().unwrap().text.contains("mine"),
        "lists the known views"
    );
    assert_eq!(s.app.view.len(), mine, "an unknown view changes nothing");
}

fn store_jobs(effects: &[Effect]) -> Vec<nightdesk::store::Job> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Store(j) => Some(j.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_snoozed_item_is_hidden_until_its_time_and_kept_in_the_store() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:alert s:new".parse().unwrap());
    let before = s.app.view.len();
    let target = s.app.selected_item().unwrap().key.clone();
    s.app.on_key(key('z'));
    assert_eq!(s.app.mode, Mode::Prompt);
    s.app.on_key(enter()); // the default: 2h
    assert_eq!(s.app.view.len(), before - 1, "hidden");
    assert!(
        s.app
            .view
            .iter()
            .all(|&id| s.app.entry(id).unwrap().item.key != target)
    );
    let out = s.app.take_outbox();
    assert!(store_jobs(&out).iter().any(
        |j| matches!(j, nightdesk::store::Job::Snooze(k, sn) if *k == target && sn.until.is_some())
    ));
    assert!(
        out.iter()
            .any(|e| matches!(e, Effect::Audit(a) if a.action == "snooze"))
    );
    // Shown on request, marked `z`; hidden again.
    s.app.on_key(key('V'));
    assert_eq!(s.app.view.len(), before);
    s.app.on_key(key('V'));
    // Two hours later it is back by itself.
    s.app.tick(frozen_start() + SignedDuration::from_mins(121));
    assert!(
        s.app
            .view
            .iter()
            .any(|&id| s.app.entry(id).unwrap().item.key == target)
    );
    assert!(
        store_jobs(&s.app.take_outbox())
            .iter()
            .any(|j| matches!(j, nightdesk::store::Job::Unsnooze(k) if *k == target))
    );
}

#[test]
fn a_snooze_until_change_ends_when_the_item_changes() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:alert s:new".parse().unwrap());
    let item = s.app.selected_item().unwrap().clone();
    s.app.on_key(key('z'));
    s.app
        .on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)); // clear "2h"
    type_str(&mut s, "change");
    s.app.on_key(enter());
    assert!(s.app.marks.is_snoozed(&item.key));
    // Nothing changed: still snoozed after a refresh with the same item.
    let mut same = item.clone();
    s.app.on_source_event(SourceEvent::Data {
        source: item.key.source.clone(),
        at: frozen_start(),
        fetched: nightdesk::sources::Fetched::Delta {
            upserts: vec![same.clone()],
            removed: vec![],
        },
    });
    assert!(s.app.marks.is_snoozed(&item.key));
    same.updated =
        nightdesk::model::Moment::new(same.updated.timestamp() + SignedDuration::from_mins(1));
    same.title = "got worse".into();
    s.app.on_source_event(SourceEvent::Data {
        source: item.key.source.clone(),
        at: frozen_start(),
        fetched: nightdesk::sources::Fetched::Delta {
            upserts: vec![same],
            removed: vec![],
        },
    });
    assert!(!s.app.marks.is_snoozed(&item.key), "the change woke it");
}

#[test]
fn a_security_incident_gets_nis2_clocks_and_each_step_is_audited() {
    use nightdesk::sla::ClockKind;
    let (_h, mut s) = demo();
    // A ticket whose own clocks fall due later than a day from now.
    s.app.apply("set-filter k:ticket sla>2d".parse().unwrap());
    assert!(!s.app.view.is_empty());
    s.app.apply(Action::new(ActionId::SelectLast));
    let target = s.app.selected_item().unwrap().key.clone();
    let row_before = s
        .app
        .queue
        .position_of(s.app.queue.id_of(&target).unwrap())
        .unwrap();
    s.app.on_key(key('!'));
    assert_eq!(s.app.mode, Mode::Prompt);
    s.app.on_key(enter()); // aware now
    let entry = s.app.queue.get(&target).unwrap();
    let early = entry
        .clocks
        .get(ClockKind::Nis2EarlyWarning)
        .expect("early-warning clock");
    assert_eq!(early.due(), frozen_start() + SignedDuration::from_hours(24));
    assert!(entry.clocks.get(ClockKind::Nis2Notification).is_some());
    assert_eq!(
        entry.clocks.nearest_unmet().unwrap().kind,
        ClockKind::Nis2EarlyWarning,
        "its next due is now the legal deadline"
    );
    let row_after = s
        .app
        .queue
        .position_of(s.app.queue.id_of(&target).unwrap())
        .unwrap();
    assert!(
        row_after < row_before,
        "it moved up the queue: {row_before} -> {row_after}"
    );
    let out = s.app.take_outbox();
    assert!(
        out.iter()
            .any(|e| matches!(e, Effect::Audit(a) if a.action == "nis2-mark"))
    );
    assert!(
        store_jobs(&out)
            .iter()
            .any(|j| matches!(j, nightdesk::store::Job::Nis2(k, _, _) if *k == target))
    );
    // It no longer matches `sla>2d`: show everything and select it again.
    s.app.apply(Action::new(ActionId::ClearFilter));
    select(&mut s, &target);
    // The next `!` records a step; the form proposes the next one.
    s.app.on_key(key('!'));
    assert_eq!(
        s.app.form.as_ref().unwrap().fields[0].text(),
        "early-warning"
    );
    s.app.on_key(enter());
    let entry = s.app.queue.get(&target).unwrap();
    assert!(
        entry
            .clocks
            .get(ClockKind::Nis2EarlyWarning)
            .unwrap()
            .met_at()
            .is_some()
    );
    assert!(s.app.take_outbox().iter().any(|e| matches!(e, Effect::Audit(a) if a.action == "nis2-step" && a.params["step"] == "early-warning")));
    // It survives the next read from the source.
    refetch(&mut s, 1);
    let entry = s.app.queue.get(&target).unwrap();
    assert!(entry.clocks.get(ClockKind::Nis2Notification).is_some());
}

#[test]
fn items_changed_since_i_last_looked_are_new_until_selected() {
    let (_h, mut s) = demo();
    let changed_before = s
        .app
        .queue
        .iter()
        .filter(|(_, e)| s.app.marks.is_new(&e.item))
        .count();
    assert_eq!(changed_before, 0, "nothing is new at the start");
    refetch(&mut s, 12);
    let new: Vec<_> = s
        .app
        .queue
        .iter()
        .filter(|(_, e)| s.app.marks.is_new(&e.item))
        .map(|(_, e)| e.item.key.clone())
        .collect();
    assert!(!new.is_empty(), "the demo world moved: something changed");
    let target = new[0].clone();
    let row = s
        .app
        .view
        .iter()
        .position(|&id| s.app.entry(id).unwrap().item.key == target)
        .expect("in the view");
    s.app.take_outbox();
    assert!(row < s.app.view.len());
    select(&mut s, &target);
    let item = s.app.queue.get(&target).unwrap().item.clone();
    assert!(!s.app.marks.is_new(&item), "looked at");
    assert!(
        store_jobs(&s.app.take_outbox())
            .iter()
            .any(|j| matches!(j, nightdesk::store::Job::Seen(k, _, _) if *k == target))
    );
}

#[test]
fn a_local_note_stays_in_nightdesk_and_goes_to_every_marked_item() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:alert".parse().unwrap());
    let first = s.app.selected_item().unwrap().key.clone();
    s.app.on_key(key(' '));
    let second = s.app.selected_item().unwrap().key.clone();
    assert_ne!(first, second, "space marks and moves on");
    s.app.on_key(key(' '));
    s.app.take_outbox();
    s.app.on_key(key('N'));
    assert_eq!(s.app.mode, Mode::Prompt);
    let effects = s
        .app
        .on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
    assert!(effects.is_empty());
    assert_eq!(s.app.mode, Mode::Prompt, "an empty note is not kept");
    type_str(&mut s, "Kunde angerufen");
    s.app.on_key(enter());
    type_str(&mut s, "ruft um 06:00 zurück");
    let effects = s
        .app
        .on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
    assert!(effects.is_empty(), "nothing goes to a source: {effects:?}");
    assert_eq!(s.app.mode, Mode::Queue);
    assert!(s.app.marked.is_empty(), "the marks are used up");
    let out = s.app.take_outbox();
    for target in [&first, &second] {
        let notes = &s.app.marks.notes[target];
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].text, "Kunde angerufen\nruft um 06:00 zurück");
        assert!(store_jobs(&out).iter().any(|j| matches!(
            j,
            nightdesk::store::Job::LocalNote(k, _, n) if k == target && n.text == notes[0].text
        )));
        assert!(out.iter().any(|e| matches!(
            e,
            Effect::Audit(a) if a.action == "local-note" && a.item == *target.external_id
        )));
    }
    assert!(
        s.app.flash.as_ref().unwrap().text.contains("2 item(s)"),
        "{:?}",
        s.app.flash
    );
}

/// Moves the selection onto `target` the way a user would (row by row).
fn select(s: &mut Session, target: &nightdesk::model::ItemKey) {
    s.app.apply(Action::new(ActionId::SelectFirst));
    for _ in 0..s.app.view.len() {
        if s.app.selected.as_ref() == Some(target) {
            return;
        }
        s.app.apply(Action::new(ActionId::SelectNext));
    }
    assert_eq!(s.app.selected.as_ref(), Some(target), "not in the view");
}

// --- remote sessions --------------------------------------------------------------------

/// Selects the first alert of the demo (alerts have host and address).
fn select_alert(s: &mut Session) -> nightdesk::model::Item {
    s.app.apply("set-filter k:alert".parse().unwrap());
    s.app
        .selected_item()
        .cloned()
        .expect("an alert is selected")
}

fn with_sessions(s: &mut Session, text: &str) {
    let config = common::config(text);
    s.app.sessions = std::sync::Arc::new(config.sessions);
}

/// An item from a source whose host name is `host`, selected by its unique title.
fn select_hostile(s: &mut Session, title: &str, host: &str) -> nightdesk::model::Item {
    let mut item = select_alert(s);
    item.key.external_id = title.into();
    item.title = title.into();
    item.host = Some(host.into());
    item.address = None;
    s.app.on_source_event(SourceEvent::Data {
        source: item.key.source.clone(),
        at: frozen_start(),
        fetched: nightdesk::sources::Fetched::Delta {
            upserts: vec![item],
            removed: Vec::new(),
        },
    });
    s.app.apply(Action::new(ActionId::SelectFirst));
    while s.app.selected_item().is_some_and(|i| &*i.title != title) {
        let row = s.app.cursor;
        s.app.apply(Action::new(ActionId::SelectNext));
        assert_ne!(row, s.app.cursor, "{title} not in the view");
    }
    s.app.selected_item().cloned().unwrap()
}

fn session_plan(effects: &[Effect]) -> &nightdesk::actions::session::SessionPlan {
    match effects {
        [Effect::Session(plan)] => plan,
        other => panic!("expected one session, got {other:?}"),
    }
}

#[test]
fn s_plans_an_ssh_session_to_the_selected_items_address() {
    let (_h, mut s) = demo();
    let item = select_alert(&mut s);
    let effects = s.app.on_key(key('s'));
    assert!(!effects.is_empty(), "{:?}", s.app.flash);
    let plan = session_plan(&effects);
    assert_eq!(plan.profile, "ssh");
    assert_eq!(
        plan.argv,
        ["ssh".to_string(), item.address.unwrap().to_string()]
    );
    assert_eq!(plan.item, item.key);
    assert!(
        s.app.session_outcomes.is_empty(),
        "the loop reports the outcome"
    );
    let effects = s.app.on_key(key('r'));
    assert_eq!(session_plan(&effects).profile, "rdp");
    assert_eq!(session_plan(&effects).argv[0], "xfreerdp");
}

#[test]
fn the_session_menu_lists_the_fitting_profiles_and_launches_the_chosen_one() {
    let (_h, mut s) = demo();
    with_sessions(
        &mut s,
        "[sessions.profiles.console]\nargv = [\"ipmitool\", \"-U\", \"{user}\", \"-H\", \"{address}\"]\n\n[sessions.profiles.ping]\nargv = [\"ping\", \"-c\", \"3\", \"{address}\"]\n",
    );
    let item = select_alert(&mut s);
    s.app.on_key(key('o'));
    assert_eq!(s.app.mode, Mode::SessionMenu);
    let menu = s.app.session_menu.clone().unwrap();
    let names: Vec<&str> = menu.entries.iter().map(|e| e.profile.as_str()).collect();
    assert_eq!(
        names,
        ["ssh", "rdp", "vnc", "web", "ping"],
        "console needs a user"
    );
    let address = item.address.unwrap().to_string();
    assert_eq!(menu.entries[4].preview, Ok(format!("ping -c 3 {address}")));

    s.app.on_key(key('j'));
    s.app.on_key(key('j'));
    assert_eq!(s.app.session_menu.as_ref().unwrap().cursor, 2);
    s.app.on_key(key('q'));
    assert_eq!(s.app.mode, Mode::SessionMenu, "no profile starts with q");
    assert!(!s.app.quit, "global keys do not reach into the menu");
    let effects = s.app.on_key(enter());
    assert_eq!(session_plan(&effects).profile, "vnc");
    assert_eq!(s.app.mode, Mode::Queue);
    assert!(s.app.session_menu.is_none());

    s.app.on_key(key('o'));
    let effects = s.app.on_key(key('p'));
    assert_eq!(session_plan(&effects).argv, ["ping", "-c", "3", &address]);
    assert_eq!(s.app.mode, Mode::Queue);

    s.app.on_key(key('o'));
    s.app.on_key(esc());
    assert_eq!(s.app.mode, Mode::Queue);
    assert!(s.app.session_menu.is_none());
}

#[test]
fn a_letter_shared_by_profiles_moves_between_them() {
    let (_h, mut s) = demo();
    with_sessions(
        &mut s,
        "[sessions.profiles.sftp]\nargv = [\"sftp\", \"{address}\"]\n",
    );
    select_alert(&mut s);
    s.app.on_key(key('o'));
    assert!(
        s.app.on_key(key('s')).is_empty(),
        "ssh and sftp start with s"
    );
    let menu = s.app.session_menu.as_ref().unwrap();
    assert_eq!(menu.entries[menu.cursor].profile, "sftp");
    s.app.on_key(key('s'));
    let menu = s.app.session_menu.as_ref().unwrap();
    assert_eq!(menu.entries[menu.cursor].profile, "ssh", "wraps around");
    let effects = s.app.on_key(enter());
    assert_eq!(session_plan(&effects).profile, "ssh");
}

#[test]
fn hostile_hosts_are_refused_with_a_message_and_recorded() {
    let (_h, mut s) = demo();
    for (n, host) in [
        "x; rm -rf ~",
        "-oProxyCommand=touch /tmp/pwned",
        "dc01\nid",
        "\x1b[31mred",
    ]
    .into_iter()
    .enumerate()
    {
        let title = format!("hostile-{n}");
        let item = select_hostile(&mut s, &title, host);
        let effects = s.app.on_key(key('s'));
        assert!(effects.is_empty(), "nothing may run for {host:?}");
        let flash = s.app.flash.clone().unwrap();
        assert!(flash.error);
        assert!(
            flash.text.starts_with("ssh not run: address `"),
            "{}",
            flash.text
        );
        assert!(
            flash.text.contains(&title),
            "names the item: {}",
            flash.text
        );
        assert!(
            !flash.text.chars().any(char::is_control),
            "{:?}",
            flash.text
        );
        let outcomes = s.app.take_session_outcomes();
        let [outcome] = outcomes.as_slice() else {
            panic!("one outcome expected: {outcomes:?}")
        };
        assert_eq!(outcome.item.as_ref(), Some(&item.key));
        assert_eq!(
            outcome.host.as_deref(),
            Some(host),
            "the audit gets the raw value"
        );
        assert!(outcome.argv.is_empty());
        assert!(matches!(
            outcome.result,
            SessionResult::Refused(Refusal::Invalid(_))
        ));
        // The refusal is in the audit log, with the raw value as data.
        let audit: Vec<_> = s
            .app
            .take_outbox()
            .into_iter()
            .filter_map(|e| match e {
                Effect::Audit(a) => Some(a),
                _ => None,
            })
            .collect();
        let [entry] = audit.as_slice() else {
            panic!("one audit entry expected: {audit:?}")
        };
        assert_eq!(entry.action, "session ssh");
        assert_eq!(entry.params["host"], host);
        assert!(matches!(
            entry.outcome,
            nightdesk::store::AuditOutcome::Failed(_)
        ));
    }
    let flash = s.app.flash.clone().unwrap();
    assert!(
        flash.text.contains("␛[31mred"),
        "escapes shown as symbols: {}",
        flash.text
    );
}

#[test]
fn the_menu_shows_why_a_hostile_host_would_be_refused() {
    let (_h, mut s) = demo();
    select_hostile(&mut s, "hostile-menu", "$(id)");
    s.app.on_key(key('o'));
    let menu = s.app.session_menu.clone().unwrap();
    assert!(menu.entries.iter().all(|e| e.preview.is_err()));
    let effects = s.app.on_key(enter());
    assert!(effects.is_empty());
    assert_eq!(s.app.mode, Mode::Queue);
    assert!(
        s.app
            .flash
            .as_ref()
            .unwrap()
            .text
            .contains("shell metacharacter `$`")
    );
}

#[test]
fn the_command_line_names_any_profile_and_unknown_ones_are_refused() {
    let (_h, mut s) = demo();
    with_sessions(
        &mut s,
        "[sessions.profiles.mycustom]\nmode = \"copy\"\nargv = [\"ssh\", \"root@{host}\"]\n",
    );
    let item = select_alert(&mut s);
    s.app.on_key(key(':'));
    type_str(&mut s, "session mycustom");
    let effects = s.app.on_key(enter());
    let plan = session_plan(&effects);
    assert_eq!(
        plan.argv,
        ["ssh".to_string(), format!("root@{}", item.host.unwrap())]
    );
    assert_eq!(plan.mode, nightdesk::config::LaunchMode::Copy);

    s.app.on_key(key(':'));
    type_str(&mut s, "session nope");
    assert!(s.app.on_key(enter()).is_empty());
    let flash = s.app.flash.clone().unwrap();
    assert!(
        flash.error && flash.text.contains("no session profile `nope`"),
        "{}",
        flash.text
    );
    let outcomes = s.app.take_session_outcomes();
    assert!(matches!(
        &outcomes[..],
        [o] if o.result == SessionResult::Refused(Refusal::UnknownProfile("nope".into()))
    ));
}

#[test]
fn an_item_without_host_has_no_session() {
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:ticket".parse().unwrap());
    while s
        .app
        .selected_item()
        .is_some_and(|i| i.host.is_some() || i.address.is_some())
    {
        s.app.apply(Action::new(ActionId::SelectNext));
    }
    let item = s.app.selected_item().cloned().unwrap();
    assert!(item.host.is_none() && item.address.is_none());
    s.app.on_key(key('o'));
    assert_eq!(s.app.mode, Mode::Queue, "no menu");
    assert!(
        s.app
            .flash
            .as_ref()
            .unwrap()
            .text
            .contains("no session profile fits")
    );
    assert!(s.app.on_key(key('s')).is_empty());
    assert!(
        s.app
            .flash
            .as_ref()
            .unwrap()
            .text
            .contains("has no host or address")
    );
}

#[test]
fn a_finished_session_shows_its_exit_status() {
    let (_h, mut s) = demo();
    select_alert(&mut s);
    let effects = s.app.on_key(key('s'));
    let plan = session_plan(&effects).clone();
    let outcome = SessionOutcome::of_plan(
        frozen_start(),
        &plan,
        nightdesk::config::LaunchMode::Inline,
        SessionResult::Exited(Exit::Code(3)),
    );
    s.app.session_finished(outcome.clone());
    let flash = s.app.flash.clone().unwrap();
    assert_eq!(
        flash.text,
        "ssh ended: exit status 3 (not inside tmux: ran here)"
    );
    assert!(flash.error);
    assert_eq!(s.app.take_session_outcomes(), [outcome]);
}

// ---- notifications: the hooks in the state ----

use nightdesk::notify::{Channel, Notification, Rule, Trigger};

/// A demo session with `rules` in force before the first read (as the program starts).
fn demo_notifying(rules: Vec<Rule>) -> (tempfile::TempDir, Session) {
    let home = tempfile::tempdir().unwrap();
    let ui = nightdesk::config::UiConfig {
        time_zone: Some("Europe/Berlin".into()),
        ..Default::default()
    };
    let flags = setup::Flags {
        lang: Some("en".into()),
        ..Default::default()
    };
    let paths = common::paths_under(home.path());
    let mut s = setup::demo_session(&paths, &ui, &flags, 42, 1.0, frozen_start());
    s.app.set_notifications(rules);
    refetch(&mut s, 0);
    (home, s)
}

fn unlimited(trigger: Trigger) -> Rule {
    let mut rule = Rule::new(trigger.name(), trigger, &[Channel::Bell, Channel::Osc777]);
    rule.rate_limit = None;
    rule
}

fn notifications(s: &mut Session) -> Vec<Notification> {
    s.app
        .take_outbox()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Notify(n) => Some(n),
            _ => None,
        })
        .collect()
}

#[test]
fn the_first_read_at_the_start_notifies_nothing() {
    let (_h, mut s) = demo_notifying(vec![
        unlimited(Trigger::NewItem),
        unlimited(Trigger::SlaWarning),
        unlimited(Trigger::SlaBreach),
        unlimited(Trigger::SourceDown),
    ]);
    assert!(s.app.view.len() >= 200, "the queue is full");
    assert_eq!(notifications(&mut s), [], "no burst at the start");
}

#[test]
fn a_new_p1_is_one_notify_effect_and_the_same_read_again_is_none() {
    let (_h, mut s) = demo_notifying(vec![unlimited(Trigger::NewP1)]);
    assert_eq!(notifications(&mut s), []);
    refetch(&mut s, 3); // the demo's host-down P1 at hansa fires at +2 min
    let sent = notifications(&mut s);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let n = &sent[0];
    assert_eq!(n.title, "New P1 alert at Hansa Logistik GmbH & Co. KG");
    assert_eq!(n.body, "Host down: fw-01");
    assert_eq!(n.channels, [Channel::Bell, Channel::Osc777]);
    let key = n.item.clone().expect("about an item");
    assert_eq!(s.app.queue.get(&key).unwrap().item.tenant.as_str(), "hansa");
    refetch(&mut s, 3);
    assert_eq!(notifications(&mut s), [], "a re-delivery is not new");
}

#[test]
fn an_item_the_source_raises_to_p1_is_told_once() {
    let (_h, mut s) = demo_notifying(vec![unlimited(Trigger::NewP1)]);
    let mut raised = s
        .app
        .queue
        .iter()
        .map(|(_, e)| e.item.clone())
        .find(|i| {
            i.priority == nightdesk::model::Priority::P3 && i.status.category == StatusCategory::New
        })
        .expect("a new P3 in the demo");
    raised.priority = nightdesk::model::Priority::P1;
    let deliver = |s: &mut Session, item: &nightdesk::model::Item| {
        s.app.on_source_event(SourceEvent::Data {
            source: item.key.source.clone(),
            at: frozen_start(),
            fetched: nightdesk::sources::Fetched::Delta {
                upserts: vec![item.clone()],
                removed: vec![],
            },
        });
    };
    deliver(&mut s, &raised);
    let sent = notifications(&mut s);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].title.starts_with("Raised P3 → P1: "),
        "{}",
        sent[0].title
    );
    assert_eq!(sent[0].item.as_ref(), Some(&raised.key));
    deliver(&mut s, &raised);
    assert_eq!(notifications(&mut s), [], "still P1: nothing new");
}

#[test]
fn a_source_that_goes_down_and_comes_back_is_told_and_its_items_are_not_new() {
    let mut down = unlimited(Trigger::SourceDown);
    down.recovery = true;
    let mut mine = unlimited(Trigger::NewItemForMyTenants);
    mine.tenants = Some(vec![nightdesk::model::TenantId::new("swn")]);
    let (_h, mut s) = demo_notifying(vec![down, mine]);
    let before: Vec<_> = s
        .app
        .queue
        .iter()
        .filter(|(_, e)| e.item.key.source.as_str() == "mon-swn")
        .map(|(_, e)| e.item.key.clone())
        .collect();
    assert!(!before.is_empty());
    refetch(&mut s, 5); // mon-swn stops answering at +3 min
    let sent = notifications(&mut s);
    let downs: Vec<_> = sent.iter().filter(|n| n.item.is_none()).collect();
    assert_eq!(downs.len(), 1, "{sent:?}");
    assert_eq!(downs[0].title, "Source down: mon-swn");
    assert!(
        downs[0]
            .body
            .starts_with("Stadtwerke Neustadt GmbH blind since Fri 02:35"),
        "{}",
        downs[0].body
    );
    refetch(&mut s, 6);
    assert!(
        notifications(&mut s).iter().all(|n| n.item.is_some()),
        "still down: not again"
    );
    refetch(&mut s, 16); // and answers again at +15 min
    let sent = notifications(&mut s);
    let back: Vec<_> = sent.iter().filter(|n| n.item.is_none()).collect();
    assert_eq!(back.len(), 1, "{sent:?}");
    assert_eq!(back[0].title, "Source back: mon-swn");
    for n in &sent {
        if let Some(key) = &n.item {
            assert!(!before.contains(key), "{key:?} was there before the outage");
        }
    }
}

#[test]
fn an_sla_breach_notifies_once_per_clock() {
    let (_h, mut s) = demo_notifying(vec![unlimited(Trigger::SlaBreach)]);
    assert_eq!(notifications(&mut s), []);
    let later = frozen_start() + SignedDuration::from_mins(20);
    s.app.tick(later);
    let sent = notifications(&mut s);
    assert!(
        !sent.is_empty(),
        "some P1 clocks of seed 42 fall due within 20 minutes"
    );
    assert!(
        sent.iter().all(|n| n.title.starts_with("SLA breached: ")),
        "{sent:?}"
    );
    let items: std::collections::HashSet<_> = sent.iter().map(|n| n.item.clone()).collect();
    assert!(items.iter().all(Option::is_some));
    s.app.tick(later);
    s.app.tick(later + SignedDuration::from_secs(1));
    let again = notifications(&mut s);
    assert!(
        again.iter().all(|n| !sent.iter().any(|m| m == n)),
        "the same breach again: {again:?}"
    );
}

// ---- snapshots of the last good read ----

fn unprimed_demo() -> (tempfile::TempDir, Session) {
    let home = tempfile::tempdir().unwrap();
    let s = demo_in(home.path());
    (home, s)
}

/// A demo session over the database under `home` (a restart), before any source answered.
fn demo_in(home: &std::path::Path) -> Session {
    let ui = nightdesk::config::UiConfig {
        time_zone: Some("Europe/Berlin".into()),
        ..Default::default()
    };
    let flags = setup::Flags {
        lang: Some("en".into()),
        ..Default::default()
    };
    let paths = common::paths_under(home);
    setup::demo_session(&paths, &ui, &flags, 42, 1.0, frozen_start())
}

fn items_of<'a>(s: &'a Session, source: &'a SourceId) -> Vec<&'a nightdesk::queue::Entry> {
    s.app
        .queue
        .iter()
        .map(|(_, e)| e)
        .filter(|e| &e.item.key.source == source)
        .collect()
}

#[test]
fn a_snapshot_of_an_earlier_run_is_shown_stale_until_the_source_answers() {
    let swn = SourceId::new("mon-swn");
    let (_h, mut s) = demo();
    s.app.sources.get_mut(&swn).unwrap().meta.cache = true;
    s.app.take_outbox();
    refetch(&mut s, 1);
    s.app.save_snapshots(false);
    assert!(
        store_jobs(&s.app.take_outbox()).is_empty(),
        "not before five minutes"
    );
    s.app.tick(frozen_start() + SignedDuration::from_mins(6));
    let snapshots: Vec<_> = store_jobs(&s.app.take_outbox())
        .into_iter()
        .filter_map(|j| match j {
            nightdesk::store::Job::Snapshot(snap) => Some(snap),
            _ => None,
        })
        .collect();
    let [snapshot] = snapshots.as_slice() else {
        panic!("one snapshot, of the one cached source: {snapshots:?}")
    };
    assert_eq!(snapshot.source, swn);
    assert_eq!(
        snapshot.fetched_at,
        frozen_start() + SignedDuration::from_mins(1)
    );
    let before = items_of(&s, &swn).len();
    assert!(before > 0);
    assert_eq!(snapshot.items.len(), before);

    // The next run, before any source has answered.
    let (_h2, mut next) = unprimed_demo();
    next.app.sources.get_mut(&swn).unwrap().meta.cache = true;
    assert!(items_of(&next, &swn).is_empty());
    next.app.restore_snapshot(snapshot.clone());
    let shown = items_of(&next, &swn);
    assert_eq!(shown.len(), before, "the whole snapshot is in the queue");
    assert!(
        shown.iter().all(|e| next.app.queue.is_stale(e)),
        "and stale"
    );
    // Down at the start: still the snapshot, stale since it was taken, and the outage item.
    next.app.on_source_event(SourceEvent::Health {
        source: swn.clone(),
        at: frozen_start(),
        health: nightdesk::model::Health::Down("connection refused".into()),
    });
    let since: Vec<_> = items_of(&next, &swn)
        .iter()
        .map(|e| next.app.queue.stale_since(e))
        .collect();
    assert!(
        since.iter().all(|t| *t == Some(snapshot.fetched_at)),
        "the age is the data's: {since:?}"
    );
    assert!(
        next.app
            .queue
            .iter()
            .any(|(_, e)| e.item.title.contains("blind since"))
    );
    // It answers: current again.
    next.app.on_source_event(SourceEvent::Health {
        source: swn.clone(),
        at: frozen_start() + SignedDuration::from_mins(1),
        health: nightdesk::model::Health::Ok,
    });
    refetch(&mut next, 1);
    let shown = items_of(&next, &swn);
    assert!(!shown.is_empty());
    assert!(shown.iter().all(|e| !next.app.queue.is_stale(e)), "fresh");
}

#[test]
fn choosing_a_tenant_in_the_tenant_list_filters_the_queue_and_all_tenants_clears_it() {
    let (_h, mut s) = demo();
    let everything = s.app.view.len();
    s.app.apply(Action::new(ActionId::ToggleTenants));
    assert_eq!(s.app.mode, Mode::Tenants);
    // Row 0 is "all tenants"; row 2 the second tenant.
    s.app.apply(Action::new(ActionId::SelectNext));
    s.app.apply(Action::new(ActionId::SelectNext));
    let chosen = s.app.tenants[1].id.clone();
    s.app.on_key(enter());
    assert_eq!(s.app.mode, Mode::Queue);
    assert_eq!(s.app.filter.text(), format!("t:{chosen}"));
    assert!(!s.app.view.is_empty() && s.app.view.len() < everything);
    for &id in &s.app.view {
        assert_eq!(s.app.entry(id).unwrap().item.tenant, chosen);
    }
    s.app.apply(Action::new(ActionId::ToggleTenants));
    s.app.apply(Action::new(ActionId::SelectFirst));
    s.app.on_key(enter());
    assert_eq!(s.app.filter.text(), "");
    assert_eq!(s.app.view.len(), everything);
}

// ---- snoozes across a restart ----

/// Carries out the store jobs and audit entries among `effects` on the session's database,
/// as the event loop and the store worker do.
fn persist(s: &Session, effects: &[Effect]) {
    let store = s.store.as_ref().expect("the demo database");
    for effect in effects {
        match effect {
            Effect::Store(job) => store.apply(job).unwrap(),
            Effect::Audit(entry) => {
                store.record(entry).unwrap();
            }
            _ => {}
        }
    }
}

/// What one source answers at `at` (the other sources stay silent).
fn fetch_of(
    s: &mut Session,
    source: &SourceId,
    at: jiff::Timestamp,
) -> Vec<nightdesk::model::Item> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let planned = s
        .sources
        .iter_mut()
        .find(|p| p.source.id() == source)
        .expect("a demo source");
    match rt.block_on(planned.source.fetch(at)).unwrap() {
        nightdesk::sources::Fetched::Full(items) => items,
        other => panic!("the demo answers in full: {other:?}"),
    }
}

fn answer_with(s: &mut Session, source: &SourceId, items: Vec<nightdesk::model::Item>) {
    s.app.on_source_event(SourceEvent::Data {
        source: source.clone(),
        at: frozen_start(),
        fetched: nightdesk::sources::Fetched::Full(items),
    });
}

/// Two alerts of two different sources, each snoozed for two hours; the jobs are stored.
fn snooze_two(s: &mut Session) -> [nightdesk::model::ItemKey; 2] {
    s.app.apply("set-filter k:alert s:new".parse().unwrap());
    let a = s.app.selected_item().unwrap().key.clone();
    let b = s
        .app
        .view
        .iter()
        .map(|&id| s.app.entry(id).unwrap().item.key.clone())
        .find(|k| k.source != a.source)
        .expect("alerts of a second source");
    for target in [&a, &b] {
        select(s, target);
        s.app.on_key(key('z'));
        s.app.on_key(enter()); // the default: 2h
        assert!(s.app.marks.is_snoozed(target));
    }
    let out = s.app.take_outbox();
    persist(s, &out);
    [a, b]
}

fn stored_snoozes(s: &Session) -> Vec<nightdesk::model::ItemKey> {
    let marks = s
        .store
        .as_ref()
        .unwrap()
        .local_marks(jiff::Timestamp::UNIX_EPOCH)
        .unwrap();
    let mut keys: Vec<_> = marks.snoozes.into_keys().collect();
    keys.sort();
    keys
}

#[test]
fn after_a_restart_one_source_answering_leaves_the_other_sources_snoozes_alone() {
    let (home, mut s) = demo();
    let [a, b] = snooze_two(&mut s);
    drop(s);

    // The next run: both snoozes are back; only a's source answers, b's has not yet (and has
    // no snapshot: its items are not in the queue at all).
    let mut next = demo_in(home.path());
    assert!(next.app.marks.is_snoozed(&a) && next.app.marks.is_snoozed(&b));
    assert!(next.app.queue.get(&b).is_none());
    let items = fetch_of(&mut next, &a.source, frozen_start());
    answer_with(&mut next, &a.source, items.clone());
    assert!(next.app.marks.is_snoozed(&a), "unchanged: still snoozed");
    assert!(
        next.app.marks.is_snoozed(&b),
        "another source's item is not gone because it is not back yet"
    );
    let out = next.app.take_outbox();
    assert!(
        !store_jobs(&out)
            .iter()
            .any(|j| matches!(j, nightdesk::store::Job::Unsnooze(_))),
        "nothing unsnoozed: {out:?}"
    );
    assert!(
        !out.iter()
            .any(|e| matches!(e, Effect::Audit(x) if x.action == "unsnooze"))
    );
    persist(&next, &out);
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(stored_snoozes(&next), both, "both still in the store");

    // b's source answers, with b unchanged: still snoozed.
    let items_b = fetch_of(&mut next, &b.source, frozen_start());
    answer_with(&mut next, &b.source, items_b);
    assert!(next.app.marks.is_snoozed(&b));
    // The answering source's own judgement still works: a missing from its answer is gone.
    let without_a: Vec<_> = items.into_iter().filter(|i| i.key != a).collect();
    answer_with(&mut next, &a.source, without_a);
    assert!(!next.app.marks.is_snoozed(&a), "gone from its own source");
    assert!(next.app.marks.is_snoozed(&b));
    let out = next.app.take_outbox();
    persist(&next, &out);
    assert_eq!(stored_snoozes(&next), vec![b]);
}

#[test]
fn an_item_restored_from_a_snapshot_older_than_its_snooze_does_not_wake_it() {
    let (home, mut s) = demo();
    let [a, b] = snooze_two(&mut s);
    // b's source's last snapshot was taken three minutes ago, before b last changed.
    let snooze_of_b = s.app.marks.snoozes[&b].clone();
    let mut items: Vec<_> = items_of(&s, &b.source)
        .into_iter()
        .map(|e| e.item.clone())
        .collect();
    let older = frozen_start() - SignedDuration::from_mins(3);
    for item in items.iter_mut().filter(|i| i.key == b) {
        item.updated = nightdesk::model::Moment::new(older);
    }
    let snapshot = nightdesk::store::Snapshot {
        source: b.source.clone(),
        fetched_at: older,
        items,
    };
    drop(s);

    let mut next = demo_in(home.path());
    next.app.sources.get_mut(&b.source).unwrap().meta.cache = true;
    next.app.restore_snapshot(snapshot);
    let restored = next.app.queue.get(&b).expect("b is in the snapshot");
    assert_ne!(
        Some(restored.item.updated.timestamp()),
        snooze_of_b.until_change_of
    );
    assert!(
        next.app.marks.is_snoozed(&b),
        "the snapshot does not wake it"
    );
    // a's source answers: b's snapshot items are not judged by it.
    let items = fetch_of(&mut next, &a.source, frozen_start());
    answer_with(&mut next, &a.source, items);
    assert!(next.app.marks.is_snoozed(&a));
    assert!(
        next.app.marks.is_snoozed(&b),
        "snapshot data is never taken for a change"
    );
    // b's source answers live with b as it was when snoozed: still snoozed.
    let items = fetch_of(&mut next, &b.source, frozen_start());
    answer_with(&mut next, &b.source, items);
    assert!(next.app.marks.is_snoozed(&b));
    let out = next.app.take_outbox();
    assert!(
        !store_jobs(&out)
            .iter()
            .any(|j| matches!(j, nightdesk::store::Job::Unsnooze(_)))
    );
}

// ---- the detail pane's timeline ----

/// The detail pane of the selected item, drawn tall enough for every section.
fn detail_text(s: &Session) -> String {
    let area = ratatui::layout::Rect::new(0, 0, 160, 300);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    nightdesk::ui::detail::render(&s.app, &s.theme, area, &mut buf);
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn with_status(
    item: &nightdesk::model::Item,
    category: StatusCategory,
    label: &str,
    minutes: i64,
) -> nightdesk::model::Item {
    let mut changed = item.clone();
    let at = frozen_start() + SignedDuration::from_mins(minutes);
    changed.status = nightdesk::model::Status::new(category, label);
    changed.sla.status_since = Some(nightdesk::model::Moment::new(at));
    changed.updated = nightdesk::model::Moment::new(at);
    changed
}

fn upsert(s: &mut Session, item: nightdesk::model::Item) {
    s.app.on_source_event(SourceEvent::Data {
        source: item.key.source.clone(),
        at: item.updated.timestamp(),
        fetched: nightdesk::sources::Fetched::Delta {
            upserts: vec![item],
            removed: vec![],
        },
    });
}

#[test]
fn every_status_change_seen_is_in_the_timeline_not_only_the_latest() {
    use nightdesk::app::history::STATUS_CHANGES_KEPT;
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:alert s:new".parse().unwrap());
    let item = s.app.selected_item().unwrap().clone();
    s.app.apply(Action::new(ActionId::ClearFilter));
    assert!(s.app.status_changes.is_empty(), "nothing changed yet");
    upsert(
        &mut s,
        with_status(&item, StatusCategory::Acknowledged, "acknowledged", 1),
    );
    let back = with_status(&item, StatusCategory::New, "firing again", 2);
    upsert(&mut s, back.clone());
    upsert(&mut s, back.clone()); // the same answer again: no change
    assert_eq!(s.app.status_changes[&item.key].len(), 2);
    select(&mut s, &item.key);
    let text = detail_text(&s);
    assert!(text.contains("status acknowledged"), "{text}");
    assert!(text.contains("status firing again"), "{text}");
    assert_eq!(
        text.matches("status firing again").count(),
        1,
        "the current status once: {text}"
    );
    // Bounded: the newest few per item, and only the item that changed has a list.
    for n in 0..20 {
        let label = format!("flap {n}");
        upsert(
            &mut s,
            with_status(&item, StatusCategory::New, &label, 3 + n),
        );
    }
    let kept = &s.app.status_changes[&item.key];
    assert_eq!(kept.len(), STATUS_CHANGES_KEPT);
    assert_eq!(&*kept.last().unwrap().label, "flap 19");
    assert_eq!(s.app.status_changes.len(), 1);
    // Gone from the queue: its list goes too.
    s.app.on_source_event(SourceEvent::Data {
        source: item.key.source.clone(),
        at: frozen_start(),
        fetched: nightdesk::sources::Fetched::Delta {
            upserts: vec![],
            removed: vec![item.key.clone()],
        },
    });
    assert!(s.app.status_changes.is_empty());
}

#[test]
fn audit_entries_are_in_the_timeline_live_and_after_a_restart_with_the_same_cap() {
    use nightdesk::app::writeback::TIMELINE_KEPT;
    let (home, mut s) = demo();
    s.app.apply("set-filter k:ticket".parse().unwrap());
    let target = s.app.selected_item().unwrap().key.clone();
    // More audited actions than the timeline keeps: local notes, then a NIS-2 mark.
    let notes = TIMELINE_KEPT + 5;
    for n in 0..notes {
        select(&mut s, &target);
        s.app.on_key(key('N'));
        type_str(&mut s, &format!("note {n}"));
        s.app
            .on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
        assert_eq!(s.app.mode, Mode::Queue);
    }
    select(&mut s, &target);
    s.app.on_key(key('!'));
    s.app.on_key(enter()); // aware now
    let live = &s.app.timeline[&target];
    assert_eq!(
        live.len(),
        TIMELINE_KEPT,
        "live: the newest {TIMELINE_KEPT}"
    );
    assert_eq!(live.last().unwrap().action, "nis2-mark");
    select(&mut s, &target);
    let text = detail_text(&s);
    assert!(text.contains("nis2-mark"), "live: {text}");
    let out = s.app.take_outbox();
    let audited = out
        .iter()
        .filter(|e| matches!(e, Effect::Audit(a) if a.item == *target.external_id))
        .count();
    assert_eq!(audited, notes + 1, "every action is audited");
    persist(&s, &out);
    let live: Vec<_> = s.app.timeline[&target].clone();
    drop(s);

    // The next start reads them back from the database: the same newest 50, in order.
    let mut next = demo_in(home.path());
    let loaded = &next.app.timeline[&target];
    assert_eq!(loaded.len(), TIMELINE_KEPT, "loaded: the same cap");
    assert_eq!(loaded, &live, "the same entries as live");
    let items = fetch_of(&mut next, &target.source, frozen_start());
    answer_with(&mut next, &target.source, items);
    select(&mut next, &target);
    let text = detail_text(&next);
    assert!(text.contains("nis2-mark"), "after the restart: {text}");
}

// ---- saved views ----

#[test]
fn a_saved_view_of_the_config_bound_to_a_key_sets_its_filter() {
    let home = tempfile::tempdir().unwrap();
    let paths = common::paths_under(home.path());
    std::fs::create_dir_all(paths.keymap_file.path.parent().unwrap()).unwrap();
    std::fs::write(
        &paths.keymap_file.path,
        "[queue]\n\"P\" = \"view p1-night\"\n\"X\" = \"view p1-nite\"\n",
    )
    .unwrap();
    let config = common::config(
        "[ui]\ntime-zone = \"Europe/Berlin\"\n\n[views]\np1-night = \"p:1 k:alert\"\n\n[[sources]]\nid = \"demo\"\nkind = \"demo\"\nseed = 42\n",
    );
    let flags = setup::Flags {
        lang: Some("en".into()),
        ..Default::default()
    };
    let mut s = setup::configured_session(&paths, &config, &flags).unwrap();
    s.app.filterer.set_inline_limit(usize::MAX);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(setup::fetch_once(
        &mut s.app,
        &mut s.sources,
        jiff::Timestamp::now(),
    ));
    let all = s.app.view.len();
    let p1_alerts = s
        .app
        .queue
        .iter()
        .filter(|(_, e)| {
            e.item.kind == Kind::Alert && e.item.priority == nightdesk::model::Priority::P1
        })
        .count();
    assert!(
        0 < p1_alerts && p1_alerts < all,
        "the view narrows the queue"
    );

    s.app.on_key(key('P'));
    assert_eq!(s.app.filter.text(), "p:1 k:alert");
    assert_eq!(s.app.view.len(), p1_alerts);
    assert!(s.app.view.iter().all(|&id| {
        let item = &s.app.entry(id).unwrap().item;
        item.kind == Kind::Alert && item.priority == nightdesk::model::Priority::P1
    }));
    let flash = s.app.flash.clone().unwrap();
    assert!(
        !flash.error && flash.text == "view p1-night: p:1 k:alert",
        "{flash:?}"
    );

    // A binding of a view the config does not have says so and leaves the filter.
    s.app.on_key(key('X'));
    let flash = s.app.flash.clone().unwrap();
    assert!(flash.error, "{flash:?}");
    assert!(flash.text.contains("p1-nite") && flash.text.contains("mine, p1-night"));
    assert_eq!(s.app.filter.text(), "p:1 k:alert");
}

// ---- batch confirmation ----

/// The title of the open form, as drawn.
fn form_title(s: &mut Session) -> String {
    let area = ratatui::layout::Rect::new(0, 0, 220, 50);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    s.app
        .set_page(nightdesk::ui::queue_rows(area, s.app.detail_open, false));
    nightdesk::ui::render(&s.app, &s.theme, area, &mut buf);
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .find_map(|row| {
            let (_, title) = row.split_once('┌')?;
            Some(title.split('─').next().unwrap_or("").to_string())
        })
        .expect("a form is open")
}

#[test]
fn a_batch_form_says_how_many_items_of_which_tenants_at_which_sources() {
    use nightdesk::i18n::Lang;
    let (_h, mut s) = demo();
    s.app.apply("set-filter k:alert".parse().unwrap());
    s.app.on_key(key('*'));
    let marked: Vec<_> = s
        .app
        .view
        .iter()
        .map(|&id| s.app.entry(id).unwrap().item.clone())
        .collect();
    let mut tenants = Vec::new();
    for item in &marked {
        if !tenants.contains(&item.tenant) {
            tenants.push(item.tenant.clone());
        }
    }
    assert!(tenants.len() > 2, "alerts of many tenants");
    let names: Vec<&str> = tenants[..2].iter().map(|t| s.app.tenant_name(t)).collect();
    let mut sources: Vec<&str> = marked.iter().map(|i| i.key.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    let (n, m) = (marked.len(), tenants.len());
    assert!(sources.len() > 3, "and of many sources");
    let (first, second) = (names[0], names[1]);
    let (three, more) = (sources[..3].join(", "), sources.len() - 3);
    let en = format!(
        "Acknowledge {n} items of {m} tenants ({first}, {second}, …) at {three} and {more} more"
    );
    let de = format!(
        "{n} Einträge von {m} Kunden ({first}, {second}, …) an {three} und {more} weiteren quittieren"
    );
    s.app.on_key(key('a'));
    assert_eq!(s.app.mode, Mode::Prompt);
    assert_eq!(form_title(&mut s), en);
    s.app.lang = Lang::De;
    assert_eq!(form_title(&mut s), de);

    // One tenant: its name; one item: singular.
    s.app.lang = Lang::En;
    s.app.on_key(esc());
    s.app.on_key(esc()); // the marks
    assert!(s.app.marked.is_empty());
    s.app.apply("set-filter k:alert t:wagner".parse().unwrap());
    s.app.on_key(key('*'));
    let n = s.app.marked.len();
    assert!(n > 1);
    s.app.on_key(key('a'));
    assert_eq!(
        form_title(&mut s),
        format!("Acknowledge {n} items of Wagner Immobilien GmbH at mon-wagner")
    );
    s.app.lang = Lang::De;
    assert_eq!(
        form_title(&mut s),
        format!("{n} Einträge von Wagner Immobilien GmbH an mon-wagner quittieren")
    );
    s.app.on_key(esc());
    s.app.on_key(esc());
    s.app.on_key(key('a')); // the selected item alone
    assert_eq!(
        form_title(&mut s),
        "1 Eintrag von Wagner Immobilien GmbH an mon-wagner quittieren"
    );
    s.app.on_key(esc());
    // The confirmation of an action without a form says the same.
    s.app.on_key(key('*'));
    s.app.on_key(key('A'));
    assert_eq!(s.app.mode, Mode::Prompt, "{:?}", s.app.flash);
    assert_eq!(
        form_title(&mut s),
        format!(
            "Quittierung für {n} Einträge von Wagner Immobilien GmbH an mon-wagner zurücknehmen?"
        )
    );
}
