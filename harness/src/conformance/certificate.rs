//! The conformance certificate: what a vendor hands a customer after a run. It names the suite (version and a
//! digest of its check list), the implementation, the commands and the sha256 of the programs they started,
//! the flags, the date, the verdict per requirement id and per check, and a sha256 over all of that, so that
//! an edit anywhere is detected. `ksnsim conformance --verify` re-runs the same checks and compares verdicts.
//!
//! The digest is the lowercase hex SHA-256 of the certificate's JSON without its `sha256` field, written
//! compactly with keys in sorted order (serde_json's map is ordered): the same bytes however the file was
//! pretty-printed. Pure functions only: the caller gives the date and reads or writes the files.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

use ksnsim_reports::{GateLevel, RunReport, Verdict};

use super::checks::check_ids;

/// The `format` of certificates this ksnsim writes and reads.
pub const CERTIFICATE_FORMAT: &str = "ksnsim-conformance-certificate/1";

/// The field that holds the digest over everything else.
const DIGEST_FIELD: &str = "sha256";

/// The suite that judged: ksnsim's version and which checks it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    pub name: String,
    pub version: String,
    /// How many checks the suite has.
    pub checks: usize,
    /// SHA-256 of the check ids, one a line, in the suite's order.
    pub checks_sha256: String,
}

impl Suite {
    /// This ksnsim's suite.
    pub fn current() -> Self {
        let ids = check_ids();
        Self {
            name: "ksnsim conformance".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            checks: ids.len(),
            checks_sha256: hex_sha256(ids.join("\n").as_bytes()),
        }
    }
}

/// A command ksnsim started, and the program file it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertifiedCommand {
    /// `--proxy-cmd` or `--private-cmd`.
    pub flag: String,
    /// The command as given, placeholders and all.
    pub template: String,
    /// The file its first word resolved to, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// SHA-256 of that file's bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_sha256: Option<String>,
}

/// The flags of the run, enough to run it again (`--verify`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertifiedFlags {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_cmd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_cmd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_listen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_capacity: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The gate's strictness (`--gate`, or `--strict` for `should`).
    #[serde(default)]
    pub gate: GateLevel,
}

/// Everything the certificate asserts (all but its digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// [`CERTIFICATE_FORMAT`].
    pub format: String,
    pub suite: Suite,
    pub implementation: String,
    pub commands: Vec<CertifiedCommand>,
    pub flags: CertifiedFlags,
    /// When the run ended, UTC, RFC 3339 (`2026-12-03T07:30:00Z`).
    pub date_utc: String,
    /// `pass` when the gate passed at the flags' strictness (`flags.gate`), else `fail`.
    pub gate: String,
    /// The folded verdict of each requirement the run judges.
    pub requirements: BTreeMap<String, Verdict>,
    /// The verdict of each check.
    pub checks: BTreeMap<String, Verdict>,
}

/// Why a certificate file cannot be trusted or read.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("cannot read the certificate {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error(
        "{path} is not a ksnsim conformance certificate: {reason} (give the certificate.json a run wrote)"
    )]
    Malformed { path: String, reason: String },
    #[error(
        "{path} was changed after it was written: its sha256 is {recorded} but its content hashes to {computed}"
    )]
    DigestMismatch {
        path: String,
        recorded: String,
        computed: String,
    },
}

impl Certificate {
    /// The certificate of `run`, ended at `date_utc`.
    pub fn of_run(
        run: &RunReport,
        commands: Vec<CertifiedCommand>,
        flags: CertifiedFlags,
        date_utc: String,
    ) -> Self {
        let requirements = run
            .requirement_matrix()
            .into_iter()
            .map(|row| (row.requirement.id.as_str().to_owned(), row.verdict))
            .collect();
        let checks = run
            .items
            .iter()
            .map(|item| (item.id.clone(), item.verdict))
            .collect();
        let gate = if run.gate_at(flags.gate).passed() {
            "pass"
        } else {
            "fail"
        };
        Self {
            format: CERTIFICATE_FORMAT.to_owned(),
            suite: Suite::current(),
            implementation: run.implementation.clone().unwrap_or_default(),
            commands,
            flags,
            date_utc,
            gate: gate.to_owned(),
            requirements,
            checks,
        }
    }

