//! setuser against phusion's (Python) setuser: identity (initgroups, gid,
//! uid), the environment it hands over byte for byte, the PATH search, every
//! message and exit code. Each case runs in a private mount namespace with
//! its own /etc/passwd and /etc/group bind-mounted, so that an account with
//! supplementary groups exists without touching the machine.
use crate::common;
use crate::reference;

use common::{run, script, TestDir};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const PATH: &str = "/usr/bin:/bin";

/// A private passwd/group pair: `sutest` (4242:4242) is listed in two more
/// groups and absent from a third; `sunohome` has a home that does not exist.
struct Accounts {
    dir: TestDir,
}

impl Accounts {
    fn new(name: &str) -> Accounts {
        let dir = TestDir::new(name);
        let mut passwd = fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
        passwd.push_str("sutest:x:4242:4242:setuser test:/home/sutest:/bin/sh\n");
        passwd.push_str("su-dash:x:4250:4242::/:/bin/sh\n");
        let mut group = fs::read_to_string("/etc/group").expect("read /etc/group");
        group.push_str("sutest:x:4242:\n");
        group.push_str("sutest-a:x:4243:root,sutest\n");
        group.push_str("sutest-b:x:4244:sutest\n");
        group.push_str("sutest-c:x:4245:root,nobody\n");
        fs::write(dir.join("passwd"), passwd).expect("write passwd");
        fs::write(dir.join("group"), group).expect("write group");
        Accounts { dir }
    }

    /// `program args...` in a private mount namespace over our databases,
    /// with a clean environment plus `env`.
    fn command(&self, program: &[PathBuf], args: &[&str], env: &[(&str, &str)]) -> Command {
        // The mounts need a shell; `env -i` then hands the program exactly
        // `env`, in this order (a shell would add PWD and reorder).
        let mut c = Command::new("/usr/bin/unshare");
        c.env_clear();
        c.args(common::PRIVATE_MOUNTS).args(["/bin/sh", "-c"]);
        c.arg(
            "mount --bind \"$1\" /etc/passwd && mount --bind \"$2\" /etc/group && shift 2 && exec /usr/bin/env -i \"$@\"",
        );
        c.arg("sh");
        c.arg(self.dir.join("passwd"));
        c.arg(self.dir.join("group"));
        for (k, v) in env {
            c.arg(format!("{k}={v}"));
        }
        c.args(program);
        c.args(args);
        c.current_dir(&self.dir.path);
        c
    }
}

type Out = (String, String, i32);

/// Runs ours (and the reference when present) with the same arguments and
/// environment; asserts they agree and returns ours.
fn same(acc: &Accounts, args: &[&str], env: &[(&str, &str)]) -> Out {
    let ours = vec![PathBuf::from(env!("CARGO_BIN_EXE_setuser"))];
    let out = common::text(&run(acc.command(&ours, args, env)));
    if let Some(reference) = reference::phusion("setuser", "setuser") {
        let theirs = common::text(&run(acc.command(&reference, args, env)));
        assert_eq!(out, theirs, "ours vs phusion's setuser for {args:?}");
    }
    out
}

fn base_env() -> Vec<(&'static str, &'static str)> {
    // A locale is set so that Python's locale coercion adds nothing.
    vec![("PATH", PATH), ("LANG", "C.UTF-8")]
}

fn ids_probe() -> Vec<&'static str> {
    vec!["grep", "-E", "^(Uid|Gid|Groups):", "/proc/self/status"]
}

#[test]
fn identity_from_the_databases() {
    let acc = Accounts::new("setuser-identity");
    let mut args = vec!["sutest"];
    args.extend(ids_probe());
    let out = same(&acc, &args, &base_env());
    assert_eq!(
        out,
        (
            "Uid:\t4242\t4242\t4242\t4242\nGid:\t4242\t4242\t4242\t4242\nGroups:\t4242 4243 4244 \n"
                .to_string(),
            String::new(),
            0
        )
    );
    let mut args = vec!["nobody"];
    args.extend(ids_probe());
    let out = same(&acc, &args, &base_env());
    assert!(
        out.0.contains("Groups:\t4245 65534 \n") && out.0.contains("Uid:\t65534\t65534"),
        "{out:?}"
    );
    // root keeps root, with root's memberships.
    let mut args = vec!["root"];
    args.extend(ids_probe());
    let out = same(&acc, &args, &base_env());
    assert!(out.0.contains("Groups:\t0 4243 4245 \n"), "{out:?}");
}

