//! The mock KSN's reputation database: a deterministic default verdict for every object, explicit global
//! entries, and the Private KSN's local entries that beat the global verdict (SRV-PRIV-1).
//!
//! The file format (`ksn-mock --db FILE`), JSON, every field optional, unknown fields rejected:
//! ```json
//! {
//!   "default_ttl": 3600,
//!   "global": [{"object": {"file": "<sha256>"}, "verdict": "trusted", "ttl": 60}],
//!   "local":  [{"object": {"url": "https://bad.test/"}, "verdict": "untrusted"}]
//! }
//! ```
//! `global` entries are what Global KSN knows (the Private KSN starts from them too); `local` entries are the
//! Private KSN's own reputation and are ignored by a Global KSN. An entry without `ttl` uses `default_ttl`.
//! Objects not listed get the default verdict: the first byte of the SHA-256 of the object's JSON, modulo
//! 10: 0-5 trusted, 6 riskware, 7 untrusted, 8-9 unknown.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

use crate::error::DbError;
use ksnsim_reference::protocol::{KsnType, ObjectRef, Reputation, Verdict};

/// The ttl of verdicts that name none, unless configured otherwise.
pub const DEFAULT_TTL_SECONDS: u64 = 3600;

/// Which part of the database an entry goes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// What Global KSN knows; the Private KSN's starting point.
    Global,
    /// The Private KSN's own reputation, which overrides the global verdict.
    Local,
}

/// One explicit verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbEntry {
    pub object: ObjectRef,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
}

/// The file format; see the module documentation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DbFile {
    default_ttl: Option<u64>,
    #[serde(default)]
    global: Vec<DbEntry>,
    #[serde(default)]
    local: Vec<DbEntry>,
}

/// Verdicts by object, in two layers, with a deterministic default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReputationDb {
    default_ttl: u64,
    global: BTreeMap<ObjectRef, (Verdict, Option<u64>)>,
    local: BTreeMap<ObjectRef, (Verdict, Option<u64>)>,
}

impl Default for ReputationDb {
    fn default() -> Self {
        Self::new(DEFAULT_TTL_SECONDS)
    }
}

impl ReputationDb {
    /// An empty database: every object gets its default verdict with `default_ttl`.
    pub fn new(default_ttl: u64) -> Self {
        Self {
            default_ttl,
            global: BTreeMap::new(),
            local: BTreeMap::new(),
        }
    }

    /// Parses the file format; `path` names the file in errors.
    pub fn from_json(text: &str, path: &str) -> Result<Self, DbError> {
        let invalid = |message: String| DbError::Invalid {
            path: path.to_owned(),
            message,
        };
        let file: DbFile = serde_json::from_str(text).map_err(|err| invalid(err.to_string()))?;
        let mut db = Self::new(file.default_ttl.unwrap_or(DEFAULT_TTL_SECONDS));
        for (layer, entries) in [(Layer::Global, file.global), (Layer::Local, file.local)] {
            for entry in entries {
                if db.layer(layer).contains_key(&entry.object) {
                    return Err(invalid(format!(
                        "{} is listed twice in \"{}\": keep one entry",
                        entry.object,
                        layer_name(layer)
                    )));
                }
                db.set(layer, entry);
            }
        }
        Ok(db)
    }

    /// Reads and parses a database file.
    pub fn load(path: &Path) -> Result<Self, DbError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| DbError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::from_json(&text, &shown)
    }

    pub fn default_ttl(&self) -> u64 {
        self.default_ttl
    }

    pub fn set_default_ttl(&mut self, seconds: u64) {
        self.default_ttl = seconds;
    }

    /// Adds or replaces an explicit verdict.
    pub fn set(&mut self, layer: Layer, entry: DbEntry) {
        let map = match layer {
            Layer::Global => &mut self.global,
            Layer::Local => &mut self.local,
        };
        map.insert(entry.object, (entry.verdict, entry.ttl));
    }

    fn layer(&self, layer: Layer) -> &BTreeMap<ObjectRef, (Verdict, Option<u64>)> {
        match layer {
            Layer::Global => &self.global,
            Layer::Local => &self.local,
        }
    }

    /// What a server of `kind` answers for `object`: a Private KSN's local entry first, then the global
    /// entry, then the default verdict. `source` is the server's kind.
    pub fn reputation(&self, object: &ObjectRef, kind: KsnType) -> Reputation {
        let local = match kind {
            KsnType::Private => self.local.get(object),
            KsnType::Global => None,
        };
        let (verdict, ttl) = local
            .or_else(|| self.global.get(object))
            .copied()
            .unwrap_or((default_verdict(object), None));
        Reputation {
            object: object.clone(),
            verdict,
            source: kind,
            ttl: ttl.unwrap_or(self.default_ttl),
        }
    }
}

fn layer_name(layer: Layer) -> &'static str {
    match layer {
        Layer::Global => "global",
        Layer::Local => "local",
    }
}

