//! Files bantop keeps state in (the whitelist drop-in, the saved manual bans, the audit log) and
//! files it reads settings from (theme, keymap, settings): read-modify-write under an exclusive
//! lock, so two operators acting at once lose nothing; written atomically, never through a
//! symlink, keeping the old file's mode, owner and line endings; read with a bound, never from a
//! FIFO or a device. Every layer may use it.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// An exclusive lock on one state file, held until dropped. It is taken on a hidden sibling
/// (`.NAME.lock`): the file itself is replaced by rename, so a lock on it would not be shared.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

impl StateLock {
    /// Waits for the exclusive lock of `path` (creating its lock file).
    pub fn exclusive(path: &Path) -> io::Result<StateLock> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(sibling(path, "lock"))
            .map_err(|e| with_path(&sibling(path, "lock"), e))?;
        file.lock()?;
        Ok(StateLock { _file: file })
    }
}

/// `.NAME.SUFFIX` beside `path`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{suffix}"))
}

fn with_path(path: &Path, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

/// What a file type is, in words ("a FIFO (named pipe)", "a directory").
pub fn kind_of(file_type: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_dir() {
        "a directory"
    } else if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "not a file"
    }
}

/// Refuses what is not a regular file: a symlink (it would be followed, or replaced by a copy of
/// its target), a FIFO (reading would hang), a device or a directory.
pub fn refuse_special(path: &Path, metadata: &std::fs::Metadata) -> io::Result<()> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let what = kind_of(&kind);
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is {what}, not a regular file: bantop refuses it",
            path.display()
        ),
    ))
}

/// The text of a state file at `path`, refused when it is a symlink, not a regular file, or
/// larger than `max` bytes; `Ok(None)` when it does not exist.
pub fn read_bounded(path: &Path, max: u64) -> io::Result<Option<String>> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) => refuse_special(path, &metadata)?,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(with_path(path, error)),
    }
    // No follow: a file swapped for a symlink since is refused too.
    read_open(path, max, libc::O_NOFOLLOW).map(Some)
}

/// A saved JSON list at `path` (as [`read_bounded`] reads it), empty when the file does not
/// exist yet; the error in words (`what` names the list: "not a list of {what}").
pub fn read_json_list<T: serde::de::DeserializeOwned>(
    path: &Path,
    max: u64,
    what: &str,
) -> Result<Vec<T>, String> {
    match read_bounded(path, max) {
        Ok(Some(text)) => {
            serde_json::from_str(&text).map_err(|e| format!("not a list of {what}: {e}"))
        }
        Ok(None) => Ok(Vec::new()),
        Err(error) => Err(error.to_string()),
    }
}

/// The text of a file the operator named (theme, keymap, settings): a symlink is followed, but
/// what it reaches must be a regular file of at most `max` bytes (never `/dev/zero` or a FIFO).
pub fn read_named(path: &Path, max: u64) -> io::Result<String> {
    read_open(path, max, 0)
}

/// A file the operator named (a GeoIP database), opened under the same rules as
/// [`read_named`], for a reader that does not need it whole in memory.
pub fn open_named(path: &Path, max: u64) -> io::Result<std::fs::File> {
    open_checked(path, max, 0)
}

fn read_open(path: &Path, max: u64, flags: i32) -> io::Result<String> {
    let file = open_checked(path, max, flags)?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not UTF-8", path.display()),
        )
    })
}

/// `path` opened for reading, refused when it is not a regular file or larger than `max`.
fn open_checked(path: &Path, max: u64, flags: i32) -> io::Result<std::fs::File> {
    // Non-blocking: opening a FIFO does not wait for a writer before it is refused.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| with_path(path, e))?;
    let metadata = file.metadata()?;
    refuse_special(path, &metadata)?;
    if metadata.len() > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is {} bytes, more than the {max} bantop reads",
                path.display(),
                metadata.len()
            ),
        ));
    }
    Ok(file)
}

/// Writes `bytes` to `path` atomically: a new temporary file (`O_EXCL`) in the same directory,
/// given the old file's mode and owner, fsync, rename, fsync of the directory. A reader sees
/// the old file or the new one, never half of one. A symlink or special file at `path` is
/// refused, not followed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    PreparedWrite::new(path, bytes)?.commit()
}

