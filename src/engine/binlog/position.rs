//! Where the stream is in the server's binary log, kept in a file of the
//! daemon's (`binlog.state_dir`) so a restart resumes where the last run left
//! off. The file is written whole and renamed into place, so a crash leaves
//! the old position or the new one, never half of one.

use std::path::{Path, PathBuf};

/// A position in the binary log: a file name and the offset of the next event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// The binary log file (`mysql-bin.000042`).
    pub file: String,
    /// The offset of the next event to read in it.
    pub offset: u64,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.offset)
    }
}

/// The position file of one database.
#[derive(Clone, Debug)]
pub struct Store {
    path: PathBuf,
}

impl Store {
    /// The file for `database` under `dir` (one per database: a server may
    /// hold several VICIdials, each with its own daemon).
    pub fn new(dir: &Path, database: &str) -> Store {
        let name: String = database
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Store {
            path: dir.join(format!("binlog-position-{name}")),
        }
    }

    /// The file's path, for log lines.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The kept position; `None` when there is none or it cannot be read.
    pub fn load(&self) -> Option<Position> {
        parse(&std::fs::read_to_string(&self.path).ok()?)
    }

    /// Keeps `position`.
    pub fn save(&self, position: &Position) -> std::io::Result<()> {
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, format!("{}\t{}\n", position.file, position.offset))?;
        std::fs::rename(&tmp, &self.path)
    }
}

fn parse(text: &str) -> Option<Position> {
    let (file, offset) = text.trim_end().split_once('\t')?;
    if file.is_empty() {
        return None;
    }
    Some(Position {
        file: file.to_owned(),
        offset: offset.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_position_loads_back_and_junk_loads_as_none() {
        let dir = std::env::temp_dir().join(format!("callbackd-position-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::new(&dir, "asterisk/../x");
        assert!(store.path().ends_with("binlog-position-asterisk____x"));
        assert_eq!(store.load(), None);
        let p = Position {
            file: "mysql-bin.000042".into(),
            offset: 1234,
        };
        store.save(&p).unwrap();
        assert_eq!(store.load(), Some(p));
        std::fs::write(store.path(), "mysql-bin.000042\tlots\n").unwrap();
        assert_eq!(store.load(), None);
        assert_eq!(parse("\t4\n"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
