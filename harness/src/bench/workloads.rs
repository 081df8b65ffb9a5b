//! What the load generator asks a proxy, per the wire contract: one hot object, a warm set, a stream of
//! objects never asked before, batches of warm objects, and a Private KSN tenant mix. Each workload says
//! which lookups warm the cache before it is measured, and writes the bytes of each request.

use std::fmt;
use std::str::FromStr;

/// The tenants of the `private` workload: license keys the Private mock KSN has registered.
pub(crate) const TENANTS: [&str; 2] = crate::conformance::upstream::REGISTERED_KEYS;
/// Objects per `batch` request.
pub(crate) const BATCH_OBJECTS: usize = 10;

/// A kind of load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    /// Lookups of one object, cached before the run: the proxy's cache-hit path (its cache otherwise empty).
    Hits,
    /// Lookups of random objects of the warm set, all cached before the run (the cache full of them).
    Warm,
    /// Lookups of objects nobody asked before: every one must go upstream.
    Misses,
    /// `POST /v1/reputation/batch` of 10 random warm objects.
    Batch,
    /// Lookups of warm objects for tenants of a Private KSN (`Authorization: License ...`), cached per tenant.
    Private,
}

impl Workload {
    pub const ALL: [Self; 5] = [Self::Hits, Self::Warm, Self::Misses, Self::Batch, Self::Private];

