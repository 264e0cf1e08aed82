//! A real etcd for tests: Debian's `etcd-server`, installed with apt the first time it
//! is needed (or taken from `STROM_ETCD`), started on free loopback ports with its data
//! in a scratch directory.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A running etcd, stopped (and its data removed) when dropped.
pub struct Etcd {
    process: Child,
    data: PathBuf,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Etcd {
    /// Installs etcd if needed and starts a single-member cluster; returns once it
    /// answers.
    pub fn start() -> Etcd {
        let etcd = installed();
        let free = || {
            TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("no free loopback port")
                .port()
        };
        let (client, peer) = (free(), free());
        let data = std::env::temp_dir().join(format!("strom-etcd-{}-{client}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let endpoint = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let process = Command::new(&etcd)
            .arg("--data-dir")
            .arg(&data)
            .args(["--listen-client-urls", &endpoint])
            .args(["--advertise-client-urls", &endpoint])
            .args(["--listen-peer-urls", &peer_url])
            .args(["--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("default={peer_url}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{}`: {e}", etcd.display()));
        let etcd = Etcd {
            process,
            data,
            endpoint,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !etcd.answers() {
            assert!(
                Instant::now() < deadline,
                "etcd did not start on port {client}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        etcd
    }

    /// Pauses etcd (SIGSTOP): it accepts connections and answers nothing.
    #[allow(dead_code)] // Not every test pauses it.
    pub fn pause(&self) {
        let paused = Command::new("kill")
            .args(["-STOP", &self.process.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(paused, "cannot pause etcd");
    }

    /// True once etcd serves its API (its health endpoint says so).
    fn answers(&self) -> bool {
        let host = self.endpoint.trim_start_matches("http://");
        if TcpStream::connect(host).is_err() {
            return false;
        }
        ureq::get(format!("{}/health", self.endpoint))
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
            .is_some_and(|body| body.contains("true"))
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// The path of `etcd`, installing Debian's `etcd-server` on first use.
fn installed() -> PathBuf {
    if let Some(etcd) = std::env::var_os("STROM_ETCD") {
        return etcd.into();
    }
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _installing = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let etcd = PathBuf::from("/usr/bin/etcd");
    if etcd.exists() {
        return etcd;
    }
    let install = |update: bool| {
        let mut command = Command::new("apt-get");
        if update {
            command.arg("update");
        } else {
            command.args(["install", "-y", "etcd-server"]);
        }
        command
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !install(false) {
        assert!(
            install(true) && install(false),
            "cannot install etcd-server with apt-get"
        );
    }
    etcd
}