    /// The file's JSON: the fields and their digest, pretty-printed.
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self).expect("a certificate always serializes");
        let digest = digest_of(&value);
        if let serde_json::Value::Object(map) = &mut value {
            map.insert(DIGEST_FIELD.to_owned(), serde_json::Value::String(digest));
        }
        let mut text = serde_json::to_string_pretty(&value).expect("a JSON value always serializes");
        text.push('\n');
        text
    }

    /// The digest the file carries (as [`to_json`](Self::to_json) writes it).
    pub fn digest(&self) -> String {
        digest_of(&serde_json::to_value(self).expect("a certificate always serializes"))
    }

    /// Reads a certificate, refusing one whose digest does not match its content.
    pub fn from_json(text: &str, path: &str) -> Result<Self, CertificateError> {
        let malformed = |reason: String| CertificateError::Malformed {
            path: path.to_owned(),
            reason,
        };
        let mut value: serde_json::Value =
            serde_json::from_str(text).map_err(|err| malformed(format!("not JSON: {err}")))?;
        let recorded = match value.as_object_mut().map(|map| map.remove(DIGEST_FIELD)) {
            Some(Some(serde_json::Value::String(digest))) => digest,
            _ => return Err(malformed(format!("no `{DIGEST_FIELD}` field"))),
        };
        let computed = digest_of(&value);
        if computed != recorded {
            return Err(CertificateError::DigestMismatch {
                path: path.to_owned(),
                recorded,
                computed,
            });
        }
        let certificate: Self = serde_json::from_value(value).map_err(|err| malformed(err.to_string()))?;
        if certificate.format != CERTIFICATE_FORMAT {
            return Err(malformed(format!(
                "format {:?}, this ksnsim reads {CERTIFICATE_FORMAT:?}",
                certificate.format
            )));
        }
        Ok(certificate)
    }

    /// Reads and checks the certificate file at `path`.
    pub fn read(path: &Path) -> Result<Self, CertificateError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| CertificateError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::from_json(&text, &shown)
    }

    /// A short document for a customer: who was tested, by what, when, and the verdict per requirement.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Conformance certificate: {}\n", self.implementation);
        let _ = writeln!(
            md,
            "Tested on {} by {} {} ({} checks, check list sha256 `{}`).\n",
            self.date_utc, self.suite.name, self.suite.version, self.suite.checks, self.suite.checks_sha256
        );
        let gate = self.flags.gate.scope();
        let _ = writeln!(md, "**Gate ({gate}): {}**\n", self.gate.to_uppercase());
        for command in &self.commands {
            let _ = writeln!(md, "- `{}`: `{}`", command.flag, command.template);
            if let (Some(program), Some(digest)) = (&command.program, &command.program_sha256) {
                let _ = writeln!(md, "  - program `{program}`, sha256 `{digest}`");
            }
        }
        if let Some(proxy) = &self.flags.proxy {
            let _ = writeln!(md, "- an already running proxy at `{proxy}`");
        }
        let _ = writeln!(md, "\n| requirement | verdict |\n|---|---|");
        for (id, verdict) in &self.requirements {
            let _ = writeln!(md, "| {id} | {} |", verdict.label());
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for verdict in self.checks.values() {
            *counts.entry(verdict.label()).or_default() += 1;
        }
        let counts: Vec<String> = counts.iter().map(|(label, n)| format!("{n} {label}")).collect();
        let _ = writeln!(md, "\n{} checks: {}.\n", self.checks.len(), counts.join(", "));
        let _ = writeln!(
            md,
            "Certificate sha256 `{}` (over `certificate.json` without that field). Re-run the same checks and \
             compare: `ksnsim conformance --verify certificate.json`.",
            self.digest()
        );
        md
    }
}

/// One check of a `--verify` run: its verdict in the certificate and now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictComparison {
    pub id: String,
    pub certified: Option<Verdict>,
    pub now: Option<Verdict>,
}

impl VerdictComparison {
    pub fn same(&self) -> bool {
        self.certified == self.now
    }
}

/// Every check of either certificate, in id order, with both verdicts.
pub fn compare(certified: &Certificate, now: &Certificate) -> Vec<VerdictComparison> {
    let mut ids: Vec<&String> = certified.checks.keys().chain(now.checks.keys()).collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .map(|id| VerdictComparison {
            id: id.clone(),
            certified: certified.checks.get(id).copied(),
            now: now.checks.get(id).copied(),
        })
        .collect()
}

