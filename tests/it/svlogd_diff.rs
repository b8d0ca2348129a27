//! Differential tests: the same input through Debian's svlogd and ours gives
//! the same log directories (TAI64N names and stamps masked), the same
//! stderr and the same exit code.
use crate::common;
use crate::svlogd_support;

use crate::golden::Golden;
use common::{ours, theirs_or_skip};
use std::os::unix::ffi::OsStrExt;
use svlogd_support::run_file;

/// A deterministic mix of line lengths and bytes, ending in a partial line.
fn mixed_input(lines: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let lens = [
        0usize, 1, 5, 19, 29, 30, 31, 50, 99, 100, 101, 150, 999, 1000, 1001, 2500,
    ];
    let alphabet = b"abcdefgh xyz pid+*\t\x01\x7f\xc3\xa9";
    let mut out = Vec::new();
    for i in 0..lines {
        let n = lens[(next() % lens.len() as u64) as usize];
        let mut line = format!("{i}:").into_bytes();
        while line.len() < n {
            line.push(alphabet[(next() % alphabet.len() as u64) as usize]);
        }
        line.truncate(n);
        out.extend_from_slice(&line);
        out.push(b'\n');
    }
    out.extend_from_slice(b"partial line without newline");
    out
}

fn words_input(lines: usize) -> Vec<u8> {
    let words = [
        "pid",
        "tcpsvd:",
        "info:",
        "error",
        "warn",
        "x",
        "y",
        "xyyy",
        "a*b",
        "+",
        "abc pid x",
    ];
    let mut out = Vec::new();
    let mut x: u64 = 7;
    for _ in 0..lines {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let k = (x >> 60) as usize % 5;
        let mut parts = Vec::new();
        for j in 0..k {
            parts.push(words[((x >> (j * 8)) as usize) % words.len()]);
        }
        out.extend_from_slice(parts.join(" ").as_bytes());
        out.push(b'\n');
    }
    out
}

/// Runs ours and, when installed, Debian's, and compares; returns ours.
/// Ours always equals the golden digest of Debian's result (`golden`).
fn same(test: &str, args: &[&str], names: &[&str], config: Option<&str>, input: &[u8]) -> String {
    let scenario = std::iter::once(test)
        .chain(args.iter().copied())
        .collect::<Vec<_>>();
    let golden = Golden::new("svlogd_diff", &scenario.join(" "));
    let a = run_file(&ours("svlogd"), test, args, names, config, input);
    if let Some(theirs) = theirs_or_skip("svlogd", test) {
        let b = run_file(&theirs, test, args, names, config, input);
        if a != b {
            let diff: Vec<String> = a
                .lines()
                .zip(b.lines())
                .enumerate()
                .filter(|(_, (x, y))| x != y)
                .take(5)
                .map(|(i, (x, y))| format!("line {i}:\n  ours:   {x:?}\n  theirs: {y:?}"))
                .collect();
            panic!(
                "{test}: results differ ({} vs {} bytes)\n{}",
                a.len(),
                b.len(),
                diff.join("\n")
            );
        }
        golden.reference(&digest(&b));
    }
    golden.check("ours", &digest(&a));
    a
}

/// What a golden file keeps of a (masked) result: its first lines, to read,
/// and its size and FNV-1a hash, to compare the whole (the log directories of
/// thousands of lines would make large files).
fn digest(result: &str) -> String {
    let hash = result.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let head: String = result.split_inclusive('\n').take(12).collect();
    format!(
        "{head}...\n{} lines, {} bytes, fnv1a64 {hash:016x}\n",
        result.lines().count(),
        result.len()
    )
}

#[test]
fn default_config() {
    same("default", &[], &["d"], None, &mixed_input(3000, 1));
}

#[test]
fn size_rotation_and_old_file_limit() {
    let input = mixed_input(3000, 2);
    same("s-n", &[], &["d"], Some("s10000\nn3\n"), &input);
    same("s-k", &["-l", "100"], &["d"], Some("s1k\nn100\n"), &input);
    same(
        "s-under-len",
        &["-l", "30"],
        &["d"],
        Some("s100\nn0\nN5\n"),
        &input[..40_000],
    );
    same(
        "s-tiny",
        &["-l", "1", "-b", "2"],
        &["d"],
        Some("s1\n"),
        &input[..2_000],
    );
}

#[test]
fn line_length_and_buffer() {
    let input = mixed_input(2000, 3);
    same("l-10", &["-l", "10"], &["d"], Some("s5000\nn0\n"), &input);
    same(
        "l-b",
        &["-l", "1999", "-b", "2000"],
        &["d"],
        Some("s0\n"),
        &input,
    );
    same(
        "b-small",
        &["-b", "1001"],
        &["d"],
        Some("s7000\nn0\n"),
        &input,
    );
}

