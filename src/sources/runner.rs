//! Runs each source in its own tokio task: polls on its interval with a timeout, retries a
//! failed fetch with exponential backoff and jitter, carries out write-backs, and reports
//! everything to the application as [`SourceEvent`]s. One source failing never delays another.
//!
//! Health follows the failures: a single failed poll makes a source *degraded* (its items
//! stay current-looking while it is retried); `down_after` failures in a row make it
//! *down* (its items turn stale and its outage becomes an item); refused credentials are
//! *auth failed* at once, since retrying will not fix them.

use std::time::Duration;

use tokio::sync::mpsc;

use super::{AsSeen, Source, SourceError, SourceEvent, Vocabulary, WriteBack};
use crate::clock::SharedClock;
use crate::model::{Health, ItemKey};

/// How often and how patiently a source is polled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PollPolicy {
    pub interval: Duration,
    pub timeout: Duration,
    /// First retry delay after a failure; doubles up to `interval`.
    pub min_backoff: Duration,
    /// Failed polls in a row after which the source counts as down.
    pub down_after: u32,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            min_backoff: Duration::from_secs(1),
            down_after: 3,
        }
    }
}

impl PollPolicy {
    /// The time a whole fetch may take: several requests, each with `timeout`, plus the
    /// wait for a free slot among the requests in flight.
    pub fn fetch_deadline(&self) -> Duration {
        self.timeout.saturating_mul(4)
    }
}

/// A request to a running source.
#[derive(Debug)]
pub enum SourceCommand {
    /// Carry out a write-back; answered by a [`SourceEvent::WriteBackDone`] with the same
    /// `seq`.
    WriteBack {
        seq: u64,
        item: ItemKey,
        action: WriteBack,
        /// The item as the user saw it when they asked (see [`AsSeen`]).
        seen: Option<AsSeen>,
    },
    /// Fetch now instead of waiting for the interval.
    Refresh,
}

/// Handle to a spawned source task.
pub struct SourceHandle {
    pub commands: mpsc::UnboundedSender<SourceCommand>,
    pub task: tokio::task::JoinHandle<()>,
}

/// Spawns `source` on the current runtime.
pub fn spawn(
    source: Box<dyn Source>,
    policy: PollPolicy,
    clock: SharedClock,
    events: mpsc::UnboundedSender<SourceEvent>,
) -> SourceHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(source, policy, clock, events, rx));
    SourceHandle { commands: tx, task }
}

async fn run(
    mut source: Box<dyn Source>,
    policy: PollPolicy,
    clock: SharedClock,
    events: mpsc::UnboundedSender<SourceEvent>,
    mut commands: mpsc::UnboundedReceiver<SourceCommand>,
) {
    let mut failures: u32 = 0;
    let mut health = Health::Pending;
    let mut vocabulary = Vocabulary::default();
    loop {
        let outcome = poll_once(
            &mut *source,
            &policy,
            &clock,
            &events,
            &mut health,
            failures,
        )
        .await;
        announce_vocabulary(&*source, &events, &mut vocabulary);
        let (wait, hold) = match outcome {
            Ok(()) => {
                failures = 0;
                (next_delay(&policy, 0, fastrand::f64()), None)
            }
            Err(failed) => {
                failures = failures.saturating_add(1);
                let wait = retry_delay(&policy, failures, &failed, fastrand::f64());
                (wait, failed.retry_after)
            }
        };
        let now = tokio::time::Instant::now();
        let next_poll = now + wait;
        // A server that asked us to wait (429 with Retry-After) is not read again before
        // then, not even after a write-back or a refresh the user asked for.
        let held_until = hold.map(|h| now + h);
        // Wait for the next poll; a command ends the wait early (a write-back is followed
        // by a fetch at once, so the item's state comes from the source, not from a guess).
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next_poll) => break,
                cmd = commands.recv() => match cmd {
                    None => return,
                    Some(SourceCommand::Refresh) => {}
                    Some(SourceCommand::WriteBack { seq, item, action, seen }) => {
                        let request = Request { seq, item, action, seen };
                        write_back(&mut *source, &policy, &clock, &events, request).await;
                        announce_vocabulary(&*source, &events, &mut vocabulary);
                    }
                },
            }
            if held_until.is_none_or(|h| tokio::time::Instant::now() >= h) {
                break;
            }
        }
        if events.is_closed() {
            return;
        }
    }
}

/// What a failed poll tells the retry schedule.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Failed {
    /// How long the server asked us to wait (HTTP 429 with `Retry-After`).
    pub retry_after: Option<Duration>,
    /// Whether trying again soon may help: an outage may end, refused credentials will not
    /// (retrying them quickly would re-run a `command` secret every second and count as
    /// failed logins on the server, which may lock the account).
    pub transient: bool,
}

/// Delay before the next poll after the `failures`-th failure in a row: exponential
/// backoff for an outage, the full poll interval for refused credentials, and never less
/// than the server asked for.
pub fn retry_delay(policy: &PollPolicy, failures: u32, failed: &Failed, jitter: f64) -> Duration {
    let backoff = if failed.transient {
        next_delay(policy, failures, jitter)
    } else {
        next_delay(policy, 0, jitter)
    };
    backoff.max(failed.retry_after.unwrap_or_default())
}