/// The verdict of an object that no entry names: a pure function of the object.
pub fn default_verdict(object: &ObjectRef) -> Verdict {
    let json =
        serde_json::to_vec(object).expect("an ObjectRef always serializes: a one-field enum of strings");
    match Sha256::digest(&json)[0] % 10 {
        0..=5 => Verdict::Trusted,
        6 => Verdict::Riskware,
        7 => Verdict::Untrusted,
        _ => Verdict::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(n: u32) -> ObjectRef {
        ObjectRef::File(format!("{n:064x}").parse().unwrap())
    }

    #[test]
    fn default_verdicts_are_stable_and_cover_every_verdict() {
        let verdicts: Vec<Verdict> = (0..200).map(|n| default_verdict(&file(n))).collect();
        assert_eq!(
            verdicts,
            (0..200).map(|n| default_verdict(&file(n))).collect::<Vec<_>>()
        );
        for v in [
            Verdict::Trusted,
            Verdict::Riskware,
            Verdict::Untrusted,
            Verdict::Unknown,
        ] {
            assert!(verdicts.contains(&v), "{v} never drawn");
        }
    }

    #[test]
    fn srv_priv_1_local_entries_beat_global_ones_only_on_a_private_ksn() {
        let mut db = ReputationDb::new(60);
        let entry = |verdict, ttl| DbEntry {
            object: file(1),
            verdict,
            ttl,
        };
        db.set(Layer::Global, entry(Verdict::Trusted, None));
        db.set(Layer::Local, entry(Verdict::Untrusted, Some(5)));
        let private = db.reputation(&file(1), KsnType::Private);
        assert_eq!(
            (private.verdict, private.ttl, private.source),
            (Verdict::Untrusted, 5, KsnType::Private)
        );
        let global = db.reputation(&file(1), KsnType::Global);
        assert_eq!(
            (global.verdict, global.ttl, global.source),
            (Verdict::Trusted, 60, KsnType::Global)
        );
    }

    #[test]
    fn file_format_parses_and_errors_name_the_file_and_the_problem() {
        let hash = "a".repeat(64);
        let text = format!(
            r#"{{"default_ttl":10,"global":[{{"object":{{"file":"{hash}"}},"verdict":"riskware"}}],
                "local":[{{"object":{{"url":"https://x.test/"}},"verdict":"untrusted","ttl":1}}]}}"#
        );
        let db = ReputationDb::from_json(&text, "db.json").unwrap();
        let rep = db.reputation(&ObjectRef::File(hash.parse().unwrap()), KsnType::Global);
        assert_eq!((rep.verdict, rep.ttl), (Verdict::Riskware, 10));

        let typo = ReputationDb::from_json(r#"{"globl":[]}"#, "db.json").unwrap_err();
        assert!(
            typo.to_string().contains("db.json") && typo.to_string().contains("globl"),
            "{typo}"
        );
        let bad_hash = r#"{"global":[{"object":{"file":"xyz"},"verdict":"trusted"}]}"#;
        let err = ReputationDb::from_json(bad_hash, "db.json").unwrap_err();
        assert!(err.to_string().contains("64 hexadecimal"), "{err}");
        let twice = format!(
            r#"{{"global":[{{"object":{{"file":"{hash}"}},"verdict":"trusted"}},{{"object":{{"file":"{hash}"}},"verdict":"trusted"}}]}}"#
        );
        let err = ReputationDb::from_json(&twice, "db.json").unwrap_err();
        assert!(err.to_string().contains(r#"listed twice in "global""#), "{err}");
        let err = ReputationDb::load(Path::new("/nonexistent/db.json")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/db.json"), "{err}");
    }

    #[test]
    fn the_default_ttl_is_the_one_set_last() {
        let mut db = ReputationDb::new(60);
        assert_eq!(db.default_ttl(), 60);
        db.set_default_ttl(7);
        assert_eq!(db.default_ttl(), 7);
        assert_eq!(
            db.reputation(&file(2), KsnType::Global).ttl,
            7,
            "an object no entry names gets it"
        );
    }

    #[test]
    fn the_default_verdict_is_the_documented_function_of_the_objects_json() {
        // The module's doc: the first byte of the SHA-256 of the object's JSON, modulo 10: 0-5 trusted,
        // 6 riskware, 7 untrusted, 8-9 unknown.
        for n in 0..200 {
            let object = file(n);
            let first = Sha256::digest(serde_json::to_vec(&object).unwrap())[0];
            let documented = [Verdict::Trusted; 6]
                .into_iter()
                .chain([
                    Verdict::Riskware,
                    Verdict::Untrusted,
                    Verdict::Unknown,
                    Verdict::Unknown,
                ])
                .nth(usize::from(first % 10))
                .unwrap();
            assert_eq!(
                default_verdict(&object),
                documented,
                "{object} (first byte {first})"
            );
        }
    }
}
