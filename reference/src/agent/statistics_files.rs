//! "Save KSN statistics to file" (EP-MODE-2): no requests; each detection record is appended to a JSON file
//! for the current day, and at the first write of a new day every earlier day's file is packed into a TAR
//! archive of its own and removed. Dates come from the injected clock.
//!
//! Crash safety: files are replaced atomically; an archive is written beside, flushed, then renamed, and only
//! then is the day's JSON removed. A crash at any point leaves every record in a JSON file or an archive.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};
use time::{Date, OffsetDateTime};

use super::store::write_atomically;
use crate::protocol::statistics::StatisticsRecord;

const PREFIX: &str = "ksn-statistics-";

/// The folder of daily statistics files.
#[derive(Debug, Clone)]
pub struct StatisticsFiles {
    dir: PathBuf,
}

/// A statistics file could not be written or read; the path says which.
#[derive(Debug, thiserror::Error)]
#[error("statistics file {path}: {source}")]
pub struct StatisticsFileError {
    pub path: PathBuf,
    pub source: io::Error,
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> StatisticsFileError + '_ {
    move |source| StatisticsFileError {
        path: path.to_owned(),
        source,
    }
}

/// The calendar day (UTC) of a wall-clock time.
pub fn day_of(now: SystemTime) -> Date {
    let seconds = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    OffsetDateTime::from_unix_timestamp(seconds)
        .map(|t| t.date())
        .unwrap_or(Date::MIN)
}

impl StatisticsFiles {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `ksn-statistics-YYYY-MM-DD.json`
    pub fn day_file(&self, day: Date) -> PathBuf {
        self.dir.join(format!("{PREFIX}{day}.json"))
    }

    /// `ksn-statistics-YYYY-MM-DD.tar`
    pub fn archive(&self, day: Date) -> PathBuf {
        self.dir.join(format!("{PREFIX}{day}.tar"))
    }

    /// Packs earlier days, then appends `record` to today's file.
    pub fn append(&self, record: &StatisticsRecord, now: SystemTime) -> Result<(), StatisticsFileError> {
        let today = day_of(now);
        std::fs::create_dir_all(&self.dir).map_err(at(&self.dir))?;
        self.pack_earlier_days(today)?;
        let path = self.day_file(today);
        let mut records = self.read_day(today)?;
        records.push(record.clone());
        let document = serde_json::to_vec_pretty(&records).map_err(|err| at(&path)(io::Error::other(err)))?;
        write_atomically(&path, &document).map_err(at(&path))
    }

