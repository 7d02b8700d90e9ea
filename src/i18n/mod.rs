//! The message catalog: every string the UI shows, in English and German. Rendering code
//! asks the catalog by key ([`Msg`]) and never holds UI text itself.

use crate::action::ActionId;

/// The UI language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    De,
}

impl Lang {
    pub fn is_german(self) -> bool {
        self == Lang::De
    }
}

macro_rules! catalog {
    ($($key:ident => $en:literal, $de:literal;)*) => {
        /// Keys of the message catalog.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Msg { $($key,)* }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$key,)*];
        }

        /// The text of `msg` in `lang`. `{}` marks where [`fill`] puts arguments.
        pub fn t(lang: Lang, msg: Msg) -> &'static str {
            match (lang, msg) {
                $((Lang::En, Msg::$key) => $en, (Lang::De, Msg::$key) => $de,)*
            }
        }
    };
}

catalog! {
    AppTitle => "nightdesk", "nightdesk";
    ColFlag => " ", " ";
    ColPriority => "Pri", "Pri";
    ColSla => "SLA left", "SLA Rest";
    ColDue => "Due", "Fällig";
    ColTenant => "Tenant", "Kunde";
    ColKind => "Kind", "Art";
    ColTitle => "Title", "Titel";
    ColHost => "Host", "Host";
    ColStatus => "Status", "Status";
    ColAge => "Age", "Alter";
    KindTicket => "ticket", "Ticket";
    KindAlert => "alert", "Alarm";
    KindBackup => "backup", "Backup";
    StatusNew => "new", "neu";
    StatusAcknowledged => "ack", "quittiert";
    StatusWaiting => "waiting", "wartet";
    StatusResolved => "resolved", "gelöst";
    SlaPaused => "paused", "pausiert";
    SlaNone => "no SLA", "kein SLA";
    ClockFirstResponse => "first response", "Erstreaktion";
    ClockNextUpdate => "next update", "nächstes Update";
    ClockResolution => "resolution", "Lösung";
    ClockNis2EarlyWarning => "NIS-2 early warning", "NIS-2 Frühwarnung";
    ClockNis2Notification => "NIS-2 notification", "NIS-2 Meldung";
    ClockNis2FinalReport => "NIS-2 final report", "NIS-2 Abschlussbericht";
    Stale => "stale {}", "veraltet {}";
    QueueEmpty => "Nothing in the queue.", "Die Queue ist leer.";
    QueueNoMatch => "No item matches the filter.", "Kein Eintrag passt zum Filter.";
    QueueCount => "{} of {}", "{} von {}";
    DetailTitle => "Detail", "Details";
    DetailTenant => "Tenant", "Kunde";
    DetailSource => "Source", "Quelle";
    DetailHost => "Host", "Host";
    DetailAddress => "Address", "Adresse";
    DetailPriority => "Priority", "Priorität";
    DetailCreated => "Created", "Erstellt";
    DetailUpdated => "Updated", "Geändert";
    DetailAssignee => "Assignee", "Bearbeiter";
    DetailLabels => "Labels", "Labels";
    DetailLink => "Link", "Link";
    DetailClocks => "SLA clocks", "SLA-Uhren";
    DetailRelated => "Related (same tenant and host)", "Zugehörig (gleicher Kunde und Host)";
    DetailNoRelated => "none", "keine";
    DetailNobody => "nobody", "niemand";
    DetailDueAt => "due {}", "fällig {}";
    DetailMetAt => "met {}", "erfüllt {}";
    DetailPausedSince => "paused since {}", "pausiert seit {}";
    TenantsTitle => "Tenants", "Kunden";
    TenantsAll => "all tenants", "alle Kunden";
    HelpTitle => "Keys ({})", "Tasten ({})";
    FilterPrompt => "/", "/";
    FilterError => "filter: {}", "Filter: {}";
    FilterBadPriority => "{}: priority must be 1 to 4", "{}: Priorität muss 1 bis 4 sein";
    FilterUnknownKind => "{}: kind must be ticket, alert or backup", "{}: Art muss ticket, alert oder backup sein";
    FilterBadDuration => "{}: duration must look like 30m, 2h or 1h30m", "{}: Dauer wie 30m, 2h oder 1h30m angeben";
    CommandPrompt => ":", ":";
    CommandUnknown => "unknown command: {}", "unbekannter Befehl: {}";
    CommandUnexpectedArgs => "action `{}` takes no arguments", "Aktion `{}` nimmt keine Argumente";
    CommandMissingArgs => "action `{}` needs an argument", "Aktion `{}` braucht ein Argument";
    AuditResultOk => "ok", "ok";
    PendingKeys => "keys: {} …", "Tasten: {} …";
    TooSmall => "Terminal too small: {}x{}, need at least {}x{}.", "Terminal zu klein: {}x{}, mindestens {}x{} nötig.";
    SourcesOk => "sources ok", "Quellen ok";
    SourceDown => "{} down", "{} ausgefallen";
    SourceAuthFailed => "{} auth failed", "{} Anmeldung fehlgeschlagen";
    SourceDegraded => "{} degraded", "{} gestört";
    SourcePending => "{} pending", "{} ausstehend";
    HealthDown => "down", "ausgefallen";
    BlindSince => "monitoring blind since {} ({})", "Überwachung blind seit {} ({})";
    ActionSent => "{}: sent to {}", "{}: an {} gesendet";
    ActionOk => "{}: done", "{}: erledigt";
    BatchProgress => "{}: {} of {} done", "{}: {} von {} erledigt";
    BatchFailed => "{}: {} of {} done, {} failed (first: {})", "{}: {} von {} erledigt, {} fehlgeschlagen (zuerst: {})";
    ActionFailed => "{} failed: {}", "{} fehlgeschlagen: {}";
    ActionUnsupported => "{} is not supported by {}", "{} wird von {} nicht unterstützt";
    SourceNotRunning => "the source is not running (see the log)", "die Quelle läuft nicht (siehe Protokoll)";
    NothingSelected => "nothing selected", "nichts ausgewählt";
    AckComment => "acknowledged from nightdesk", "in nightdesk quittiert";
    FormAckTitle => "Acknowledge {} at {}", "{} an {} quittieren";
    FormDowntimeTitle => "Downtime for {} at {}", "Wartungszeit für {} an {}";
    FormAssignTitle => "Assign {} at {}", "{} an {} zuweisen";
    FormStatusTitle => "Status of {} at {}", "Status für {} an {}";
    FormNoteTitle => "Internal note on {} at {}", "Interne Notiz für {} an {}";
    FormRestoreTitle => "Restore test of the backup jobs of {} at {}", "Wiederherstellungstest der Backup-Jobs für {} an {}";
    FormUnackTitle => "Take back the acknowledgement of {} at {}?", "Quittierung für {} an {} zurücknehmen?";
    FormTakeTitle => "Take {} at {}?", "{} an {} übernehmen?";
    FormRecheckTitle => "Recheck {} at {}?", "{} an {} neu prüfen?";
    FormTargetsOne => "1 item of {}", "1 Eintrag von {}";
    FormTargetsOneTenant => "{} items of {}", "{} Einträge von {}";
    FormTargetsTenants => "{} items of {} tenants ({})", "{} Einträge von {} Kunden ({})";
    FormMoreSources => "{} and {} more", "{} und {} weiteren";
    FormConfirmHint => "enter sends to all of them · esc cancel", "Enter sendet an alle · Esc abbrechen";
    FormDuration => "Duration", "Dauer";
    FormComment => "Comment", "Kommentar";
    FormAgent => "Agent", "Bearbeiter";
    FormStatus => "Status", "Status";
    FormText => "Note", "Notiz";
    FormDate => "Tested on", "Getestet am";
    FormDateHint => "the day of the restore test, YYYY-MM-DD", "Tag des Wiederherstellungstests, JJJJ-MM-TT";
    FormCompleteHint => "tab completes: {}", "Tab ergänzt: {}";
    FormNoCandidates => "tab completes over the source's list (none known yet)", "Tab ergänzt aus der Liste der Quelle (noch keine bekannt)";
    FormNoteHint => "enter new line · alt-enter or ctrl-d send · esc cancel (text is kept)", "Enter neue Zeile · Alt-Enter oder Strg-D senden · Esc abbrechen (Text bleibt)";
    FormEmpty => "this field must not be empty", "dieses Feld darf nicht leer sein";
    FormBadDate => "`{}` is not a day (YYYY-MM-DD, not in the future)", "`{}` ist kein Tag (JJJJ-MM-TT, nicht in der Zukunft)";
    SomeSkipped => "{} of {} items skipped: their sources cannot {}", "{} von {} Einträgen übersprungen: ihre Quellen können kein {}";
    ViewShown => "view {}: {}", "Ansicht {}: {}";
    ViewUnknown => "no view `{}` (known: {})", "keine Ansicht `{}` (bekannt: {})";
    Marked => "{} marked", "{} markiert";
    SnoozedUntil => "{} item(s) snoozed until {} (or until they change)", "{} Eintrag/Einträge zurückgestellt bis {} (oder bis sie sich ändern)";
    SnoozedUntilChange => "{} item(s) snoozed until they change", "{} Eintrag/Einträge zurückgestellt, bis sie sich ändern";
    Unsnoozed => "snooze ended", "Zurückstellung beendet";
    SnoozedCount => "{} snoozed", "{} zurückgestellt";
    LocalNoteKept => "local note kept on {} item(s), not sent to the source", "lokale Notiz an {} Eintrag/Einträgen gespeichert, nicht an die Quelle gesendet";
    FormLocalNoteTitle => "Local note (stays in nightdesk): {} at {}", "Lokale Notiz (bleibt in nightdesk): {} an {}";
    DetailLocalNotes => "Local notes", "Lokale Notizen";
    Nis2Marked => "{} item(s) marked as significant security incident (NIS-2 clocks run)", "{} Eintrag/Einträge als erheblicher Sicherheitsvorfall markiert (NIS-2-Fristen laufen)";
    Nis2StepDone => "NIS-2 step done: {}", "NIS-2-Schritt erledigt: {}";
    Nis2Already => "already marked as a significant security incident", "bereits als erheblicher Sicherheitsvorfall markiert";
    Nis2NoSteps => "every NIS-2 step is done", "alle NIS-2-Schritte sind erledigt";
    FormSnoozeTitle => "Snooze {} at {}", "{} an {} zurückstellen";
    FormNis2MarkTitle => "Significant security incident (NIS-2): {} at {}", "Erheblicher Sicherheitsvorfall (NIS-2): {} an {}";
    FormNis2StepTitle => "NIS-2 step done for {} at {}", "NIS-2-Schritt erledigt für {} an {}";
    FormUntil => "Until", "Bis";
    FormWhen => "When", "Wann";
    FormStep => "Step", "Schritt";
    FormUntilHint => "2h, 07:30 or change; any change of the item ends it", "2h, 07:30 oder change; jede Änderung beendet es";
    FormWhenHint => "now, 14:05 or 2026-11-27 14:05 (not in the future)", "jetzt, 14:05 oder 2026-11-27 14:05 (nicht in der Zukunft)";
    FormBadUntil => "`{}`: write 2h, 07:30 or change", "`{}`: 2h, 07:30 oder change schreiben";
    FormBadWhen => "`{}`: write now, 14:05 or 2026-11-27 14:05, not in the future", "`{}`: jetzt, 14:05 oder 2026-11-27 14:05, nicht in der Zukunft";
    FormBadStep => "`{}`: one of early-warning, notification, final-report", "`{}`: early-warning, notification oder final-report";
    DetailTimeline => "Timeline", "Verlauf";
    TimelineCreated => "created", "erstellt";
    TimelineFirstResponse => "first response", "Erstreaktion";
    TimelineStatus => "status {}", "Status {}";
    TimelinePause => "paused {}", "pausiert {}";
    TimelineResolved => "resolved", "gelöst";
    TimelineNis2 => "NIS-2: aware", "NIS-2: bekannt";
    NotABackup => "only a backup finding has a restore test", "nur ein Backup-Befund hat einen Wiederherstellungstest";
    RestoreTestRecorded => "restore test of {} recorded", "Wiederherstellungstest vom {} festgehalten";
    DemoConfigIgnored => "config has errors (see nightdesk config check), the demo runs without it: {}", "Konfiguration fehlerhaft (siehe nightdesk config check), die Demo läuft ohne sie: {}";
    StoreUnavailable => "local database unavailable, actions are not audited: {}", "lokale Datenbank nicht verfügbar, Aktionen werden nicht protokolliert: {}";
    FormDurationHint => "e.g. 30m, 2h, 1d; empty: until it recovers", "z. B. 30m, 2h, 1d; leer: bis zur Erholung";
    FormHint => "enter send · tab next field · esc cancel (text is kept)", "Enter senden · Tab nächstes Feld · Esc abbrechen (Text bleibt)";
    FormBadDuration => "`{}` is not a duration (30m, 2h, 1d)", "`{}` ist keine Dauer (30m, 2h, 1d)";
    FormNeedsDuration => "a downtime needs a duration", "eine Wartungszeit braucht eine Dauer";
    SourcesTitle => "Sources", "Quellen";
    SourcesInsecure => "INSECURE: TLS NOT VERIFIED", "UNSICHER: TLS NICHT GEPRÜFT";
    SourcesLastOk => "last ok {}", "zuletzt ok {}";
    SourcesNeverOk => "never read", "noch nie gelesen";
    HealthOk => "ok", "ok";
    HealthDegraded => "degraded", "gestört";
    HealthAuthFailed => "auth failed", "Anmeldung fehlgeschlagen";
    HealthPending => "pending", "ausstehend";
    HintHelp => "help", "Hilfe";
    HintFilter => "filter", "Filter";
    HintQuit => "quit", "Beenden";
    HintCommand => "command", "Befehl";
    FieldHost => "host", "Host";
    FieldAddress => "address", "Adresse";
    FieldTenant => "tenant", "Kunde";
    FieldUser => "user", "Benutzer";
    FieldPort => "port", "Port";
    FieldJump => "jump host", "Sprung-Host";
    SessionBadValue => "{} `{}` {}", "{} `{}` {}";
    ProblemEmpty => "is empty", "ist leer";
    ProblemTooLong => "is longer than {} characters", "ist länger als {} Zeichen";
    ProblemControl => "contains a control character", "enthält ein Steuerzeichen";
    ProblemWhitespace => "contains whitespace", "enthält Leerraum";
    ProblemLeadingDash => "starts with `-` (it would be read as an option)", "beginnt mit `-` (würde als Option gelesen)";
    ProblemShellMeta => "contains the shell metacharacter `{}`", "enthält das Shell-Sonderzeichen `{}`";
    ProblemNotAllowed => "contains `{}`, which is not allowed here", "enthält `{}`, das hier nicht erlaubt ist";
    ProblemBadLabel => "is not a host name (labels of 1-63 letters, digits and inner hyphens)", "ist kein Hostname (Teile aus 1-63 Buchstaben, Ziffern und inneren Bindestrichen)";
    ProblemBadIp => "is not a valid IP address", "ist keine gültige IP-Adresse";
    ProblemBadPort => "is not a port (1-65535)", "ist kein Port (1-65535)";
    SessionUnknownProfile => "no session profile `{}`", "kein Sitzungsprofil `{}`";
    SessionDisabled => "the profile is disabled", "das Profil ist abgeschaltet";
    SessionNotForTenant => "the profile is not for this tenant", "das Profil gilt nicht für diesen Kunden";
    SessionNoHost => "the item has no host or address", "der Eintrag hat weder Host noch Adresse";
    SessionMissingSetting => "no `{}` configured for this profile and tenant", "kein `{}` für dieses Profil und diesen Kunden eingestellt";
    SessionEmptyArgument => "argument {} would be empty", "Argument {} wäre leer";
    SessionBadUrl => "`{}` is not an http(s) URL", "`{}` ist keine http(s)-URL";
    SessionExitCode => "exit status {}", "Exit-Status {}";
    SessionExitSignal => "signal {}", "Signal {}";
    SessionRefused => "{} not run: {} ({})", "{} nicht gestartet: {} ({})";
    SessionNotStarted => "{} could not start: {}", "{} konnte nicht starten: {}";
    SessionEnded => "{} ended: {}", "{} beendet: {}";
    SessionInWindow => "{}: new tmux window: {}", "{}: neues tmux-Fenster: {}";
    SessionStarted => "{} started: {}", "{} gestartet: {}";
    SessionCopied => "copied: {}", "kopiert: {}";
    SessionFellBack => "(not inside tmux: ran here)", "(nicht in tmux: hier ausgeführt)";
    SessionBanner => "connecting to {}/{}, exit to return", "Verbindung zu {}/{}, mit exit zurück";
    SessionBannerNoTmux => "not inside tmux, so here: connecting to {}/{}, exit to return", "nicht in tmux, daher hier: Verbindung zu {}/{}, mit exit zurück";
    SessionDetachedEnded => "{} ({}) ended: {}, see the log", "{} ({}) beendet: {}, siehe Log";
    SessionMenuTitle => "Session to {}", "Sitzung zu {}";
    SessionMenuHint => "enter start · first letter picks · esc close", "Enter starten · Anfangsbuchstabe wählt · Esc schließen";
    SessionNoneApplies => "no session profile fits this item", "kein Sitzungsprofil passt zu diesem Eintrag";
    NotifyNewItem => "New {} {} at {}", "Neu: {} {} bei {}";
    NotifyRaised => "Raised {} → {}: {} at {}", "Hochgestuft {} → {}: {} bei {}";
    NotifyItemLine => "{} {}: {}", "{} {}: {}";
    NotifySlaWarning => "SLA warning: {} due {}", "SLA-Warnung: {} fällig {}";
    NotifySlaBreach => "SLA breached: {} was due {}", "SLA verletzt: {} war fällig {}";
    NotifySourceDown => "Source down: {}", "Quelle ausgefallen: {}";
    NotifySourceAuthFailed => "Source refused the login: {}", "Quelle lehnt die Anmeldung ab: {}";
    NotifyBlindSince => "{} blind since {}: {}", "{} blind seit {}: {}";
    NotifySourceUp => "Source back: {}", "Quelle wieder da: {}";
    NotifyWasBlind => "{} was blind since {}", "{} war blind seit {}";
    NotifyMore => "… and {} more", "… und {} weitere";
    NotifyMoreBody => "rule {}: {} notifications held back by its rate limit", "Regel {}: {} Benachrichtigungen wegen Ratenbegrenzung zurückgehalten";
    NotifyNoDesktop => "desktop notifications skipped: {}", "Desktop-Benachrichtigungen übersprungen: {}";
    NotifyTestTitle => "nightdesk test notification", "nightdesk-Testbenachrichtigung";
    NotifyTestBody => "If you can read this, these channels work: {}.", "Wenn Sie das lesen, funktionieren diese Kanäle: {}.";
}

