//! Errors of the mocks: each says which input was wrong (file, name, flag) and what to do about it.

use std::time::SystemTime;

/// The test PKI could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("certificate generation failed: {0}")]
    Rcgen(rcgen::Error),
    #[error("{0:?} is neither a DNS name nor an IP address: use ASCII names such as ksn.global.test")]
    Name(String),
    #[error("validity time {0:?} cannot go into a certificate: use a time after 1970 and before 10000")]
    Validity(SystemTime),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

/// A reputation database file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot read the reputation database {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the reputation database {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}
