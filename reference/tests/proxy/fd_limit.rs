//! The proxy under an open-file limit lower than the connections thrown at it: it caps its client
//! connections below the limit (descriptors stay free for the upstream), does not spin on failed accepts,
//! answers the clients it has correctly, and serves a new client once idle ones time out.

use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use ksnsim_reference::protocol::{ObjectRef, lookup_path};

use super::file;
use super::proxy_binary::{cpu_ticks, start_proxy, upstream_for_binaries};
use super::raw::{answers, connect, read_to_close};

/// `count` lookups, pipelined; the last one asks the proxy to close the connection after answering.
fn pipelined_lookups(first: u32, count: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    for n in first..first + count {
        let close = if n + 1 == first + count {
            "Connection: close\r\n"
        } else {
            ""
        };
        let path = lookup_path(&file(n));
        bytes.extend_from_slice(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nKSN-Statement: 1\r\n{close}\r\n").as_bytes(),
        );
    }
    bytes
}

fn verdict_objects(text: &str) -> Vec<ObjectRef> {
    answers(text)
        .into_iter()
        .map(|(status, _, body)| {
            assert_eq!(status, 200, "{body}");
            ksnsim_reference::protocol::Reputation::from_json(body.as_bytes())
                .unwrap()
                .object
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn px_err_2_more_connections_than_descriptors_neither_spin_nor_break_upstream_lookups() {
    let ksn = upstream_for_binaries().await;
    let limit = ["prlimit", "--nofile=128:128", "--"];
    let proxy = start_proxy(&ksn, "client_timeout_ms = 1000\n", "fd-limit", &limit);
    let addr = proxy.addr(0);
    let mut existing = connect(addr).await;
    let mut idle = Vec::new();
    for _ in 0..150 {
        idle.push(connect(addr).await);
    }
    let (ticks_before, measured) = (cpu_ticks(proxy.pid()), Instant::now());

    // A client the proxy had before the flood: three misses, each needing an upstream connection.
    existing.write_all(&pipelined_lookups(1, 3)).await.unwrap();
    let text = read_to_close(&mut existing, Duration::from_secs(5)).await;
    assert_eq!(verdict_objects(&text), vec![file(1), file(2), file(3)], "{text}");

    tokio::time::sleep(Duration::from_secs(2).saturating_sub(measured.elapsed())).await;
    let ticks = cpu_ticks(proxy.pid()) - ticks_before;
    println!("the proxy used {ticks} ticks of CPU in 2 s");
    // 100 ticks a second on Linux: spinning on EMFILE used 64 here (and up to 200).
    assert!(
        ticks < 40,
        "the proxy used {ticks} ticks of CPU in 2 s while clients waited"
    );

    // A new client is served once the idle connections ahead of it time out (1 s each, 32 at a time).
    let started = Instant::now();
    let mut late = connect(addr).await;
    late.write_all(&pipelined_lookups(9, 1)).await.unwrap();
    let text = read_to_close(&mut late, Duration::from_secs(15)).await;
    assert_eq!(verdict_objects(&text), vec![file(9)], "{text}");
    println!("the new client waited {:?}", started.elapsed());
    drop(idle);
}