/// Replaces each `{}` in `template` by the next argument.
pub fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut args = args.iter();
    let mut rest = template;
    while let Some(pos) = rest.find("{}") {
        out.push_str(&rest[..pos]);
        out.push_str(args.next().copied().unwrap_or(""));
        rest = &rest[pos + 2..];
    }
    out.push_str(rest);
    out
}

/// The UI word for an item kind.
pub fn kind_label(lang: Lang, kind: crate::model::Kind) -> &'static str {
    use crate::model::Kind;
    t(
        lang,
        match kind {
            Kind::Ticket => Msg::KindTicket,
            Kind::Alert => Msg::KindAlert,
            Kind::Backup => Msg::KindBackup,
        },
    )
}

/// The UI words for an SLA clock.
pub fn clock_label(lang: Lang, kind: crate::sla::ClockKind) -> &'static str {
    use crate::sla::ClockKind;
    t(
        lang,
        match kind {
            ClockKind::FirstResponse => Msg::ClockFirstResponse,
            ClockKind::NextUpdate => Msg::ClockNextUpdate,
            ClockKind::Resolution => Msg::ClockResolution,
            ClockKind::Nis2EarlyWarning => Msg::ClockNis2EarlyWarning,
            ClockKind::Nis2Notification => Msg::ClockNis2Notification,
            ClockKind::Nis2FinalReport => Msg::ClockNis2FinalReport,
        },
    )
}

