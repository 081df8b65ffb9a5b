//! How steps read their arguments: modes, objects by name or hash, KSN kinds, durations, verdicts. Each
//! parser says what it expected, so that a typo in a feature file fails with a clear message.

use ksnsim_harness::topology::{KsnKind, Mode};
use ksnsim_reference::agent::Participation;
use ksnsim_reference::protocol::{FileHash, ObjectRef, ObjectUrl};
use sha2::{Digest, Sha256};

pub fn mode(text: &str) -> Result<Mode, String> {
    match text {
        "extended" => Ok(Mode::Extended),
        "basic" => Ok(Mode::Basic),
        "save-to-file" => Ok(Mode::SaveToFile),
        "off" => Ok(Mode::Off),
        other => Err(format!(
            "mode {other:?}: use extended, basic, save-to-file or off"
        )),
    }
}

/// A mode in the steps' words: what [`mode`] reads back.
pub fn mode_words(mode: Mode) -> &'static str {
    match mode {
        Mode::Extended => "extended",
        Mode::Basic => "basic",
        Mode::SaveToFile => "save-to-file",
        Mode::Off => "off",
    }
}

pub fn participation(text: &str) -> Result<Participation, String> {
    Ok(match mode(text)? {
        Mode::Extended => Participation::Extended,
        Mode::Basic => Participation::Basic,
        Mode::SaveToFile => Participation::SaveToFile,
        Mode::Off => Participation::Off,
    })
}

pub fn ksn(text: &str) -> Result<KsnKind, String> {
    match text {
        "Global" | "global" => Ok(KsnKind::Global),
        "Private" | "private" => Ok(KsnKind::Private),
        other => Err(format!("KSN {other:?}: use Global or Private")),
    }
}

/// A KSN kind in the steps' words ("the Global KSN"): what [`ksn`] reads back.
pub fn ksn_words(kind: KsnKind) -> &'static str {
    match kind {
        KsnKind::Global => "Global",
        KsnKind::Private => "Private",
    }
}

/// A file by its SHA-256, or by a readable name whose SHA-256 stands in for it ("invoice.exe").
pub fn file(text: &str) -> ObjectRef {
    let hash = text.parse::<FileHash>().unwrap_or_else(|_| {
        let digest = Sha256::digest(text.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        hex.parse().expect("64 hex characters are a file hash")
    });
    ObjectRef::File(hash)
}

pub fn url(text: &str) -> Result<ObjectRef, String> {
    text.parse::<ObjectUrl>()
        .map(ObjectRef::Url)
        .map_err(|err| err.to_string())
}

/// `"a", "b", "c"` into its strings.
pub fn quoted_list(text: &str) -> Vec<String> {
    text.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_hashes_both_make_files() {
        assert_eq!(file("invoice.exe"), file("invoice.exe"));
        assert_ne!(file("invoice.exe"), file("report.pdf"));
        let hash = "ab".repeat(32);
        assert_eq!(file(&hash), ObjectRef::File(hash.parse().unwrap()));
        assert_eq!(quoted_list(r#""a", "b",  "c d""#), ["a", "b", "c d"]);
        assert!(mode("turbo").unwrap_err().contains("use extended"));
    }

    #[test]
    fn modes_and_ksn_kinds_written_as_words_read_back_the_same() {
        for m in [Mode::Extended, Mode::Basic, Mode::SaveToFile, Mode::Off] {
            assert_eq!(mode(mode_words(m)), Ok(m));
        }
        for k in [KsnKind::Global, KsnKind::Private] {
            assert_eq!(ksn(ksn_words(k)), Ok(k));
        }
    }
}