    pub fn name(self) -> &'static str {
        match self {
            Self::Hits => "hits",
            Self::Warm => "warm",
            Self::Misses => "misses",
            Self::Batch => "batch",
            Self::Private => "private",
        }
    }

    /// Whether it runs against a Private KSN upstream.
    pub fn is_private(self) -> bool {
        self == Self::Private
    }

    /// Whether it needs the warm set in the cache first.
    pub(crate) fn needs_warm_set(self) -> bool {
        matches!(self, Self::Warm | Self::Batch | Self::Private)
    }

    /// A list like `hits,misses`, each named once.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, UnknownWorkload> {
        let mut list = Vec::new();
        for name in text.split(',').map(str::trim).filter(|name| !name.is_empty()) {
            let workload = name.parse()?;
            if !list.contains(&workload) {
                list.push(workload);
            }
        }
        if list.is_empty() {
            return Err(UnknownWorkload(text.to_owned()));
        }
        Ok(list)
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A workload name that is not one of [`Workload::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a workload; choose from hits, warm, misses, batch, private (comma-separated)")]
pub struct UnknownWorkload(pub String);

impl FromStr for Workload {
    type Err = UnknownWorkload;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|w| w.name() == text)
            .ok_or_else(|| UnknownWorkload(text.to_owned()))
    }
}

/// The hot object of `hits` (a file hash; each kind of object has a prefix of its own, so none collide).
pub(crate) fn hot_object() -> String {
    format!("0b{:062x}", 1)
}

/// Object `index` of the warm set.
pub(crate) fn warm_object(index: usize) -> String {
    format!("0a{index:062x}")
}

/// A miss object: unique per measurement (`epoch`), connection and request.
pub(crate) fn miss_object(epoch: u64, connection: usize, seq: u64) -> String {
    format!("0d{epoch:014x}{connection:08x}{seq:040x}")
}

/// `GET /v1/reputation/file/{hash}` with the contract's headers.
pub(crate) fn lookup_request(out: &mut Vec<u8>, file: &str, client: usize, tenant: Option<&str>) {
    out.extend_from_slice(b"GET /v1/reputation/file/");
    out.extend_from_slice(file.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ksn.bench\r\n");
    common_headers(out, client, tenant);
    out.extend_from_slice(b"\r\n");
}

/// `POST /v1/reputation/batch` of `files`.
pub(crate) fn batch_request(out: &mut Vec<u8>, files: &[String], client: usize) {
    let objects: Vec<String> = files.iter().map(|f| format!("{{\"file\":\"{f}\"}}")).collect();
    let body = format!("{{\"objects\":[{}]}}", objects.join(","));
    out.extend_from_slice(b"POST /v1/reputation/batch HTTP/1.1\r\nHost: ksn.bench\r\n");
    common_headers(out, client, None);
    out.extend_from_slice(
        format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(body.as_bytes());
}

fn common_headers(out: &mut Vec<u8>, client: usize, tenant: Option<&str>) {
    out.extend_from_slice(
        format!("KSN-Client: bench-{client}\r\nKSN-Mode: basic\r\nKSN-Statement: 1\r\n").as_bytes(),
    );
    if let Some(key) = tenant {
        out.extend_from_slice(format!("Authorization: License {key}\r\n").as_bytes());
    }
}

/// The lookups that warm the cache for `workload`: (file, tenant).
pub(crate) fn warming(workload: Workload, warm_objects: usize) -> Vec<(String, Option<&'static str>)> {
    match workload {
        Workload::Hits => vec![(hot_object(), None)],
        Workload::Warm | Workload::Batch => (0..warm_objects).map(|i| (warm_object(i), None)).collect(),
        Workload::Private => TENANTS
            .iter()
            .flat_map(|tenant| (0..warm_objects).map(move |i| (warm_object(i), Some(*tenant))))
            .collect(),
        Workload::Misses => Vec::new(),
    }
}

/// The requests of one connection of a workload, one after another.
#[derive(Debug, Clone)]
pub(crate) struct RequestStream {
    workload: Workload,
    warm_objects: usize,
    epoch: u64,
    connection: usize,
    seq: u64,
    rng: u64,
    /// The one request of `hits`, written once.
    fixed: Vec<u8>,
}

impl RequestStream {
    /// Requests of `workload` for connection `connection`; `epoch` makes miss objects unique per measurement.
    pub(crate) fn new(workload: Workload, warm_objects: usize, epoch: u64, connection: usize) -> Self {
        let mut fixed = Vec::new();
        if workload == Workload::Hits {
            lookup_request(&mut fixed, &hot_object(), connection, None);
        }
        Self {
            workload,
            warm_objects: warm_objects.max(1),
            epoch,
            connection,
            seq: 0,
            rng: (connection as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ epoch,
            fixed,
        }
    }

    /// Writes the next request into `out` (cleared first).
    pub(crate) fn next_into(&mut self, out: &mut Vec<u8>) {
        out.clear();
        self.seq += 1;
        match self.workload {
            Workload::Hits => out.extend_from_slice(&self.fixed),
            Workload::Warm => {
                let object = warm_object(self.pick());
                lookup_request(out, &object, self.connection, None);
            }
            Workload::Misses => {
                let object = miss_object(self.epoch, self.connection, self.seq);
                lookup_request(out, &object, self.connection, None);
            }
            Workload::Batch => {
                let files: Vec<String> = (0..BATCH_OBJECTS).map(|_| warm_object(self.pick())).collect();
                batch_request(out, &files, self.connection);
            }
            Workload::Private => {
                let object = warm_object(self.pick());
                let tenant = TENANTS[(self.seq as usize) % TENANTS.len()];
                lookup_request(out, &object, self.connection, Some(tenant));
            }
        }
    }

    /// A warm object index, uniformly at random (splitmix64: no dependency, and the same on every run).
    fn pick(&mut self) -> usize {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z % self.warm_objects as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> String {
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn workload_lists_parse_and_name_the_bad_one() {
        assert_eq!(
            Workload::parse_list("hits, misses,hits").unwrap(),
            vec![Workload::Hits, Workload::Misses]
        );
        let err = Workload::parse_list("hits,speed").unwrap_err();
        assert_eq!(err, UnknownWorkload("speed".into()));
        assert!(err.to_string().contains("choose from hits"));
        assert!(Workload::parse_list(" , ").is_err());
    }

    #[test]
    fn objects_are_file_hashes_and_never_collide_across_kinds() {
        let objects = [hot_object(), warm_object(7), miss_object(3, 2, 1)];
        for object in &objects {
            assert!(
                object.parse::<ksnsim_reference::protocol::FileHash>().is_ok(),
                "{object}"
            );
        }
        assert_ne!(miss_object(3, 2, 1), miss_object(4, 2, 1));
        assert_ne!(miss_object(3, 2, 1), miss_object(3, 1, 1));
    }

    #[test]
    fn misses_never_repeat_and_warm_lookups_stay_in_the_warm_set() {
        let mut misses = RequestStream::new(Workload::Misses, 10, 1, 0);
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for _ in 0..1000 {
            misses.next_into(&mut out);
            assert!(seen.insert(out.clone()), "a miss repeated");
        }
        let warm_set: Vec<String> = (0..10).map(warm_object).collect();
        let mut warm = RequestStream::new(Workload::Warm, 10, 1, 0);
        let mut picked = std::collections::BTreeSet::new();
        for _ in 0..200 {
            warm.next_into(&mut out);
            let request = text(&out);
            let object = warm_set.iter().find(|o| request.contains(o.as_str()));
            picked.insert(object.expect("a warm object").clone());
        }
        assert_eq!(picked.len(), 10, "every warm object is picked");
    }

    #[test]
    fn requests_carry_the_contract_headers_and_a_framed_body() {
        let mut out = Vec::new();
        RequestStream::new(Workload::Private, 5, 1, 3).next_into(&mut out);
        let request = text(&out);
        assert!(request.starts_with("GET /v1/reputation/file/0a"), "{request}");
        assert!(request.contains("\r\nKSN-Statement: 1\r\n"), "{request}");
        assert!(
            request.contains("\r\nAuthorization: License TENANT-"),
            "{request}"
        );
        RequestStream::new(Workload::Batch, 5, 1, 3).next_into(&mut out);
        let head = super::super::wire::parse_head(&out, false).unwrap().unwrap();
        let body: serde_json::Value = serde_json::from_slice(&out[head.len..]).unwrap();
        assert_eq!(head.content_length, Some(out.len() - head.len));
        assert_eq!(body["objects"].as_array().unwrap().len(), BATCH_OBJECTS);
    }

    #[test]
    fn warming_covers_what_each_workload_then_asks() {
        assert_eq!(warming(Workload::Hits, 100), vec![(hot_object(), None)]);
        assert_eq!(warming(Workload::Warm, 100).len(), 100);
        assert_eq!(warming(Workload::Private, 100).len(), 100 * TENANTS.len());
        assert!(warming(Workload::Misses, 100).is_empty());
    }
}
