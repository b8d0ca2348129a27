//! issue 12, defect 2: a pid read from a file is signalled only when it is
//! greater than 1 and still the process we mean. `runsvdir --graceful` SIGKILLs the pid
//! in a service's `supervise/status` once the grace time is up; with a
//! corrupt record (0xFFFFFFFF, 0, 1, or the pid of a process that is not the
//! service) it must reach nothing. Everything runs in a private PID
//! namespace, so that a kill(-1) from a regression cannot hurt the machine.
use crate::common;

use common::{clean_command, script, wait_until, Proc, TestDir};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

const SLOW: Duration = Duration::from_secs(20);

/// PID 1 of the namespace: a shell that starts a bystander and runsvdir,
/// waits for `go`, stops runsvdir with SIGTERM, and reports who survived.
const PID1: &str = r#"
sleep 1000 & echo $! > bystander.pid
runsvdir --graceful=1 sv & r=$!
while [ ! -e go ]; do sleep 0.02; done
kill -TERM $r; wait $r; echo "runsvdir $?" > report.tmp
if kill -0 $(cat bystander.pid); then echo bystander alive; else echo bystander dead; fi >> report.tmp
mv report.tmp report
"#;

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// One namespace whose service's status ends up holding `pid` (None: the
/// bystander's pid); returns the report.
fn corrupt_status_case(tag: &str, pid: Option<u32>) -> String {
    let t = TestDir::new(&format!("reliab-pids-{tag}"));
    // Ignores TERM, so that the grace time runs out and the SIGKILL step runs.
    script(
        t.join("sv/a/run"),
        "#!/bin/sh\ntrap '' TERM\necho up > ../../up\nexec sleep 1000\n",
    );
    let mut c = clean_command("/usr/bin/unshare");
    c.args(common::PID_NAMESPACE)
        .args(["/bin/sh", "-c", PID1])
        .env("PATH", common::test_path())
        .current_dir(&t.path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(t.join("stderr")).unwrap());
    let _p = Proc::start(c);
    let svc = t.join("sv/a");
    assert!(
        wait_until(SLOW, || read(&t.join("up")) == "up\n"
            && common::state_pid(&svc).is_some_and(|(s, p)| s == 1 && p != 0)),
        "service did not start: {}",
        read(&t.join("stderr"))
    );
    // runsv can no longer replace `status` (its `status.new` is a directory):
    // the corrupt record stays what runsvdir reads.
    std::fs::create_dir(svc.join("supervise/status.new")).unwrap();
    let bytes = common::status_bytes(&svc).unwrap();
    let mut st = runit::status::Status::decode(&bytes).unwrap();
    st.pid = pid.unwrap_or_else(|| read(&t.join("bystander.pid")).trim().parse().unwrap());
    std::fs::write(svc.join("supervise/status"), st.encode()).unwrap();
    std::fs::write(t.join("go"), "").unwrap();
    assert!(
        wait_until(SLOW, || t.join("report").exists()),
        "no report: {}",
        read(&t.join("stderr"))
    );
    read(&t.join("report"))
}

#[test]
fn graceful_never_signals_a_corrupt_or_foreign_pid() {
    if !Path::new("/usr/bin/unshare").exists() || !nix::unistd::geteuid().is_root() {
        crate::reference::unavailable(
            "graceful_never_signals_a_corrupt_or_foreign_pid",
            "needs root and unshare",
        );
        return;
    }
    let cases: [(&str, Option<u32>); 4] = [
        ("ffffffff", Some(0xFFFF_FFFF)),
        ("zero", Some(0)),
        ("one", Some(1)),
        ("foreign", None),
    ];
    let reports: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = cases
            .iter()
            .map(|&(tag, pid)| s.spawn(move || corrupt_status_case(tag, pid)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for ((tag, _), report) in cases.iter().zip(reports) {
        assert_eq!(report, "runsvdir 0\nbystander alive\n", "status pid {tag}");
    }
}