/// Fetches once; sends data and any change of health. `failures`: failed polls in a row
/// before this one. `Err` says how the failure bears on the retry schedule.
async fn poll_once(
    source: &mut dyn Source,
    policy: &PollPolicy,
    clock: &SharedClock,
    events: &mpsc::UnboundedSender<SourceEvent>,
    health: &mut Health,
    failures: u32,
) -> Result<(), Failed> {
    let id = source.id().clone();
    let now = clock.now();
    let deadline = policy.fetch_deadline();
    let result = match tokio::time::timeout(deadline, source.fetch(now)).await {
        Ok(r) => r,
        Err(_) => Err(SourceError::Timeout(deadline.as_secs())),
    };
    let (new_health, outcome) = match result {
        Ok(fetched) => {
            let _ = events.send(SourceEvent::Data {
                source: id.clone(),
                at: clock.now(),
                fetched,
            });
            let health = source.degraded().map_or(Health::Ok, Health::Degraded);
            (health, Ok(()))
        }
        Err(e) => {
            tracing::warn!(source = %id, error = %e, "fetch failed");
            let retry_after = match &e {
                SourceError::RateLimited(Some(s)) => Some(Duration::from_secs(*s)),
                _ => None,
            };
            let failed = Failed {
                retry_after,
                transient: e.is_transient(),
            };
            (health_after(&e, failures + 1, policy), Err(failed))
        }
    };
    if new_health != *health {
        *health = new_health.clone();
        let _ = events.send(SourceEvent::Health {
            source: id,
            at: clock.now(),
            health: new_health,
        });
    }
    outcome
}

/// Tells the application the source's agents and statuses when they differ from `last`
/// (read for the first time, or read again and changed).
fn announce_vocabulary(
    source: &dyn Source,
    events: &mpsc::UnboundedSender<SourceEvent>,
    last: &mut Vocabulary,
) {
    let now = source.vocabulary();
    if now != *last {
        let _ = events.send(SourceEvent::Vocabulary {
            source: source.id().clone(),
            vocabulary: now.clone(),
        });
        *last = now;
    }
}

/// The health after `e`, the `failures`-th failed poll in a row.
pub fn health_after(e: &SourceError, failures: u32, policy: &PollPolicy) -> Health {
    if !e.is_transient() || failures >= policy.down_after {
        e.health()
    } else {
        Health::Degraded(format!("retrying after: {e}"))
    }
}

/// A write-back as the application sent it.
struct Request {
    seq: u64,
    item: ItemKey,
    action: WriteBack,
    seen: Option<AsSeen>,
}

async fn write_back(
    source: &mut dyn Source,
    policy: &PollPolicy,
    clock: &SharedClock,
    events: &mpsc::UnboundedSender<SourceEvent>,
    request: Request,
) {
    let Request {
        seq,
        item,
        action,
        seen,
    } = request;
    let now = clock.now();
    let deadline = policy.fetch_deadline();
    let result = match tokio::time::timeout(
        deadline,
        source.write_back_as_seen(&item, &action, seen.as_ref(), now),
    )
    .await
    {
        Ok(r) => r,
        Err(_) => Err(SourceError::Timeout(deadline.as_secs())),
    };
    tracing::info!(source = %source.id(), item = %item.external_id, action = action.name(), ok = result.is_ok(), "write-back");
    let _ = events.send(SourceEvent::WriteBackDone {
        seq,
        source: source.id().clone(),
        item,
        action: action.name(),
        result,
    });
}