#[test]
fn timestamps() {
    let input = mixed_input(1500, 4);
    same("t", &["-t"], &["d"], Some("s5000\nn0\n"), &input);
    same("tt", &["-tt"], &["d"], Some("s5000\nn0\n"), &input);
    same(
        "ttt",
        &["-ttt", "-l", "50"],
        &["d"],
        Some("s5000\nn0\n"),
        &input,
    );
    same("tttt", &["-tttt"], &["d"], None, &input);
}

#[test]
fn replacement() {
    let input = mixed_input(1500, 5);
    same("r", &["-r", "_"], &["d"], Some("s5000\nn0\n"), &input);
    same("R", &["-R", "ab"], &["d"], Some("s5000\nn0\n"), &input);
    same(
        "R-r",
        &["-R", "xz", "-r", ":", "-l", "20"],
        &["d"],
        Some("s0\n"),
        &input,
    );
}

#[test]
fn patterns_and_stderr() {
    let input = words_input(3000);
    same(
        "p1",
        &[],
        &["d"],
        Some("-*\n+*pid*\ne*error*\nE*x\n"),
        &input,
    );
    same(
        "p2",
        &["-l", "10"],
        &["d"],
        Some("-*\n+*pid*\ne*\nE*x\n+x+y\n-\n"),
        &input,
    );
    same(
        "p3",
        &["-tt"],
        &["d"],
        Some("e*\np[P] \n+*\n-error*\ns2000\nn3\n"),
        &input,
    );
    same(
        "p4",
        &["-t", "-r", "_"],
        &["d"],
        Some("E*\n+a*b\n-x+\ne+\n"),
        &input,
    );
}

#[test]
fn prefix_and_udp_only() {
    let input = words_input(500);
    same(
        "prefix",
        &["-t"],
        &["d"],
        Some("pPFX: \ns3000\nn0\n"),
        &input,
    );
    same("udp-bad", &["-tt"], &["d"], Some("e*\nU999.1\n"), &input);
    same(
        "udp-port",
        &[],
        &["d"],
        Some("u1.2.3.4:x\nu127.0.0.1:0\n"),
        &input,
    );
}

#[test]
fn several_directories() {
    let input = mixed_input(1500, 6);
    same(
        "multi",
        &["-l", "100"],
        &["a", "b", "c"],
        Some("s3000\nn5\n"),
        &input,
    );
}

#[test]
fn partial_and_overlong_last_lines() {
    same("partial", &[], &["d"], None, b"line1\nline2\npartial");
    same("long-last", &["-l", "5"], &["d"], None, b"line1\nabcdefgh");
    same(
        "exact-len",
        &["-l", "5"],
        &["d"],
        None,
        b"abcde\nabcd\nabcdef\n",
    );
    same("empty", &[], &["d"], None, b"");
    same("newlines", &["-tt"], &["d"], None, b"\n\n\n");
}

#[test]
fn usage_errors() {
    for args in [
        &[][..],
        &["-x", "d"],
        &["-l", "1000", "-b", "1000", "d"],
        &["-r", "ab", "d"],
        &["-r"],
        &["-V"],
        &["-r", "", "d"],
    ] {
        same("usage", args, &[], None, b"");
    }
    same("missing-dir", &[], &["nonexistent"], None, b"x\n");
}

