//! The shared request limit: hundreds of sources polled at once stay within the bound on
//! requests in flight, and servers that hang do not take the slots healthy ones need. The
//! servers here are tiny local TCP servers that only count connections and answer `[]` (an
//! empty Alertmanager alert list), never answer at all, or hang up without an answer.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use jiff::Timestamp;
use nightdesk::config::Config;
use nightdesk::sources::Source;
use nightdesk::sources::build::{BuildContext, build};
use nightdesk::sources::http::Limiter;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Connections open at once across the servers that share it, and the most seen.
#[derive(Clone, Default)]
struct Gauge {
    open: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
}

impl Gauge {
    fn opened(&self) {
        let now = self.open.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
    }
    fn closed(&self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
    }
    fn most(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

/// Answers every request with `[]` after `delay`, counting connections open at once.
async fn counting_server(delay: Duration) -> (String, Arc<AtomicUsize>) {
    let gauge = Gauge::default();
    let url = counting_server_on(delay, gauge.clone()).await;
    (url, gauge.max)
}

/// A local server that runs `serve` on each connection, counted as open on `gauge` from
/// the accept on; `serve` says when it counts as closed (before the answer goes out, so
/// that a client that got its answer and sends the next request is never counted twice).
async fn local_server<F, Fut>(gauge: Gauge, serve: F) -> String
where
    F: Fn(tokio::net::TcpStream, Gauge) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            gauge.opened();
            tokio::spawn(serve(socket, gauge.clone()));
        }
    });
    url
}

/// Reads a request's head (up to the blank line) off `socket`.
async fn read_head(socket: &mut tokio::net::TcpStream) {
    let mut buf = vec![0u8; 4096];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
    }
}

/// Like [`counting_server`], counting on `gauge`.
async fn counting_server_on(delay: Duration, gauge: Gauge) -> String {
    local_server(gauge, move |mut socket, gauge| async move {
        read_head(&mut socket).await;
        // The server's think time, so that requests overlap.
        tokio::time::sleep(delay).await;
        gauge.closed();
        let _ = socket
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]")
            .await;
    })
    .await
}

/// Accepts connections and never answers, counting each on `gauge` until the client gives
/// up and closes it.
async fn tarpit(gauge: Gauge) -> String {
    local_server(gauge, |mut socket, gauge| async move {
        let mut buf = vec![0u8; 4096];
        while socket.read(&mut buf).await.is_ok_and(|n| n > 0) {}
        gauge.closed();
    })
    .await
}

/// A dead server the client sees fail in transport: holds each request for `hold` and
/// hangs up without an answer. Counted as closed before it hangs up, so that the client's
/// slot is free only after the count went down (a client-side timeout instead would
/// free it while the server may not yet have noticed the close).
async fn hang_up_server(hold: Duration, gauge: Gauge) -> String {
    local_server(gauge, move |mut socket, gauge| async move {
        read_head(&mut socket).await;
        tokio::time::sleep(hold).await;
        gauge.closed();
        drop(socket);
    })
    .await
}

fn sources(urls: &[String], timeout: &str, limiter: &Limiter) -> Vec<Box<dyn Source>> {
    let text: String = urls
        .iter()
        .enumerate()
        .map(|(i, u)| {
            format!(
                "[[sources]]\nid = \"am-{i}\"\nkind = \"alertmanager\"\nbase-url = \"{u}\"\ntimeout = \"{timeout}\"\n"
            )
        })
        .collect();
    let config = Config::parse(Path::new("many.toml"), &text).unwrap();
    let ctx = BuildContext::new(limiter.clone(), Vec::new(), Timestamp::now());
    config
        .sources
        .iter()
        .flat_map(|sc| build(sc, &ctx).unwrap())
        .collect()
}

#[test]
fn two_hundred_sources_stay_within_the_bound_on_requests_in_flight() {
    let rt = common::runtime();
    rt.block_on(async {
        let (url, max_open) = counting_server(Duration::from_millis(30)).await;
        let limiter = Limiter::new(16);
        let urls = vec![url; 200];
        let mut all = sources(&urls, "10s", &limiter);
        let now = Timestamp::now();
        let results = join_all(all.iter_mut().map(|s| s.fetch(now))).await;
        assert!(results.iter().all(Result::is_ok), "every source answered");
        let max = max_open.load(Ordering::SeqCst);
        assert!(max <= 16, "{max} requests were in flight at once");
        assert!(max > 1, "sources were polled concurrently, not one by one");
        assert_eq!(limiter.available(), 16, "every slot was given back");
    });
}

#[test]
fn hanging_servers_do_not_take_the_slots_of_healthy_ones() {
    let rt = common::runtime();
    rt.block_on(async {
        let limiter = Limiter::new(4);
        let dead_url = tarpit(Gauge::default()).await;
        let mut dead = sources(&vec![dead_url; 8], "2s", &limiter);
        let (healthy_url, _) = counting_server(Duration::ZERO).await;
        let mut healthy = sources(&[healthy_url], "10s", &limiter);
        let now = Timestamp::now();
        // First round: the dead servers time out and are known as failing from then on.
        for r in join_all(dead.iter_mut().map(|s| s.fetch(now))).await {
            assert!(
                matches!(r, Err(nightdesk::sources::SourceError::Timeout(_))),
                "{r:?}"
            );
        }
        // Second round: the dead ones hang again, queued in their own lane; the healthy
        // source is answered while they still hang.
        let hanging = join_all(dead.iter_mut().map(|s| s.fetch(now)));
        tokio::pin!(hanging);
        tokio::select! {
            r = healthy[0].fetch(now) => assert!(r.is_ok(), "{r:?}"),
            _ = &mut hanging => panic!("the healthy source waited for the dead ones"),
        }
    });
}

#[test]
fn dead_and_healthy_servers_together_stay_within_the_bound() {
    let rt = common::runtime();
    rt.block_on(async {
        let gauge = Gauge::default();
        let limiter = Limiter::new(8);
        let dead_url = hang_up_server(Duration::from_millis(300), gauge.clone()).await;
        let mut dead = sources(&vec![dead_url; 12], "10s", &limiter);
        let healthy_url = counting_server_on(Duration::from_millis(20), gauge.clone()).await;
        let mut healthy = sources(&vec![healthy_url; 60], "10s", &limiter);
        let now = Timestamp::now();
        // First round marks the dead ones as failing; the second has both lanes busy.
        join_all(dead.iter_mut().map(|s| s.fetch(now))).await;
        let (dead_results, healthy_results) = tokio::join!(
            join_all(dead.iter_mut().map(|s| s.fetch(now))),
            join_all(healthy.iter_mut().map(|s| s.fetch(now))),
        );
        assert!(
            dead_results
                .iter()
                .all(|r| matches!(r, Err(nightdesk::sources::SourceError::Unreachable(_)))),
            "{dead_results:?}"
        );
        assert!(healthy_results.iter().all(Result::is_ok));
        let most = gauge.most();
        assert!(
            most <= 8,
            "{most} requests in flight at once, over the bound of 8"
        );
        assert!(most > 2, "healthy sources ran alongside the dead ones");
        assert_eq!(limiter.available(), 8, "every slot was given back");
    });
}
