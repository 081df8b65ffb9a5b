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

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ksnsim-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_file_store_keeps_the_last_document_saved_and_has_none_before_the_first() {
        let dir = temp_dir("file");
        let store = FileStore::new(dir.join("agent.json"));
        assert_eq!(store.load().unwrap(), None, "nothing saved yet");
        store.save(b"first").unwrap();
        store.save(b"second").unwrap();
        assert_eq!(store.load().unwrap(), Some(b"second".to_vec()));
        assert_eq!(
            FileStore::new(dir.join("agent.json")).load().unwrap(),
            Some(b"second".to_vec()),
            "another store on the same file (the agent after a restart) reads it too"
        );
        assert!(
            !dir.join("agent.tmp").exists(),
            "the temporary file was renamed into place"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_store_that_cannot_read_its_file_says_so_rather_than_starting_afresh() {
        let dir = temp_dir("unreadable");
        // A directory where the file should be: an error other than "not found".
        let store = FileStore::new(&dir);
        assert!(store.load().is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn clones_of_a_memory_store_share_its_document() {
        let store = MemoryStore::default();
        assert_eq!(store.load().unwrap(), None);
        let after_restart = store.clone();
        store.save(b"state").unwrap();
        assert_eq!(after_restart.load().unwrap(), Some(b"state".to_vec()));
    }
}