/// One-line description of an action, for the help screen and the command line.
pub fn describe(lang: Lang, id: ActionId) -> &'static str {
    let (en, de) = action_text(id);
    match lang {
        Lang::En => en,
        Lang::De => de,
    }
}

fn action_text(id: ActionId) -> (&'static str, &'static str) {
    use ActionId::*;
    match id {
        Noop => (
            "do nothing (unbinds a key)",
            "nichts tun (hebt eine Belegung auf)",
        ),
        Quit => ("quit nightdesk", "nightdesk beenden"),
        Help => (
            "show the keys of the active keymap",
            "Tasten der aktiven Belegung zeigen",
        ),
        Filter => ("filter the queue", "Queue filtern"),
        CommandLine => ("open the command line", "Befehlszeile öffnen"),
        Cancel => ("close, cancel or clear", "schließen, abbrechen oder leeren"),
        Redraw => ("redraw the whole screen", "ganzen Bildschirm neu zeichnen"),
        ToggleTenants => (
            "show or hide the tenant list",
            "Kundenliste ein- oder ausblenden",
        ),
        SelectNext => ("select the next row", "nächste Zeile wählen"),
        SelectPrev => ("select the previous row", "vorige Zeile wählen"),
        SelectFirst => ("select the first row", "erste Zeile wählen"),
        SelectLast => ("select the last row", "letzte Zeile wählen"),
        PageDown => ("one page down", "eine Seite weiter"),
        PageUp => ("one page up", "eine Seite zurück"),
        OpenDetail => ("open the detail pane", "Detailansicht öffnen"),
        CloseDetail => ("close the detail pane", "Detailansicht schließen"),
        ToggleDetail => (
            "open or close the detail pane",
            "Detailansicht öffnen oder schließen",
        ),
        ClearFilter => ("clear the filter", "Filter löschen"),
        SetFilter => (
            "set the filter to the given text",
            "Filter auf den Text setzen",
        ),
        FilterTenant => (
            "filter to the selected item's tenant",
            "auf den Kunden des Eintrags filtern",
        ),
        FilterHost => (
            "filter to the selected item's host",
            "auf den Host des Eintrags filtern",
        ),
        Ack => (
            "acknowledge the selected item at its source",
            "Eintrag an der Quelle quittieren",
        ),
        Unack => ("take back the acknowledgement", "Quittierung zurücknehmen"),
        Take => ("assign the selected item to me", "Eintrag mir zuweisen"),
        Downtime => (
            "schedule a downtime for the selected item's host or service",
            "Wartungszeit für Host oder Dienst des Eintrags einplanen",
        ),
        Recheck => (
            "ask the monitoring to check again now",
            "Überwachung jetzt neu prüfen lassen",
        ),
        Assign => (
            "assign the selected ticket to someone (completes over the source's agents)",
            "Ticket jemandem zuweisen (ergänzt aus den Bearbeitern der Quelle)",
        ),
        SetStatus => (
            "change the selected ticket's status (completes over the source's statuses)",
            "Status des Tickets ändern (ergänzt aus den Status der Quelle)",
        ),
        Note => (
            "write an internal note on the selected ticket",
            "interne Notiz zum Ticket schreiben",
        ),
        RestoreTestDone => (
            "record a successful restore test of the selected backup job",
            "erfolgreichen Wiederherstellungstest des Backup-Jobs festhalten",
        ),
        Send => ("send the open form", "offenes Formular senden"),
        LocalNote => (
            "write a local note on the selected item: kept in nightdesk for the next shift, never sent to the source",
            "lokale Notiz zum Eintrag schreiben: bleibt in nightdesk für die nächste Schicht, geht nie an die Quelle",
        ),
        Snooze => (
            "snooze the selected item until a time or until it changes (again: wake it)",
            "Eintrag zurückstellen bis zu einer Zeit oder einer Änderung (nochmal: aufwecken)",
        ),
        ToggleSnoozed => (
            "show or hide snoozed items",
            "zurückgestellte Einträge zeigen oder verbergen",
        ),
        SecurityIncident => (
            "mark as significant security incident (NIS-2 clocks), or record a NIS-2 step as done",
            "als erheblichen Sicherheitsvorfall markieren (NIS-2-Fristen) oder NIS-2-Schritt erledigen",
        ),
        ToggleMark => (
            "mark or unmark the selected item (actions go to all marked)",
            "Eintrag markieren oder Markierung aufheben (Aktionen gelten allen markierten)",
        ),
        MarkAll => (
            "mark every item in the view",
            "alle Einträge der Ansicht markieren",
        ),
        ClearMarks => ("remove every mark", "alle Markierungen aufheben"),
        View => (
            "show a saved view (`view mine`, or a name from [views])",
            "gespeicherte Ansicht zeigen (`view mine` oder ein Name aus [views])",
        ),
        Refresh => (
            "read every source again now",
            "alle Quellen jetzt neu lesen",
        ),
        ToggleSources => (
            "show or hide the sources view",
            "Quellen und ihren Zustand ein- oder ausblenden",
        ),
        ShowTenant => (
            "filter to the tenant chosen in the list",
            "auf den gewählten Kunden filtern",
        ),
        Accept => ("accept the input", "Eingabe übernehmen"),
        Complete => ("complete the action name", "Aktionsnamen vervollständigen"),
        DeleteBackward => (
            "delete the character before the cursor",
            "Zeichen vor dem Cursor löschen",
        ),
        DeleteWord => (
            "delete the word before the cursor",
            "Wort vor dem Cursor löschen",
        ),
        ClearLine => ("clear the input line", "Eingabezeile leeren"),
        CursorLeft => ("cursor left", "Cursor nach links"),
        CursorRight => ("cursor right", "Cursor nach rechts"),
        CursorHome => ("cursor to the start", "Cursor an den Anfang"),
        CursorEnd => ("cursor to the end", "Cursor ans Ende"),
        HistoryPrev => ("previous input from history", "vorige Eingabe"),
        HistoryNext => ("next input from history", "nächste Eingabe"),
        Session => (
            "open a remote session to the item's host with the named profile",
            "Fernsitzung zum Host des Eintrags mit dem genannten Profil öffnen",
        ),
        SessionMenu => (
            "choose a session profile for the item's host",
            "Sitzungsprofil für den Host des Eintrags wählen",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::REGISTRY;

    #[test]
    fn every_message_has_both_languages_with_same_placeholders() {
        for &m in Msg::ALL {
            let (en, de) = (t(Lang::En, m), t(Lang::De, m));
            assert!(!en.is_empty() && !de.is_empty(), "{m:?} empty");
            assert_eq!(en.matches("{}").count(), de.matches("{}").count(), "{m:?}");
        }
        for spec in REGISTRY {
            assert!(!describe(Lang::En, spec.id).is_empty());
            assert!(!describe(Lang::De, spec.id).is_empty());
        }
    }

    #[test]
    fn fill_places_arguments_in_order() {
        assert_eq!(fill("{} of {}", &["3", "10"]), "3 of 10");
        assert_eq!(fill("no args", &["x"]), "no args");
    }
}
