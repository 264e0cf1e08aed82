//! Programs from PyPI for tests (moto's S3 server, kubernetes-validate): each installed
//! into a virtual environment of its own under `~/.cache/strom` the first time it is
//! needed.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// The path of `program` from `requirement` (`moto[server]==5.2.6`), installed into
/// `~/.cache/strom/{venv}` on first use.
pub fn installed(venv: &str, requirement: &str, program: &str) -> PathBuf {
    // Tests of one binary run in parallel: one installs, the others wait.
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _installing = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let home = std::env::var_os("HOME").expect("HOME is not set");
    let venv = PathBuf::from(home).join(".cache/strom").join(venv);
    let installed = venv.join("bin").join(program);
    if installed.exists() {
        return installed;
    }
    let run = |command: &mut Command| {
        let status = command
            .status()
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        assert!(status.success(), "{command:?} failed: {status}");
    };
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run(Command::new(venv.join("bin/pip")).args(["install", "--quiet", requirement]));
    installed
}
