//! A PostgreSQL cluster of a test's own (live-node and fault tests), and
//! temporary directories for servers started in their own process.
use std::path::PathBuf;

pub fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("stockage-{name}-{}", uuid::Uuid::new_v4()))
}

/// A PostgreSQL cluster of the test's own, so restarting it disturbs no
/// other test. Made with the machine's `initdb` as the `postgres` user.
pub struct Cluster {
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn bin(tool: &str) -> PathBuf {
        let versions = std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL is installed");
        let mut versions: Vec<PathBuf> = versions.flatten().map(|e| e.path()).collect();
        versions.sort();
        versions.last().unwrap().join("bin").join(tool)
    }

    fn as_postgres(tool: &str, args: &[&str]) {
        assert!(Self::try_as_postgres(tool, args), "{tool} {args:?} failed");
    }

    fn try_as_postgres(tool: &str, args: &[&str]) -> bool {
        std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(Self::bin(tool))
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    pub fn start() -> Self {
        let dir = temp_dir("pg");
        std::fs::create_dir_all(&dir).unwrap();
        let chown = std::process::Command::new("chown")
            .args(["postgres:postgres", dir.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(chown.success());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = dir.join("data");
        Self::as_postgres(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
            ],
        );
        let cluster = Self { dir, port };
        cluster.ctl("start");
        cluster
    }

    pub fn ctl(&self, action: &str) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.dir.display()
        );
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        Self::as_postgres(
            "pg_ctl",
            &[
                action,
                "-w",
                "-m",
                "fast",
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
            ],
        );
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/stockage", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // A test that failed while the cluster was stopped must not panic
        // again here (that aborts the whole test binary).
        let data = self.dir.join("data");
        Self::try_as_postgres(
            "pg_ctl",
            &["stop", "-w", "-m", "fast", "-D", data.to_str().unwrap()],
        );
        std::fs::remove_dir_all(&self.dir).ok();
    }
}
