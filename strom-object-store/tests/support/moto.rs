//! A real S3-compatible server for tests: moto's server from PyPI, installed into a
//! virtual environment under `~/.cache/strom` the first time it is needed (or taken from
//! `STROM_MOTO_SERVER`), and started on a free loopback port.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The moto version the tests were written against.
const MOTO: &str = "moto[server]==5.2.6";

/// A running moto server, stopped when dropped.
pub struct Moto {
    process: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Moto {
    /// Installs moto if needed and starts it; returns once it answers.
    pub fn start() -> Moto {
        let server = installed();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("no free loopback port")
            .port();
        let process = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{}`: {e}", server.display()));
        let moto = Moto {
            process,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while moto.request("GET", "/").is_none() {
            assert!(
                Instant::now() < deadline,
                "moto did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// Creates `bucket` (moto takes an unsigned request).
    pub fn create_bucket(&self, bucket: &str) {
        let status = self.request("PUT", &format!("/{bucket}"));
        assert_eq!(status, Some(200), "cannot create bucket `{bucket}`");
    }

    /// The S3 settings of a client of this server, as object_store options.
    pub fn options(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("aws_endpoint", self.endpoint.as_str()),
            ("aws_allow_http", "true"),
            ("aws_access_key_id", "strom-test"),
            ("aws_secret_access_key", "strom-test"),
            ("aws_region", "us-east-1"),
        ]
    }

    /// The same settings as environment variables, for child processes.
    #[allow(dead_code)] // The cluster tests' only.
    pub fn env(&self) -> Vec<(String, String)> {
        self.options()
            .into_iter()
            .map(|(key, value)| (key.to_ascii_uppercase(), value.to_owned()))
            .collect()
    }

    /// Stops the server (to test what happens when the store goes away).
    #[allow(dead_code)]
    pub fn stop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    /// The status code of a bodiless request, or `None` if the server did not answer.
    fn request(&self, method: &str, path: &str) -> Option<u16> {
        let host = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        response.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The path of `moto_server`, installing it on first use.
fn installed() -> PathBuf {
    match std::env::var_os("STROM_MOTO_SERVER") {
        Some(server) => server.into(),
        None => pypi::installed("moto-venv", MOTO, "moto_server"),
    }
}

#[path = "../../../tests/common/pypi.rs"]
mod pypi;
