//! PX-ERR-1 with PX-CACHE-6: clients waiting on a coalesced miss get their answer within the upstream timeout
//! (plus a small margin) whatever the leader's client does; a leader's client that goes away does not make
//! the followers start over.

use futures::future::join_all;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use ksnsim_mocks::Fault;
use ksnsim_reference::protocol::{ErrorCode, KsnType, lookup_path};

use super::raw::connect;
use super::{Proxy, Upstream, file, lookup, status_and_code};

#[tokio::test]
async fn px_err_1_followers_of_a_leader_whose_client_left_answer_within_the_bound() {
    let ksn = Upstream::start(KsnType::Global).await;
    ksn.mock.set_fault(Some(Fault::Hang));
    let timeout = Duration::from_secs(1);
    let proxy = Proxy::start_with(&ksn.url, |c| c.upstream_timeout = timeout).await;
    let started = Instant::now();

    // The leader's client asks, then goes away while the upstream is silent.
    let mut leader = connect(proxy.addr()).await;
    let head = format!(
        "GET {} HTTP/1.1\r\nHost: x\r\nKSN-Statement: 1\r\n\r\n",
        lookup_path(&file(1))
    );
    leader.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let leaves = async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        drop(leader);
    };

    let followers = join_all((0..3).map(|_| async {
        let asked = Instant::now();
        let answer = proxy.send(lookup(&file(1))).await;
        (asked.elapsed(), answer)
    }));
    let ((), answered) = tokio::join!(leaves, followers);
    for (waited, answer) in &answered {
        assert_eq!(status_and_code(answer), (504, ErrorCode::UpstreamTimeout));
        assert!(
            *waited <= timeout + Duration::from_millis(300),
            "a follower waited {waited:?}, over the upstream timeout of {timeout:?} (started {:?} ago)",
            started.elapsed()
        );
    }
    assert_eq!(ksn.lookups(), 1, "one upstream request for all of them");
}
