//! The objects whose reputation is asked for: a file by its SHA-256, or a URL.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

use super::ProtocolError;

/// A file's SHA-256, kept in lowercase hex (the form the proxy caches and forwards).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileHash(String);

impl FileHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for FileHash {
    type Err = ProtocolError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ProtocolError::bad(format!(
                "file hash {:?} is not a SHA-256: expected 64 hexadecimal characters",
                truncate(text)
            )));
        }
        Ok(Self(text.to_ascii_lowercase()))
    }
}

impl fmt::Display for FileHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An absolute URL whose reputation is asked for. Checked for shape only: a scheme, `://`, a host part, no
/// white space or control characters, at most 2048 bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectUrl(String);

/// The longest URL the contract accepts.
pub const MAX_URL_BYTES: usize = 2048;

impl ObjectUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ObjectUrl {
    type Err = ProtocolError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let problem = if text.is_empty() {
            Some("is empty")
        } else if text.len() > MAX_URL_BYTES {
            Some("is longer than 2048 bytes")
        } else if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Some("contains white space or control characters")
        } else {
            match text.split_once("://") {
                Some((scheme, rest))
                    if !scheme.is_empty()
                        && scheme
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                        && !rest.is_empty()
                        && !rest.starts_with('/') =>
                {
                    None
                }
                _ => Some("is not an absolute URL like https://example.com/path"),
            }
        };
        match problem {
            Some(why) => Err(ProtocolError::bad(format!("URL {:?} {why}", truncate(text)))),
            None => Ok(Self(text.to_owned())),
        }
    }
}

impl fmt::Display for ObjectUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `{"file":"<sha256>"}` or `{"url":"<url>"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum ObjectRef {
    File(FileHash),
    Url(ObjectUrl),
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(hash) => write!(f, "file {hash}"),
            Self::Url(url) => write!(f, "url {url}"),
        }
    }
}

macro_rules! string_serde {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
string_serde!(FileHash);
string_serde!(ObjectUrl);

/// The start of a long input, for error messages that must stay readable.
pub(crate) fn truncate(text: &str) -> String {
    const SHOWN: usize = 80;
    if text.chars().count() <= SHOWN {
        text.to_owned()
    } else {
        format!("{}...", text.chars().take(SHOWN).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hash_is_lowercased_and_checked_for_length_and_digits() {
        let upper = "A".repeat(64);
        assert_eq!(upper.parse::<FileHash>().unwrap().as_str(), "a".repeat(64));
        let err = "abc".parse::<FileHash>().unwrap_err();
        assert!(err.to_string().contains("64 hexadecimal"), "{err}");
        assert!("g".repeat(64).parse::<FileHash>().is_err());
    }

    #[test]
    fn url_must_be_absolute_and_clean() {
        assert!("https://example.com/a?b=c".parse::<ObjectUrl>().is_ok());
        for bad in [
            "",
            "example.com",
            "https://",
            "https:///path",
            "http://a b",
            "://x",
        ] {
            assert!(bad.parse::<ObjectUrl>().is_err(), "{bad:?} should be rejected");
        }
        assert!(
            format!("http://{}", "a".repeat(2100))
                .parse::<ObjectUrl>()
                .is_err()
        );
    }

    #[test]
    fn object_ref_json_shape_is_the_contract() {
        let file: ObjectRef = serde_json::from_str(&format!(r#"{{"file":"{}"}}"#, "0".repeat(64))).unwrap();
        assert!(matches!(file, ObjectRef::File(_)));
        let url: ObjectRef = serde_json::from_str(r#"{"url":"https://x.test/"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&url).unwrap(),
            r#"{"url":"https://x.test/"}"#
        );
        assert!(serde_json::from_str::<ObjectRef>(r#"{"file":"nothex"}"#).is_err());
        assert!(serde_json::from_str::<ObjectRef>(r#"{"file":"x","url":"y"}"#).is_err());
    }

    proptest! {
        #[test]
        fn any_64_hex_chars_parse_and_print_lowercase(hex in "[0-9a-fA-F]{64}") {
            let hash: FileHash = hex.parse().unwrap();
            prop_assert_eq!(hash.to_string(), hex.to_ascii_lowercase());
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in ".{0,200}") {
            let _ = text.parse::<FileHash>();
            let _ = text.parse::<ObjectUrl>();
        }
    }
}
