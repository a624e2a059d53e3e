//! fail2ban's sqlite database (schema 4), read-only: per ban in force its ban count and the
//! log lines that led to it (`bips.data.matches`), and the recent ban history (`bans`).

use crate::fail2ban::config::{Config, Section};
use crate::model::address::read_held;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// fail2ban's database when its configuration does not say otherwise.
pub(super) const DEFAULT_DATABASE: &str = "/var/lib/fail2ban/fail2ban.sqlite3";

/// What the database knows about one ban.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BanRecord {
    /// The jail.
    pub jail: String,
    /// The address.
    pub ip: String,
    /// Epoch seconds of the ban.
    pub time: i64,
    /// Seconds (-1: permanent).
    pub bantime: i64,
    /// How many times this address has been banned in this jail.
    pub bancount: i64,
    /// Failures counted.
    pub failures: i64,
    /// The log lines that led to the ban.
    pub matches: Vec<String>,
}

/// Reading the database failed.
#[derive(Debug, thiserror::Error)]
#[error("fail2ban's database {}: {message}", path.display())]
pub struct DatabaseError {
    /// The file.
    pub(super) path: PathBuf,
    /// What went wrong.
    pub(super) message: String,
}

/// The database file: `dbfile` in fail2ban.conf/.local of `dir`, else the default; `None` when
/// fail2ban keeps no database (`:memory:` or `None`).
pub fn database_path(dir: &Path) -> Option<PathBuf> {
    let configured = Config::load(&[dir.join("fail2ban.conf")])
        .ok()
        .and_then(|c| {
            c.get("Definition", "dbfile", &Section::new())
                .ok()
                .flatten()
        });
    match configured.as_deref().map(str::trim) {
        Some(":memory:") | Some("None") | Some("none") => None,
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => Some(PathBuf::from(DEFAULT_DATABASE)),
    }
}

/// A read-only view of the database.
#[derive(Debug)]
pub struct Database {
    connection: Connection,
    path: PathBuf,
}

impl Database {
    /// Opens `path` read-only (fail2ban keeps writing it).
    pub fn open(path: &Path) -> Result<Self, DatabaseError> {
        let error = |message: String| DatabaseError {
            path: path.to_path_buf(),
            message,
        };
        if !path.is_file() {
            return Err(error("no such file".to_string()));
        }
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| error(e.to_string()))?;
        connection
            .busy_timeout(Duration::from_secs(2))
            .map_err(|e| error(e.to_string()))?;
        Ok(Database {
            connection,
            path: path.to_path_buf(),
        })
    }

    /// The bans in force (`bips`).
    pub fn current_bans(&self) -> Result<Vec<BanRecord>, DatabaseError> {
        self.query(
            "SELECT jail, ip, timeofban, bantime, bancount, data FROM bips ORDER BY timeofban",
        )
    }

    /// The last `limit` bans of the history (`bans`), newest first.
    pub fn history(&self, limit: u32) -> Result<Vec<BanRecord>, DatabaseError> {
        self.query(&format!("SELECT jail, ip, timeofban, bantime, bancount, data FROM bans ORDER BY timeofban DESC LIMIT {limit}"))
    }

    /// Every ban of the history (`bans`) at or after `since` (epoch seconds), oldest first.
    pub fn bans_since(&self, since: i64) -> Result<Vec<BanRecord>, DatabaseError> {
        self.query(&format!("SELECT jail, ip, timeofban, bantime, bancount, data FROM bans WHERE timeofban >= {since} ORDER BY timeofban"))
    }

    /// Every ban of `address` in the history (`bans`), oldest first, whatever spelling
    /// fail2ban stored it in (`::ffff:` forms are the IPv4 address).
    pub fn bans_of(&self, address: IpAddr) -> Result<Vec<BanRecord>, DatabaseError> {
        let mut bans = self.query(
            "SELECT jail, ip, timeofban, bantime, bancount, data FROM bans ORDER BY timeofban",
        )?;
        bans.retain(|ban| read_held(&ban.ip) == Some(address));
        Ok(bans)
    }

    fn query(&self, sql: &str) -> Result<Vec<BanRecord>, DatabaseError> {
        let error = |e: rusqlite::Error| DatabaseError {
            path: self.path.clone(),
            message: e.to_string(),
        };
        let mut statement = self.connection.prepare(sql).map_err(error)?;
        let rows = statement
            .query_map([], |row| {
                let data = match row.get_ref(5)? {
                    ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                        serde_json::from_slice::<serde_json::Value>(bytes).unwrap_or_default()
                    }
                    _ => serde_json::Value::Null,
                };
                let matches = data["matches"]
                    .as_array()
                    .map(|m| m.iter().map(match_text).collect())
                    .unwrap_or_default();
                Ok(BanRecord {
                    jail: row.get(0)?,
                    ip: row.get(1)?,
                    time: row.get(2)?,
                    bantime: row.get(3)?,
                    bancount: row.get(4)?,
                    failures: data["failures"].as_i64().unwrap_or(0),
                    matches,
                })
            })
            .map_err(error)?;
        rows.collect::<Result<_, _>>().map_err(error)
    }
}

