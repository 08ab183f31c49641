//! A PostgreSQL database of its own for each test or benchmark, on the throw-away cluster
//! `scripts/with-postgres.sh` starts (it sets `NIMO_TEST_POSTGRES_URL`). `make test` and
//! CI always run under it; a bare `cargo test` without it runs the SQLite half only and
//! says so — unless `NIMO_REQUIRE_POSTGRES` is set (CI), where a missing server fails.

use sqlx::{Connection, Executor, PgConnection};

const URL_VAR: &str = "NIMO_TEST_POSTGRES_URL";
const REQUIRE_VAR: &str = "NIMO_REQUIRE_POSTGRES";

/// The cluster's URL, if tests run beside one.
pub fn server_url() -> Option<String> {
    match std::env::var(URL_VAR).ok().filter(|u| !u.trim().is_empty()) {
        Some(url) => Some(url),
        None => {
            assert!(
                std::env::var_os(REQUIRE_VAR).is_none(),
                "{REQUIRE_VAR} is set but {URL_VAR} is not: run under scripts/with-postgres.sh"
            );
            eprintln!("(PostgreSQL half skipped: {URL_VAR} is not set; `make test` sets it)");
            None
        }
    }
}

/// A new, empty database on the test cluster, and its URL; `None` without a cluster.
pub async fn fresh_database(label: &str) -> Option<String> {
    let server = server_url()?;
    let name = format!(
        "nimo_{}_{}_{:08x}",
        label
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(24)
            .collect::<String>()
            .to_ascii_lowercase(),
        std::process::id(),
        rand::random::<u32>()
    );
    let mut admin = PgConnection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("connecting to the test PostgreSQL at {server}: {e}"));
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap_or_else(|e| panic!("creating database {name}: {e}"));
    let _ = admin.close().await;
    Some(with_database(&server, &name))
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database() {
        assert_eq!(
            super::with_database("postgres://nimo@127.0.0.1:5432/postgres", "x"),
            "postgres://nimo@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://h", "x"), "postgres://h/x");
    }
}
