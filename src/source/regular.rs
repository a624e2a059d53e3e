//! Opening a log without ever blocking on it: only a regular file is a log. A FIFO blocks
//! its opener until a writer comes and its reader until it writes, a device such as
//! `/dev/zero` never ends, a directory has no lines; each is named for the operator instead.

use crate::state_file::kind_of;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Why a path could not be opened as a log.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// It is something other than a regular file: what it is, in words.
    #[error("not a regular file: {0}")]
    NotRegular(&'static str),
    /// The system refused.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Opens `path` for reading if it is a regular file. O_NONBLOCK makes the open of a FIFO
/// return at once (it has no effect on a regular file), and the type is checked on what was
/// opened, so a FIFO put in the log's place between a look and the open is refused as well.
pub fn open_regular(path: &Path) -> Result<File, OpenError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let file_type = file.metadata()?.file_type();
    if file_type.is_file() {
        Ok(file)
    } else {
        Err(OpenError::NotRegular(kind_of(&file_type)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_open_and_a_fifo_does_not_block() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = dir.path().join("x.log");
        std::fs::write(&log, "line\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(open_regular(&log).is_ok());
        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .is_ok_and(|s| s.success())
        );
        let refused = |path: &Path| match open_regular(path) {
            Err(OpenError::NotRegular(what)) => what,
            other => panic!("{}: {other:?}", path.display()),
        };
        assert_eq!(refused(&fifo), "a FIFO (named pipe)");
        assert_eq!(refused(dir.path()), "a directory");
        assert_eq!(refused(Path::new("/dev/zero")), "a character device");
        assert!(matches!(
            open_regular(&dir.path().join("missing")),
            Err(OpenError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound
        ));
    }
}