/// A stored match: a line, or the (before, date, after) parts fail2ban keeps.
fn match_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(line) => line.clone(),
        serde_json::Value::Array(parts) => parts.iter().filter_map(|p| p.as_str()).collect(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_current_bans_with_their_evidence() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("fail2ban.sqlite3");
        let db = Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
        db.execute_batch(
            "CREATE TABLE bips(ip TEXT NOT NULL, jail TEXT NOT NULL, timeofban INTEGER NOT NULL, bantime INTEGER NOT NULL, bancount INTEGER NOT NULL default 1, data JSON, PRIMARY KEY(ip, jail));
             CREATE TABLE bans(jail TEXT NOT NULL, ip TEXT, timeofban INTEGER NOT NULL, bantime INTEGER NOT NULL, bancount INTEGER NOT NULL default 1, data JSON);
             INSERT INTO bips VALUES ('203.0.113.5', 'sshd', 100, 600, 2, CAST('{\"matches\": [[\"\", \"2026-01-19 17:00:00\", \" sshd[1]: Failed password\"]], \"failures\": 5}' AS BLOB));
             INSERT INTO bans VALUES ('sshd', '203.0.113.5', 50, 600, 1, '{}');",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let database = Database::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let bans = database.current_bans().unwrap_or_default();
        assert_eq!(bans.len(), 1);
        assert_eq!((bans[0].bancount, bans[0].failures), (2, 5));
        assert_eq!(
            bans[0].matches,
            ["2026-01-19 17:00:00 sshd[1]: Failed password"]
        );
        assert_eq!(database.history(10).map(|h| h.len()).ok(), Some(1));
        let of = |ip: &str| {
            database
                .bans_of(ip.parse().unwrap_or_else(|e| panic!("{e}")))
                .map(|bans| bans.len())
                .ok()
        };
        assert_eq!(of("203.0.113.5"), Some(1));
        assert_eq!(of("203.0.113.6"), Some(0));
        assert!(Database::open(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn a_database_of_another_schema_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("other.sqlite3");
        let db = Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
        db.execute_batch("CREATE TABLE something(other TEXT);")
            .unwrap_or_else(|e| panic!("{e}"));
        let database = Database::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let address = "203.0.113.5".parse().unwrap_or_else(|e| panic!("{e}"));
        let error = database.bans_of(address).err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("other.sqlite3") && e.contains("bans")),
            "{error:?}"
        );
        let not_sqlite = dir.path().join("text.sqlite3");
        std::fs::write(
            &not_sqlite,
            "not a database at all, just text\n".repeat(100),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let error = Database::open(&not_sqlite)
            .and_then(|db| db.bans_of(address))
            .err()
            .map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(|e| e.contains("text.sqlite3")),
            "{error:?}"
        );
    }
}