    /// Today's (or any day's) records still in JSON.
    pub fn read_day(&self, day: Date) -> Result<Vec<StatisticsRecord>, StatisticsFileError> {
        let path = self.day_file(day);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|err| at(&path)(io::Error::new(io::ErrorKind::InvalidData, err))),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(err) => Err(at(&path)(err)),
        }
    }

    /// The days that still have a JSON file, oldest first.
    pub fn days_in_json(&self) -> Result<Vec<Date>, StatisticsFileError> {
        let mut days = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(days),
            Err(err) => return Err(at(&self.dir)(err)),
        };
        for entry in entries {
            let name = entry.map_err(at(&self.dir))?.file_name();
            let name = name.to_string_lossy();
            let day = name
                .strip_prefix(PREFIX)
                .and_then(|rest| rest.strip_suffix(".json"));
            if let Some(Ok(day)) =
                day.map(|d| Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")))
            {
                days.push(day);
            }
        }
        days.sort();
        Ok(days)
    }

    /// Packs each day before `today` into its own archive and removes its JSON file.
    pub fn pack_earlier_days(&self, today: Date) -> Result<Vec<PathBuf>, StatisticsFileError> {
        let mut packed = Vec::new();
        for day in self.days_in_json()?.into_iter().filter(|day| *day < today) {
            let (json, archive) = (self.day_file(day), self.archive(day));
            if !archive.exists() {
                self.write_archive(day, &json, &archive)?;
            }
            // The archive is complete (written beside and renamed): the JSON file may go.
            std::fs::remove_file(&json).map_err(at(&json))?;
            packed.push(archive);
        }
        Ok(packed)
    }

    fn write_archive(&self, day: Date, json: &Path, archive: &Path) -> Result<(), StatisticsFileError> {
        let contents = std::fs::read(json).map_err(at(json))?;
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        // The day's own midnight: the archive's bytes depend on the records only.
        header.set_mtime(day.midnight().assume_utc().unix_timestamp().max(0) as u64);
        header.set_cksum();
        let mut builder = tar::Builder::new(Vec::new());
        let name = format!("{PREFIX}{day}.json");
        builder
            .append_data(&mut header, name, contents.as_slice())
            .map_err(at(archive))?;
        let bytes = builder.into_inner().map_err(at(archive))?;
        write_atomically(archive, &bytes).map_err(at(archive))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn record(n: u64) -> StatisticsRecord {
        let mut r = StatisticsRecord::new();
        r.insert("detection".into(), n.into());
        r
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ksnsim-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    const DAY: Duration = Duration::from_secs(86_400);
    // 2026-11-23T10:00:00Z
    const T0: u64 = 1_795_428_000;

    fn archived_records(path: &Path) -> Vec<StatisticsRecord> {
        let mut archive = tar::Archive::new(std::fs::File::open(path).unwrap());
        let mut entries = archive.entries().unwrap();
        let records = serde_json::from_reader(entries.next().unwrap().unwrap()).unwrap();
        assert!(entries.next().is_none(), "one day per archive");
        records
    }

    #[test]
    fn ep_mode_2_records_go_to_the_days_json_and_earlier_days_to_their_own_tar() {
        let dir = temp_dir("files");
        let files = StatisticsFiles::new(&dir);
        let t0 = UNIX_EPOCH + Duration::from_secs(T0);
        files.append(&record(1), t0).unwrap();
        files.append(&record(2), t0 + Duration::from_secs(60)).unwrap();
        files.append(&record(3), t0 + DAY).unwrap();
        files.append(&record(4), t0 + DAY * 2).unwrap();
        let (d0, d1, d2) = (day_of(t0), day_of(t0 + DAY), day_of(t0 + DAY * 2));
        assert_eq!(d0.to_string(), "2026-11-23");
        assert_eq!(archived_records(&files.archive(d0)), vec![record(1), record(2)]);
        assert_eq!(archived_records(&files.archive(d1)), vec![record(3)]);
        assert_eq!(files.read_day(d2).unwrap(), vec![record(4)]);
        assert_eq!(files.days_in_json().unwrap(), vec![d2]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn ep_mode_2_a_crash_between_archive_and_removal_loses_and_duplicates_nothing() {
        let dir = temp_dir("crash");
        let files = StatisticsFiles::new(&dir);
        let t0 = UNIX_EPOCH + Duration::from_secs(T0);
        files.append(&record(1), t0).unwrap();
        let d0 = day_of(t0);
        // The crash: the archive was renamed into place, the JSON was not removed yet.
        files
            .write_archive(d0, &files.day_file(d0), &files.archive(d0))
            .unwrap();
        files.append(&record(2), t0 + DAY).unwrap();
        assert_eq!(archived_records(&files.archive(d0)), vec![record(1)]);
        assert!(!files.day_file(d0).exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn archives_are_byte_identical_for_identical_records() {
        let (a, b) = (temp_dir("det-a"), temp_dir("det-b"));
        for dir in [&a, &b] {
            let files = StatisticsFiles::new(dir);
            let t0 = UNIX_EPOCH + Duration::from_secs(T0);
            files.append(&record(1), t0).unwrap();
            files.append(&record(2), t0 + DAY).unwrap();
        }
        let name = format!("{PREFIX}2026-11-23.tar");
        assert_eq!(
            std::fs::read(a.join(&name)).unwrap(),
            std::fs::read(b.join(&name)).unwrap()
        );
        std::fs::remove_dir_all(a).unwrap();
        std::fs::remove_dir_all(b).unwrap();
    }

    #[test]
    fn a_folder_not_made_yet_has_no_days_and_one_that_cannot_be_read_is_an_error() {
        let dir = temp_dir("no-folder");
        let files = StatisticsFiles::new(&dir);
        assert_eq!(
            files.days_in_json().unwrap(),
            Vec::<Date>::new(),
            "no folder yet: no days"
        );
        // A file where the folder should be: an error, not "no days" (which would skip packing them).
        std::fs::write(&dir, b"not a folder").unwrap();
        assert!(files.days_in_json().is_err());
        std::fs::remove_file(dir).unwrap();
    }

    #[test]
    fn a_days_file_that_cannot_be_read_is_an_error_not_an_empty_day() {
        let dir = temp_dir("unreadable-day");
        let files = StatisticsFiles::new(&dir);
        let t0 = UNIX_EPOCH + Duration::from_secs(T0);
        let today = day_of(t0);
        // A folder where today's file should be: appending fails rather than starting the day afresh
        // (which would replace the records already in it).
        std::fs::create_dir_all(files.day_file(today)).unwrap();
        assert!(files.read_day(today).is_err());
        assert!(files.append(&record(1), t0).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