/// `at` as RFC 3339 in UTC, to the second (`2026-12-03T07:30:00Z`).
pub fn rfc3339_utc(at: std::time::SystemTime) -> String {
    let at = time::OffsetDateTime::from(at)
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// SHA-256 of a file's bytes, read in pieces.
pub fn file_sha256(path: &Path) -> io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

fn digest_of(value: &serde_json::Value) -> String {
    hex_sha256(&serde_json::to_vec(value).expect("a JSON value always serializes"))
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ksnsim_reports::{ItemReport, RunKind};

    fn run(verdict: Verdict) -> RunReport {
        let mut run = RunReport::new(RunKind::Conformance, "conformance");
        run.implementation = Some("acme 2.1".to_owned());
        run.catalogue = crate::catalogue::catalogue()
            .into_iter()
            .filter(|r| r.id.as_str() == "PX-CACHE-1")
            .collect();
        let mut item = ItemReport::new("PX-CACHE-1", "hits", "PX-CACHE", verdict);
        item.requirements = vec![run.catalogue[0].id.clone()];
        run.items.push(item);
        run
    }

    fn certificate(verdict: Verdict) -> Certificate {
        let command = CertifiedCommand {
            flag: "--proxy-cmd".to_owned(),
            template: "acme {listen} {upstream} {ca}".to_owned(),
            program: Some("/usr/bin/acme".to_owned()),
            program_sha256: Some(hex_sha256(b"acme")),
        };
        Certificate::of_run(
            &run(verdict),
            vec![command],
            CertifiedFlags::default(),
            "2026-12-03T07:30:00Z".to_owned(),
        )
    }

    #[test]
    fn a_written_certificate_reads_back_and_its_digest_verifies() {
        let cert = certificate(Verdict::Pass);
        let text = cert.to_json();
        assert!(text.contains(&format!("\"sha256\": \"{}\"", cert.digest())));
        let read = Certificate::from_json(&text, "c.json").unwrap();
        assert_eq!(read, cert);
        assert_eq!(read.gate, "pass");
        assert_eq!(read.requirements.get("PX-CACHE-1"), Some(&Verdict::Pass));
        assert_eq!(read.suite.checks, check_ids().len());
        // Pretty or compact, the digest is over the same canonical bytes.
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        Certificate::from_json(&serde_json::to_string(&value).unwrap(), "c.json").unwrap();
    }

    #[test]
    fn a_tampered_certificate_is_refused_with_both_digests() {
        let text = certificate(Verdict::Fail).to_json();
        let tampered = text.replacen("\"fail\"", "\"pass\"", 1);
        assert_ne!(tampered, text);
        let err = Certificate::from_json(&tampered, "c.json").unwrap_err();
        assert!(matches!(err, CertificateError::DigestMismatch { .. }), "{err}");
        assert!(err.to_string().contains("changed after it was written"), "{err}");

        let no_digest = text.replace("\"sha256\"", "\"sha-256\"");
        let err = Certificate::from_json(&no_digest, "c.json").unwrap_err();
        assert!(err.to_string().contains("no `sha256` field"), "{err}");
        let err = Certificate::from_json("not json", "c.json").unwrap_err();
        assert!(err.to_string().contains("not JSON"), "{err}");
    }

    #[test]
    fn comparison_names_each_check_whose_verdict_changed() {
        let same = compare(&certificate(Verdict::Pass), &certificate(Verdict::Pass));
        assert!(same.iter().all(VerdictComparison::same));
        let changed = compare(&certificate(Verdict::Pass), &certificate(Verdict::Fail));
        assert_eq!(
            changed,
            vec![VerdictComparison {
                id: "PX-CACHE-1".to_owned(),
                certified: Some(Verdict::Pass),
                now: Some(Verdict::Fail),
            }]
        );
    }

    #[test]
    fn dates_are_rfc_3339_utc_to_the_second() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_800_000_000_250);
        assert_eq!(rfc3339_utc(at), "2027-01-15T08:00:00Z");
    }

    #[test]
    fn the_markdown_names_the_implementation_program_and_each_requirement() {
        let md = certificate(Verdict::Pass).to_markdown();
        assert!(md.contains("# Conformance certificate: acme 2.1"), "{md}");
        assert!(md.contains(&hex_sha256(b"acme")), "{md}");
        assert!(md.contains("| PX-CACHE-1 | pass |"), "{md}");
        assert!(md.contains("**Gate (every MUST): PASS**"), "{md}");
    }
}