/// Delay before the next poll: the interval when healthy; after `failures` failures an
/// exponential backoff from `min_backoff`, capped at the interval, with ±25 % jitter
/// (`jitter` in 0..1) so many sources that failed together do not retry in lockstep.
pub fn next_delay(policy: &PollPolicy, failures: u32, jitter: f64) -> Duration {
    let base = if failures == 0 {
        policy.interval
    } else {
        let exp = policy
            .min_backoff
            .saturating_mul(1u32 << (failures - 1).min(16));
        exp.min(policy.interval)
    };
    base.mul_f64(0.75 + 0.5 * jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceId;

    /// A source that learns of an agent at its third poll (`fetches`, counted by the test).
    struct Staff {
        id: SourceId,
        fetches: usize,
    }

    impl Source for Staff {
        fn id(&self) -> &SourceId {
            &self.id
        }
        fn kind(&self) -> &'static str {
            "staff"
        }
        fn fetch(
            &mut self,
            _now: jiff::Timestamp,
        ) -> super::super::BoxFuture<'_, Result<super::super::Fetched, SourceError>> {
            Box::pin(async { Ok(super::super::Fetched::Full(Vec::new())) })
        }
        fn vocabulary(&self) -> Vocabulary {
            Vocabulary {
                agents: if self.fetches >= 3 {
                    vec!["anna".into()]
                } else {
                    Vec::new()
                },
                statuses: vec!["New".into()],
            }
        }
    }

    #[test]
    fn vocabulary_is_announced_when_it_changes_only() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut source = Staff {
            id: SourceId::new("staff"),
            fetches: 0,
        };
        let mut last = Vocabulary::default();
        let mut announced = Vec::new();
        for _ in 0..5 {
            source.fetches += 1;
            announce_vocabulary(&source, &tx, &mut last);
            while let Ok(event) = rx.try_recv() {
                if let SourceEvent::Vocabulary { source, vocabulary } = event {
                    assert_eq!(source.as_str(), "staff");
                    announced.push(vocabulary.agents);
                }
            }
        }
        assert_eq!(
            announced,
            [Vec::<String>::new(), vec!["anna".to_string()]],
            "the first vocabulary, then the one with the new agent, never the same twice"
        );
        assert_eq!(last.statuses, ["New"]);
    }

    #[test]
    fn backoff_doubles_up_to_interval_with_jitter() {
        let p = PollPolicy {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
            min_backoff: Duration::from_secs(1),
            down_after: 3,
        };
        assert_eq!(next_delay(&p, 0, 0.5), Duration::from_secs(30));
        assert_eq!(next_delay(&p, 1, 0.5), Duration::from_secs(1));
        assert_eq!(next_delay(&p, 3, 0.5), Duration::from_secs(4));
        assert_eq!(next_delay(&p, 10, 0.5), Duration::from_secs(30));
        assert_eq!(next_delay(&p, 1, 0.0), Duration::from_millis(750));
        assert_eq!(next_delay(&p, 1, 1.0), Duration::from_millis(1250));
    }

    #[test]
    fn refused_credentials_wait_the_interval_and_a_retry_after_is_honoured() {
        let p = PollPolicy::default();
        let outage = Failed {
            retry_after: None,
            transient: true,
        };
        let refused = Failed {
            retry_after: None,
            transient: false,
        };
        assert_eq!(retry_delay(&p, 1, &outage, 0.5), Duration::from_secs(1));
        for failures in 1..5 {
            assert_eq!(
                retry_delay(&p, failures, &refused, 0.5),
                p.interval,
                "a wrong password is tried again at the poll interval, not in a second"
            );
        }
        let asked = Failed {
            retry_after: Some(Duration::from_secs(120)),
            transient: true,
        };
        assert_eq!(retry_delay(&p, 1, &asked, 0.5), Duration::from_secs(120));
    }

    /// Asks for a minute's rest (HTTP 429) at its first read, answers after that; notes
    /// when each read came.
    struct Throttled {
        id: SourceId,
        reads: std::sync::Arc<std::sync::Mutex<Vec<tokio::time::Instant>>>,
    }

    impl Source for Throttled {
        fn id(&self) -> &SourceId {
            &self.id
        }
        fn kind(&self) -> &'static str {
            "throttled"
        }
        fn fetch(
            &mut self,
            _now: jiff::Timestamp,
        ) -> super::super::BoxFuture<'_, Result<super::super::Fetched, SourceError>> {
            let mut reads = self.reads.lock().unwrap();
            reads.push(tokio::time::Instant::now());
            let first = reads.len() == 1;
            Box::pin(async move {
                if first {
                    Err(SourceError::RateLimited(Some(60)))
                } else {
                    Ok(super::super::Fetched::Full(Vec::new()))
                }
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_refresh_does_not_cut_short_the_wait_a_server_asked_for() {
        let reads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let source = Throttled {
            id: SourceId::new("throttled"),
            reads: reads.clone(),
        };
        let (events, mut rx) = mpsc::unbounded_channel();
        let clock: SharedClock = std::sync::Arc::new(crate::clock::SystemClock);
        let handle = spawn(Box::new(source), PollPolicy::default(), clock, events);
        // The first read is refused with Retry-After: 60; the user asks for a refresh.
        while !matches!(rx.recv().await, Some(SourceEvent::Health { .. })) {}
        handle.commands.send(SourceCommand::Refresh).unwrap();
        while !matches!(rx.recv().await, Some(SourceEvent::Data { .. })) {}
        let reads = reads.lock().unwrap().clone();
        assert_eq!(reads.len(), 2);
        let rest = reads[1] - reads[0];
        assert!(
            rest >= Duration::from_secs(60),
            "read again after {rest:?}, before the 60 s the server asked for"
        );
        handle.task.abort();
    }

    #[test]
    fn degraded_first_down_after_repeated_failures_auth_at_once() {
        let p = PollPolicy::default();
        let refused = SourceError::Unreachable("connection refused".into());
        assert!(matches!(health_after(&refused, 1, &p), Health::Degraded(_)));
        assert!(matches!(health_after(&refused, 2, &p), Health::Degraded(_)));
        assert!(matches!(health_after(&refused, 3, &p), Health::Down(_)));
        let auth = SourceError::Auth("HTTP 401".into());
        assert!(matches!(health_after(&auth, 1, &p), Health::AuthFailed(_)));
    }
}
