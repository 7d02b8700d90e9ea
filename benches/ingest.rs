//! Ingest from a real Prometheus Alertmanager: 10k alerts fetched over HTTP, parsed and
//! merged into the queue. Measured in CPU time of the nightdesk process (all threads,
//! `CLOCK_PROCESS_CPUTIME_ID`), so the Alertmanager's own work on the other end of the
//! socket is not counted, and in wall time for comparison.
//!
//! Needs `prometheus-alertmanager` (scripts/services.sh install alertmanager); the bench
//! starts its own instance on a free port.

#[path = "../tests/common/servers.rs"]
mod servers;

use std::path::Path;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BatchSize, Criterion, Throughput};
use jiff::Timestamp;
use nightdesk::config::Config;
use nightdesk::queue::{ContractBook, Queue};
use nightdesk::sla::Contract;
use nightdesk::sources::build::{BuildContext, build};
use nightdesk::sources::http::Limiter;
use nightdesk::sources::{Fetched, Source};
use serde_json::json;

const ALERTS: usize = 10_000;

/// CPU time of this process, all threads.
struct CpuTime;

fn cpu_now() -> Duration {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_PROCESS_CPUTIME_ID)
        .expect("process CPU clock");
    Duration::new(t.tv_sec() as u64, t.tv_nsec() as u32)
}

impl Measurement for CpuTime {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        cpu_now()
    }
    fn end(&self, start: Duration) -> Duration {
        cpu_now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns cpu")
        } else if typical < 1e6 {
            (1e-3, "µs cpu")
        } else if typical < 1e9 {
            (1e-6, "ms cpu")
        } else {
            (1e-9, "s cpu")
        };
        for v in values {
            *v *= factor;
        }
        unit
    }
    fn scale_throughputs(
        &self,
        _typical: f64,
        _t: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        for v in values {
            *v = 0.0;
        }
        "n/a"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns cpu"
    }
}

/// 10k distinct firing alerts over 120 tenants and 2000 hosts, like a large MSP's
/// monitoring, posted in batches.
fn fill(am: &servers::Alertmanager) {
    for batch in 0..(ALERTS / 1000) {
        let alerts: Vec<_> = (0..1000)
            .map(|i| {
                let n = batch * 1000 + i;
                let name = [
                    "DiskFull",
                    "HostDown",
                    "HighLoad",
                    "BackupFailed",
                    "CertExpiry",
                ][n % 5];
                let severity = ["critical", "warning", "info"][n % 3];
                servers::firing_alert(
                    json!({
                        "alertname": name,
                        "instance": format!("srv-{:04}.kunde{:03}.local:9100", n % 2000, n % 120),
                        "tenant": format!("kunde{:03}", n % 120),
                        "severity": severity,
                        "job": "node",
                        "seq": n.to_string(),
                    }),
                    &format!(
                        "Alert {n}: Festplatte /var zu 9{}% voll auf srv-{:04}",
                        n % 10,
                        n % 2000
                    ),
                )
            })
            .collect();
        am.post_alerts(&serde_json::Value::Array(alerts));
    }
}

fn source(url: &str) -> Box<dyn Source> {
    let text = format!(
        "[[sources]]\nid = \"am\"\nkind = \"alertmanager\"\nbase-url = \"{url}\"\ntimeout = \"30s\"\n"
    );
    let config = Config::parse(Path::new("bench.toml"), &text).expect("config");
    let ctx = BuildContext::new(Limiter::default(), Vec::new(), Timestamp::now());
    build(&config.sources[0], &ctx).expect("build").remove(0)
}

fn empty_queue() -> Queue {
    Queue::new(
        ContractBook::new(std::sync::Arc::new(Contract::default())),
        Timestamp::now(),
    )
}

fn fetch(
    rt: &tokio::runtime::Runtime,
    source: &mut Box<dyn Source>,
) -> Vec<nightdesk::model::Item> {
    match rt.block_on(source.fetch(Timestamp::now())).expect("fetch") {
        Fetched::Full(items) => items,
        Fetched::Delta { .. } => unreachable!("alertmanager answers in full"),
    }
}

fn main() {
    let am = servers::Alertmanager::start_plain();
    fill(&am);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut src = source(&am.url());
    let n = fetch(&rt, &mut src).len();
    assert_eq!(n, ALERTS, "the Alertmanager holds every alert");
    let id = src.id().clone();

    let mut c = Criterion::default()
        .with_measurement(CpuTime)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(15))
        .configure_from_args();
    c.bench_function(
        "ingest/10k alerts from Alertmanager: fetch+parse+merge into empty queue (cpu)",
        |b| {
            b.iter_batched(
                empty_queue,
                |mut q| {
                    let items = fetch(&rt, &mut src);
                    q.apply_full(&id, items);
                    q
                },
                BatchSize::PerIteration,
            )
        },
    );
    let mut steady = empty_queue();
    steady.apply_full(&id, fetch(&rt, &mut src));
    c.bench_function(
        "ingest/10k alerts from Alertmanager: refresh of an unchanged queue (cpu)",
        |b| {
            b.iter(|| {
                let items = fetch(&rt, &mut src);
                steady.apply_full(&id, items);
            })
        },
    );
    c.bench_function("ingest/10k alerts: fetch+parse only (cpu)", |b| {
        b.iter(|| fetch(&rt, &mut src))
    });
    c.final_summary();

    let mut wall = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(15))
        .configure_from_args();
    wall.bench_function(
        "ingest/10k alerts from Alertmanager: fetch+parse+merge into empty queue (wall)",
        |b| {
            b.iter_batched(
                empty_queue,
                |mut q| {
                    let items = fetch(&rt, &mut src);
                    q.apply_full(&id, items);
                    q
                },
                BatchSize::PerIteration,
            )
        },
    );
    wall.final_summary();
}