#[test]
fn environment_handed_over() {
    let acc = Accounts::new("setuser-env");
    // HOME and USER present: replaced where they stand; UID appended.
    let env = [
        ("A", "1"),
        ("HOME", "/root"),
        ("PATH", PATH),
        ("USER", "root"),
        ("LANG", "C.UTF-8"),
        ("GID", "0"),
    ];
    let out = same(&acc, &["sutest", "/usr/bin/env"], &env);
    assert_eq!(
        out.0,
        "A=1\nHOME=/home/sutest\nPATH=/usr/bin:/bin\nUSER=sutest\nLANG=C.UTF-8\nGID=0\nUID=4242\n"
    );
    // Nothing present: appended as USER, HOME, UID.
    let out = same(&acc, &["su-dash", "env"], &base_env());
    assert_eq!(
        out.0,
        "PATH=/usr/bin:/bin\nLANG=C.UTF-8\nUSER=su-dash\nHOME=/\nUID=4250\n"
    );
    // The exit code of the command is setuser's.
    let out = same(
        &acc,
        &["nobody", "sh", "-c", "echo out; echo err >&2; exit 7"],
        &base_env(),
    );
    assert_eq!(out, ("out\n".into(), "err\n".into(), 7));
}

#[test]
fn usage_and_unknown_users() {
    let acc = Accounts::new("setuser-usage");
    let usage = "Usage: /sbin/setuser USERNAME COMMAND [args..]\n";
    for args in [&[][..], &["nobody"], &["-h"]] {
        let out = same(&acc, args, &base_env());
        assert_eq!(out, (String::new(), usage.to_string(), 1), "{args:?}");
    }
    for user in ["no-such-user", "65534", "-u", ""] {
        let out = same(&acc, &[user, "true"], &base_env());
        assert_eq!(
            out,
            (
                String::new(),
                format!("setuser: user {user} not found\n"),
                1
            )
        );
    }
}

#[test]
fn command_search_and_exec_failures() {
    let acc = Accounts::new("setuser-exec");
    let t = &acc.dir;
    script(t.join("a/tool"), "#!/bin/sh\necho a\n");
    fs::set_permissions(
        t.join("a/tool"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    script(t.join("b/tool"), "#!/bin/sh\necho b\n");
    script(t.join("c/noshebang"), "echo no shebang\n");
    script(t.join("d/noshebang"), "#!/bin/sh\necho d\n");
    let dir = |d: &str| t.join(d).display().to_string();
    let run_with = |args: &[&str], dirs: &[&str]| {
        let path = dirs.iter().map(|d| dir(d)).collect::<Vec<_>>().join(":");
        same(&acc, args, &[("PATH", &path), ("LANG", "C.UTF-8")])
    };
    let fail = |cmd: &str, err: &str| {
        (
            String::new(),
            format!("setuser: cannot execute {cmd}: {err}\n"),
            1,
        )
    };
    // A non-executable match earlier in PATH is skipped.
    assert_eq!(run_with(&["nobody", "tool"], &["a", "b"]).0, "b\n");
    assert_eq!(
        run_with(&["nobody", "tool"], &["a"]),
        fail("tool", "[Errno 13] Permission denied")
    );
    // No shell fallback for a script without #!: ENOEXEC, and the search goes on.
    assert_eq!(
        run_with(&["nobody", "noshebang"], &["c"]),
        fail("noshebang", "[Errno 8] Exec format error")
    );
    assert_eq!(run_with(&["nobody", "noshebang"], &["c", "d"]).0, "d\n");
    assert_eq!(
        run_with(&["nobody", "no-such-command"], &["a", "b"]),
        fail("no-such-command", "[Errno 2] No such file or directory")
    );
    let with_slash = format!("{}/tool", dir("a"));
    assert_eq!(
        run_with(&["nobody", &with_slash], &["b"]),
        fail(&with_slash, "[Errno 13] Permission denied")
    );
    assert_eq!(
        run_with(&["nobody", "/etc"], &["b"]),
        fail("/etc", "[Errno 13] Permission denied")
    );
    assert_eq!(
        run_with(&["nobody", "/no/such/thing"], &["b"]),
        fail("/no/such/thing", "[Errno 2] No such file or directory")
    );
    // The privilege drop happens first: root's files are out of reach.
    assert!(Path::new("/root").exists());
    let out = same(&acc, &["nobody", "ls", "/root"], &base_env());
    assert_eq!(out.2, 2, "{out:?}");
}

#[test]
fn installed_at_the_image_paths() {
    // scripts/install.sh --phusion: under the prefix and at /sbin (in DESTDIR).
    let d = TestDir::new("setuser-install");
    let built = common::ours("setuser").parent().unwrap().to_path_buf();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new("bash");
    cmd.arg(root.join("scripts/install.sh"))
        .args(["--prefix", "/usr", "--phusion", "--destdir"])
        .arg(d.join("out"))
        .arg("--bindir")
        .arg(&built);
    let (o, e, c) = common::text(&run(cmd));
    assert_eq!(c, 0, "{o}{e}");
    for p in [
        "sbin/setuser",
        "usr/sbin/setuser",
        "usr/share/man/man8/setuser.8",
    ] {
        assert!(d.join("out").join(p).exists(), "{p} not installed");
    }
    let out = common::text(&run(Command::new(d.join("out/sbin/setuser"))));
    assert_eq!(
        out,
        (
            String::new(),
            "Usage: /sbin/setuser USERNAME COMMAND [args..]\n".into(),
            1
        )
    );
}
