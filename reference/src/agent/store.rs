//! Where the agent keeps what must survive a restart (consent, queued statistics): a small seam with an
//! in-memory store (tests, and simulated hosts whose "disk" outlives a crash) and a file store (real).

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Durable storage of one document. `save` must be atomic: after a crash, `load` gives either the old or
/// the new document, never a mix.
pub trait StateStore: Send + Sync + fmt::Debug {
    fn load(&self) -> io::Result<Option<Vec<u8>>>;
    fn save(&self, document: &[u8]) -> io::Result<()>;
}

/// A store in memory; clones share the document (it survives the agent that wrote it).
#[derive(Debug, Clone, Default)]
pub struct MemoryStore(Arc<Mutex<Option<Vec<u8>>>>);

impl StateStore for MemoryStore {
    fn load(&self) -> io::Result<Option<Vec<u8>>> {
        Ok(self
            .0
            .lock()
            .map_err(|_| io::Error::other("store lock poisoned"))?
            .clone())
    }

    fn save(&self, document: &[u8]) -> io::Result<()> {
        *self
            .0
            .lock()
            .map_err(|_| io::Error::other("store lock poisoned"))? = Some(document.to_vec());
        Ok(())
    }
}

/// A store in a file, replaced atomically (write beside, then rename).
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }
}

impl StateStore for FileStore {
    fn load(&self) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn save(&self, document: &[u8]) -> io::Result<()> {
        write_atomically(&self.path, document)
    }
}

/// Writes `document` beside `path`, flushes it to disk, then renames it over `path`: a crash leaves either
/// the old file or the new one.
pub(crate) fn write_atomically(path: &std::path::Path, document: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(document)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}