/// A file written and synced beside its place but not yet renamed into it: what can fail for
/// lack of room has failed by then. Dropped without [`PreparedWrite::commit`], it is removed.
#[derive(Debug)]
pub struct PreparedWrite {
    path: PathBuf,
    temporary: Option<PathBuf>,
}

impl PreparedWrite {
    /// Writes the temporary file of `path`.
    pub fn new(path: &Path, bytes: &[u8]) -> io::Result<PreparedWrite> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let old = match std::fs::symlink_metadata(path) {
            Ok(metadata) => {
                refuse_special(path, &metadata)?;
                Some(metadata)
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(with_path(path, error)),
        };
        let temporary = sibling(
            path,
            &format!(
                "bantop-{}-{}.tmp",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ),
        );
        let prepared = PreparedWrite {
            path: path.to_path_buf(),
            temporary: Some(temporary.clone()),
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&temporary)
            .map_err(|e| with_path(&temporary, e))?;
        let mode = match &old {
            Some(old) => {
                // Not root: the file stays ours, with the old mode.
                let _ = std::os::unix::fs::fchown(&file, Some(old.uid()), Some(old.gid()));
                old.mode() & 0o7777
            }
            None => 0o644,
        };
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.write_all(bytes)
            .map_err(|e| with_path(&temporary, e))?;
        file.sync_all().map_err(|e| with_path(&temporary, e))?;
        Ok(prepared)
    }

    /// Renames the file into its place and syncs the directory.
    pub fn commit(mut self) -> io::Result<()> {
        let Some(temporary) = self.temporary.take() else {
            return Ok(());
        };
        if let Err(error) = std::fs::rename(&temporary, &self.path) {
            let _ = std::fs::remove_file(&temporary);
            return Err(with_path(&self.path, error));
        }
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    }
}

impl Drop for PreparedWrite {
    fn drop(&mut self) {
        if let Some(temporary) = self.temporary.take() {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

/// `text` with the line endings of `old`: CRLF when the old file used them.
pub fn keep_line_endings(old: &str, text: &str) -> String {
    if old.contains("\r\n") {
        text.replace("\r\n", "\n").replace('\n', "\r\n")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_keeps_mode_and_refuses_a_symlink_and_a_fifo() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("state.json");
        std::fs::write(&path, "old").unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640))
            .unwrap_or_else(|e| panic!("{e}"));
        write_atomically(&path, b"new").unwrap_or_else(|e| panic!("{e}"));
        let metadata = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(metadata.mode() & 0o777, 0o640);
        assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "new");

        let secret = dir.path().join("secret");
        std::fs::write(&secret, "password").unwrap_or_else(|e| panic!("{e}"));
        let link = dir.path().join("link.local");
        std::os::unix::fs::symlink(&secret, &link).unwrap_or_else(|e| panic!("{e}"));
        let refused = write_atomically(&link, b"x").err().map(|e| e.to_string());
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.contains("symbolic link")),
            "{refused:?}"
        );
        assert!(read_bounded(&link, 100).is_err());
        assert_eq!(
            std::fs::read_to_string(&secret).unwrap_or_default(),
            "password"
        );

        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()));
        let refused = read_bounded(&fifo, 100).err().map(|e| e.to_string());
        assert!(
            refused.as_deref().is_some_and(|e| e.contains("a FIFO")),
            "{refused:?}"
        );
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; 101]).unwrap_or_else(|e| panic!("{e}"));
        assert!(read_bounded(&big, 100).is_err());
        assert_eq!(read_bounded(&dir.path().join("none"), 100).ok(), Some(None));
    }

    #[test]
    fn crlf_files_stay_crlf() {
        assert_eq!(
            keep_line_endings("a\r\nb\r\n", "a\nb\nc\n"),
            "a\r\nb\r\nc\r\n"
        );
        assert_eq!(keep_line_endings("a\nb\n", "a\nb\nc\n"), "a\nb\nc\n");
    }
}
