//! The shape of a benchmark's database and server: which schema its tables
//! come from, the hopper's engine and the server's key buffer. These are the
//! cells of `scripts/bench.sh`'s matrix, on which the same targets must hold.

use mysql_async::Conn;
use mysql_async::prelude::Queryable;

/// One cell's shape, from the command line.
pub struct Shape {
    /// VICIdial's own `MySQL_AST_CREATE_tables.sql` (`--schema FILE`);
    /// without it, this project's `sql/vicidial-schema.sql`.
    pub schema: Option<std::path::PathBuf>,
    /// `--hopper-engine MEMORY|MyISAM`: the hopper's engine after the schema
    /// (VICIdial 2.14's script creates it MyISAM, MySQL_AST_CREATE_tables.sql
    /// line 378, and turns it to MEMORY at line 5362; sites turn it back).
    pub hopper_engine: Option<String>,
    /// `--key-buffer MB`: the server's MyISAM key buffer for the run (MariaDB's
    /// default is 128), put back afterwards.
    pub key_buffer_mb: Option<u64>,
}

impl Shape {
    /// Reads `--schema`, `--hopper-engine` and `--key-buffer`.
    pub fn from_args(args: &[String]) -> Shape {
        let arg = |name: &str| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .cloned()
        };
        let hopper_engine = arg("--hopper-engine");
        if let Some(e) = &hopper_engine {
            assert!(
                ["MEMORY", "MyISAM", "InnoDB", "Aria"].contains(&e.as_str()),
                "--hopper-engine {e}: one of MEMORY, MyISAM, InnoDB, Aria"
            );
        }
        Shape {
            schema: arg("--schema").map(std::path::PathBuf::from),
            hopper_engine,
            key_buffer_mb: arg("--key-buffer").map(|v| v.parse().expect("--key-buffer MB: a number")),
        }
    }

    /// The SQL that creates VICIdial's tables and the daemon's own.
    pub fn schema_sql(&self) -> String {
        let vicidial = match &self.schema {
            Some(path) => std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            None => include_str!("../../sql/vicidial-schema.sql").to_string(),
        };
        format!("{vicidial}\n{}", include_str!("../../sql/callbackd.sql"))
    }

    /// Sets the key buffer; returns the size to put back (bytes).
    pub async fn set_key_buffer(&self, c: &mut Conn) -> Option<u64> {
        let mb = self.key_buffer_mb?;
        let before: u64 = c.query_first("SELECT @@key_buffer_size").await.unwrap().unwrap();
        c.query_drop(format!("SET GLOBAL key_buffer_size = {}", mb << 20))
            .await
            .unwrap();
        Some(before)
    }

    /// How the cell is shaped, for the output.
    pub async fn describe(&self, c: &mut Conn, db: &str) -> String {
        let (version, key_buffer, binlog): (String, u64, String) = c
            .query_first("SELECT VERSION(), @@key_buffer_size, IF(@@log_bin, @@binlog_format, 'off')")
            .await
            .unwrap()
            .unwrap();
        let engine: String = match &self.hopper_engine {
            Some(e) => e.clone(),
            None => c
                .exec_first(
                    "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'vicidial_hopper'",
                    (db,),
                )
                .await
                .unwrap()
                .unwrap_or_else(|| "as the schema makes it".into()),
        };
        format!(
            "MariaDB {version}, schema {}, hopper {engine}, key buffer {} MB, binary log {binlog}",
            match &self.schema {
                Some(p) => format!("VICIdial's ({})", p.file_name().unwrap_or_default().to_string_lossy()),
                None => "sql/".into(),
            },
            key_buffer >> 20
        )
    }
}

/// After the schema ran: VICIdial's script ships sample leads (lead_id 1-7,
/// list 101, MySQL_AST_CREATE_tables.sql:5655-5661), in the way of the
/// benchmark's; then the hopper's engine, when the cell sets it.
pub async fn prepare_tables(c: &mut Conn, vicidial_schema: bool, hopper_engine: Option<&str>) {
    if vicidial_schema {
        c.query_drop("DELETE FROM vicidial_list").await.unwrap();
    }
    if let Some(engine) = hopper_engine {
        c.query_drop(format!("ALTER TABLE vicidial_hopper ENGINE={engine}"))
            .await
            .unwrap();
    }
}
