//! What the tests of the built binary share: the binary in a clean environment over a SQLite
//! file, a free loopback port, and `serve` started and waited for.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_resilience-hub");

/// The binary with a clean environment, in `dir`, over the SQLite file `db` there, logging at
/// `log`.
pub fn hub(dir: &Path, db: &str, log: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .current_dir(dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join(db).display()),
        )
        .env("RUST_LOG", log);
    cmd
}

/// A free loopback port (free a moment ago).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `cmd serve` on a free loopback port, with its standard output and error as given,
/// and waits until it answers `/readyz`. Returns the process and its base URL.
pub async fn serve(mut cmd: Command, stdout: Stdio, stderr: Stdio) -> (Child, String) {
    let port = free_port();
    let mut child = cmd
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("serve starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while !client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        if let Ok(Some(status)) = child.try_wait() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "serve exited with {status}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "serve never became ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, base)
}

/// Creates the council `rotherham` with `create-org`; returns its id.
pub fn create_rotherham(mut cmd: Command) -> String {
    let created = cmd
        .args([
            "create-org",
            "--slug",
            "rotherham",
            "--name",
            "Rotherham Metropolitan Borough Council",
            "--kind",
            "council",
        ])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    String::from_utf8_lossy(&created.stdout)
        .split('\t')
        .next()
        .unwrap()
        .to_owned()
}