#[test]
fn unclean_current_and_leftovers() {
    // Ours, then Debian's when installed.
    let bins: Vec<_> = std::iter::once(ours("svlogd"))
        .chain(theirs_or_skip("svlogd", "unclean"))
        .collect();
    let setup = |d: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(d.join("current"), "unclean\n").unwrap();
        std::fs::set_permissions(d.join("current"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        for (i, s) in ["s", "s", "u", "t", "s"].iter().enumerate() {
            std::fs::write(d.join(format!("@40000000000000000000000{i}.{s}")), "old\n").unwrap();
        }
        std::fs::write(d.join("config"), "n2\ns100\n").unwrap();
    };
    let mut results = Vec::new();
    for bin in bins {
        let dir = common::TestDir::new("unclean");
        std::fs::create_dir(dir.join("d")).unwrap();
        setup(&dir.join("d"));
        let mut cmd = std::process::Command::new(&bin);
        cmd.arg("-v").arg("d").current_dir(&dir.path);
        let out = common::run(cmd);
        let mut s = svlogd_support::dump_dir(&dir.join("d"));
        s.push_str(&String::from_utf8_lossy(&svlogd_support::mask_stamps(
            &out.stderr,
        )));
        results.push(s);
    }
    if let [ours, theirs] = &results[..] {
        assert_eq!(ours, theirs);
    }
}

#[test]
fn directories_that_cannot_be_used() {
    let bins: Vec<_> = std::iter::once(ours("svlogd"))
        .chain(theirs_or_skip("svlogd", "odd-dirs"))
        .collect();
    let mut results = Vec::new();
    for bin in bins {
        let dir = common::TestDir::new("odd-dirs");
        for d in ["a", "c/config", "e"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        std::fs::write(dir.join("f"), "").unwrap();
        let mut cmd = std::process::Command::new(&bin);
        std::os::unix::process::CommandExt::arg0(&mut cmd, "svlogd");
        cmd.args(["-v", "a", "f", "nodir", "c", "e"])
            .current_dir(&dir.path);
        let out = common::run(cmd);
        results.push(common::text(&out));
        // None usable at all: fatal, exit 111.
        let mut cmd = std::process::Command::new(&bin);
        cmd.args(["f", "nodir"]).current_dir(&dir.path);
        results.push(common::text(&common::run(cmd)));
    }
    assert_eq!(results[1].2, 111);
    if let [a, b, c, d] = &results[..] {
        assert_eq!(a, c);
        assert_eq!(b, d);
    }
}

/// stderr and exit code of `bin -v ARGS` run in `dir` over one line.
fn raw_run(bin: &std::path::Path, dir: &std::path::Path, args: &[&[u8]]) -> (Vec<u8>, i32) {
    use std::os::unix::ffi::OsStrExt;
    let mut c = common::clean_command(bin);
    c.args(args.iter().map(|a| std::ffi::OsStr::from_bytes(a)))
        .current_dir(dir);
    let o = common::run(c);
    (o.stderr, o.status.code().unwrap_or(-1))
}

#[test]
fn names_and_config_bytes_are_printed_as_given() {
    let t = common::TestDir::new("svlogd-bytes");
    let expected = |fresh: bool| {
        let first: &[u8] = if fresh { b"new" } else { b"append" };
        [
            b"svlogd: info: read: d\xff/config\n".to_vec(),
            b"svlogd: warning: unable to scan port number: \xfe\n".to_vec(),
            [b"svlogd: info: ", first, b": d\xff/current\n"].concat(),
            b"svlogd: warning: unable to open log directory: x\xfe: file does not exist\n".to_vec(),
            b"svlogd: info: close: d\xff\n".to_vec(),
        ]
        .concat()
    };
    let args: [&[u8]; 3] = [b"-v", b"d\xff", b"x\xfe"];
    let d = t.join(std::ffi::OsStr::from_bytes(b"d\xff"));
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("config"), b"u1.2.3.4:\xfe\n").unwrap();
    assert_eq!(
        raw_run(&ours("svlogd"), &t.path, &args),
        (expected(true), 0)
    );
    if let Some(theirs) = theirs_or_skip("svlogd", "names_and_config_bytes") {
        assert_eq!(raw_run(&theirs, &t.path, &args), (expected(false), 0));
    }
    // An option byte, too.
    let (err, code) = raw_run(&ours("svlogd"), &t.path, &[b"-\xff", b"d"]);
    assert!(err.starts_with(b"svlogd: illegal option -- \xff\nusage: "));
    assert_eq!(code, 111);
}

/// No size limit, one directory, input through a pipe in uneven pieces (the
/// lines go from the pipe to `current` by splice(2)): the same file as
/// runit's, overlong lines and the dropped partial last line included.
#[test]
fn no_size_limit_through_a_pipe() {
    let input = mixed_input(4000, 7);
    let run = |bin: &std::path::Path, test: &str| {
        let mut r = svlogd_support::Run::start(bin, test, &["-v"], &["d"], |dir| {
            std::fs::write(dir.join("d/config"), "s0\n").unwrap();
        });
        for (i, piece) in input.chunks(70_001).enumerate() {
            r.write(piece);
            if i % 3 == 0 {
                // Complete lines are written before more come (runit may
                // have written part of the next one too).
                let upto = ((i + 1) * 70_001).min(input.len());
                let lines = input[..upto].iter().rposition(|&b| b == b'\n');
                let want = lines.map_or(0, |p| p + 1) as u64;
                let d = r.path("d");
                common::wait_for("complete lines written", || {
                    svlogd_support::logged_bytes(&d) >= want
                });
            }
        }
        let code = r.finish();
        (r.dump(code), std::fs::read(r.path("d/current")).unwrap())
    };
    let (ours_dump, current) = run(&ours("svlogd"), "s0-pipe");
    let complete = input.iter().rposition(|&b| b == b'\n').unwrap() + 1;
    assert!(current == input[..complete], "{ours_dump}");
    if let Some(theirs) = theirs_or_skip("svlogd", "no_size_limit_through_a_pipe") {
        assert_eq!(ours_dump, run(&theirs, "s0-pipe-r").0);
    }
}
