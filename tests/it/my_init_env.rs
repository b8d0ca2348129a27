//! The /etc/container_environment protocol, byte for byte against phusion's
//! my_init: what is imported when, what the startup scripts, the main command
//! and the services see (order included), the .sh and .json dumps, the files
//! written back, and their modes and owners.
use crate::my_init_support;
use crate::reference;

use my_init_support::*;

/// Dumps the environment exactly as received.
const DUMP: &str = "cat /proc/$$/environ > /etc/dump-";

fn awkward_tree(name: &str) -> Tree {
    let t = Tree::new(name);
    t.env_var("QUOTE", "it's \"quoted\"")
        .env_var("SPACE", "a b  c")
        .env_var("EMPTY", "")
        .env_var("DASH-NAME", "dashed")
        .env_var("NL1", "one\n")
        .env_var("NL2", "two\n\n")
        .env_var("NLMID", "a\nb")
        .env_var("UTF", "h\u{e9}llo \u{2713}")
        .env_var("\u{c9}T\u{c9}", "summer")
        .env_var("DOLLAR", "$HOME `x` \\ ;|&")
        .env_var("TAB", "a\tb")
        .env_var("EQ", "a=b")
        .env_var("SAFE", "abc@%+=:,./-09")
        .env_var("BOTH", "fromdir")
        .env_var("HOME", "/home/fromdir")
        .env_var("A.B", "dot");
    t.exe(
        "my_init.d/10-dump",
        &format!("#!/bin/sh\n{DUMP}script1\necho script1 >> /etc/trace\n"),
    );
    t
}

fn env_scenario<'a>(args: &[&str]) -> Scenario<'a> {
    Scenario::new(args)
        .env("OWN", "mine")
        .env("BOTH", "fromenv")
        .env("HOME", "/root")
        .env("USER", "root")
        .env("SHELL", "/bin/sh")
        .env("Z-DASH", "z")
}

#[test]
fn first_import_and_dumps() {
    let t = awkward_tree("my_init-env-first");
    let out = differential(
        &t,
        env_scenario(&["--skip-runit", "--", "sh", "-c", &format!("{DUMP}main")]),
        "first_import_and_dumps",
    );
    assert_eq!(out.code, Some(0));
    // The container's own environment wins at the first import; new names
    // from the directory follow, in sorted order.
    let script1 = out.dump("script1");
    assert!(script1.contains(&"BOTH=fromenv".to_string()), "{script1:?}");
    assert!(script1.contains(&"HOME=/root".to_string()));
    assert!(script1.contains(&"NL1=one".to_string()));
    assert!(script1.contains(&"NL2=two\n".to_string()));
    assert!(script1.contains(&"EMPTY=".to_string()));
    // Everything but HOME USER GROUP UID GID SHELL is written back, no newline.
    assert_eq!(out.read_str("container_environment/OWN"), "mine");
    assert_eq!(out.read_str("container_environment/BOTH"), "fromenv");
    assert_eq!(out.read_str("container_environment/NL1"), "one");
    assert_eq!(out.read_str("container_environment/HOME"), "/home/fromdir");
    assert!(!out.exists("container_environment/USER"));
    assert!(!out.exists("container_environment/SHELL"));
    let sh = out.read_str("container_environment.sh");
    for line in [
        "export QUOTE='it'\"'\"'s \"quoted\"'\n",
        "export SPACE='a b  c'\n",
        "export EMPTY=''\n",
        "export DASH_NAME=dashed\n",
        "export SAFE=abc@%+=:,./-09\n",
        "export A_B=dot\n",
        // "two\n\n" loses one newline at each import: two imports.
        "export NL2=two\n",
        "export NLMID='a\nb'\n",
        "export \u{c9}T\u{c9}=summer\n",
        "export Z_DASH=z\n",
    ] {
        assert!(sh.contains(line), "{line:?} not in:\n{sh}");
    }
    assert!(!sh.contains("export HOME="));
    let json = out.read_str("container_environment.json");
    // The final dump is the re-imported directory, in its sorted order;
    // HOME comes back from the directory's own file, USER is gone.
    assert!(json.starts_with("{\"A.B\": \"dot\", "), "{json}");
    assert!(json.contains("\"HOME\": \"/home/fromdir\""), "{json}");
    assert!(!json.contains("\"USER\""), "{json}");
    assert!(json.contains("\"UTF\": \"h\\u00e9llo \\u2713\""), "{json}");
    assert!(json.contains("\"\\u00c9T\\u00c9\": \"summer\""), "{json}");
    assert!(json.contains("\"NLMID\": \"a\\nb\""), "{json}");
    assert_eq!(out.read_str("container_environment/NL2"), "two\n");
    assert!(!json.ends_with('\n'));
    // After the script, the environment is the directory's: USER is gone.
    let main = out.dump("main");
    assert!(!main.iter().any(|v| v.starts_with("USER=")), "{main:?}");
    assert!(main.contains(&"HOME=/home/fromdir".to_string()));
    assert!(main.contains(&"OWN=mine".to_string()));
    let mut sorted = main.clone();
    sorted.sort();
    assert_eq!(main, sorted, "re-imported in directory order");
    assert_eq!(
        out.mode_owner("container_environment.sh"),
        (0o644, 0, 0),
        "created under umask 022"
    );
}

#[test]
fn scripts_change_the_environment() {
    let t = awkward_tree("my_init-env-scripts");
    t.exe(
        "my_init.d/20-change",
        "#!/bin/sh\nprintf 'new\\n' > /etc/container_environment/ADDED\nrm /etc/container_environment/SPACE\nprintf changed > /etc/container_environment/OWN\necho script2 >> /etc/trace\n",
    );
    t.exe(
        "rc.local",
        &format!("#!/bin/sh\n{DUMP}rclocal\necho rc.local >> /etc/trace\n"),
    );
    t.exe(
        "service/dumper/run",
        &format!("#!/bin/sh\n{DUMP}service\necho service-up >> /etc/trace\nexec sleep 1000\n"),
    );
    let main = format!("until grep -q service-up /etc/trace; do sleep 0.02; done; {DUMP}main");
    let out = differential(
        &t,
        env_scenario(&["--", "sh", "-c", &main]),
        "scripts_change_the_environment",
    );
    assert_eq!(out.code, Some(0));
    assert_eq!(
        out.trace_lines(),
        ["script1", "script2", "rc.local", "service-up"]
    );
    for who in ["rclocal", "main", "service"] {
        let env = out.dump(who);
        assert!(env.contains(&"ADDED=new".to_string()), "{who}: {env:?}");
        assert!(env.contains(&"OWN=changed".to_string()), "{who}");
        assert!(!env.iter().any(|v| v.starts_with("SPACE=")), "{who}");
    }
    assert_eq!(out.dump("main"), out.dump("service"));
    // Re-exports write .sh and .json only, never the directory.
    let sh = out.read_str("container_environment.sh");
    assert!(
        sh.contains("export ADDED=new\n") && !sh.contains("SPACE"),
        "{sh}"
    );
    assert_eq!(out.read_str("container_environment/ADDED"), "new\n");
}

#[test]
fn dumps_keep_their_mode_and_owner() {
    let t = awkward_tree("my_init-env-modes");
    t.file(
        "container_environment.sh",
        "old contents that are longer than new\n",
    )
    .chmod("container_environment.sh", 0o640)
    .file("container_environment.json", "{}")
    .chmod("container_environment.json", 0o600)
    .file("container_environment/OWN", "x")
    .chmod("container_environment/OWN", 0o600)
    .chmod("container_environment", 0o700);
    for rel in [
        "container_environment.sh",
        "container_environment.json",
        "container_environment/OWN",
    ] {
        std::os::unix::fs::chown(t.tmpl.join(rel), Some(1), Some(4)).expect("chown");
    }
    let out = differential(
        &t,
        Scenario::new(&["--skip-runit", "true"]).env("OWN", "mine"),
        "dumps_keep_their_mode_and_owner",
    );
    assert_eq!(out.mode_owner("container_environment.sh"), (0o640, 1, 4));
    assert_eq!(out.mode_owner("container_environment.json"), (0o600, 1, 4));
    assert_eq!(out.mode_owner("container_environment/OWN"), (0o600, 1, 4));
    assert_eq!(out.mode_owner("container_environment/QUOTE"), (0o644, 0, 0));
    assert_eq!(out.mode_owner("container_environment"), (0o700, 0, 0));
    assert_eq!(out.read_str("container_environment/OWN"), "mine");
    assert!(!out
        .read_str("container_environment.sh")
        .contains("old contents"));
}

#[test]
fn no_environment_directory() {
    let t = Tree::new("my_init-env-none");
    t.exe("my_init.d/10-dump", &format!("#!/bin/sh\n{DUMP}script1\n"));
    let out = differential(
        &t,
        Scenario::new(&["--skip-runit", "--", "sh", "-c", &format!("{DUMP}main")])
            .env("HOME", "/root"),
        "no_environment_directory",
    );
    assert_eq!(out.code, Some(0));
    assert!(!out.exists("container_environment.sh"));
    assert!(!out.exists("container_environment.json"));
    assert!(!out.exists("container_environment"));
    // Nothing to import: the scripts and the command get my_init's own environment.
    assert!(out.dump("main").contains(&"HOME=/root".to_string()));
    assert_eq!(out.dump("main"), out.dump("script1"));
}

#[test]
fn values_that_are_not_utf8() {
    // The reference dies on them (UnicodeDecodeError); ours passes the
    // bytes through. Ours only, plus the reference's crash.
    let t = Tree::new("my_init-env-binary");
    t.env_var("BIN", b"a\xffb\n".as_slice())
        .env_var("OK", "fine");
    let sc = Scenario::new(&["--skip-runit", "--", "sh", "-c", &format!("{DUMP}main")]);
    let out = run_one(&t, &Which::Ours, &sc);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let main = out.read("dump-main");
    assert!(
        main.split(|&b| b == 0).any(|v| v == b"BIN=a\xffb"),
        "{:?}",
        main.escape_ascii().to_string()
    );
    // Written back by the first export, without the newline.
    assert_eq!(out.read("container_environment/BIN"), b"a\xffb");
    if let Some(reference) = reference::phusion("my_init", "values_that_are_not_utf8") {
        let theirs = run_one(&t, &Which::Reference(reference), &sc);
        assert_eq!(theirs.code, Some(1));
        assert!(
            theirs.stderr.contains("UnicodeDecodeError"),
            "{}",
            theirs.stderr
        );
    }
}

#[test]
fn json_and_shell_encoding_corners() {
    // Control characters, DEL, astral characters (surrogate pairs in JSON),
    // line and paragraph separators, backslashes; names with a leading
    // digit, a space, Unicode letters and digits, punctuation.
    let t = Tree::new("my_init-env-corners");
    t.env_var("CTRL", "a\u{1}b\u{1f}c\u{7f}d\re")
        .env_var("ASTRAL", "\u{1F600} \u{10FFFF}")
        .env_var("SEPS", "\u{2028}\u{2029}\u{85}\u{a0}")
        .env_var("BACKSLASH", "\\ \\\\ \\n \"")
        .env_var("1LEADING", "digit")
        .env_var("A B", "space")
        .env_var("X\u{661}\u{3b1}", "unicode digit and letter")
        .env_var("P+Q@R", "punct")
        .env_var("ONLY_QUOTE", "'")
        .env_var("PCT", "100%")
        .env_var("TILDE", "~user")
        .env_var("HASH", "#x")
        .env_var("STAR", "*")
        .env_var("EXCL", "!x")
        .env_var("CARET", "^x")
        .env_var("CRLF", "x\r\n")
        .env_var("CR", "y\r");
    let out = differential(
        &t,
        Scenario::new(&[
            "--skip-runit",
            "--",
            "sh",
            "-c",
            "cat /proc/$$/environ > /etc/dump-main",
        ]),
        "json_and_shell_encoding_corners",
    );
    assert_eq!(out.code, Some(0));
    let json = out.read_str("container_environment.json");
    for piece in [
        // DEL is escaped; a CR reads as a newline (Python's text mode).
        "\"CTRL\": \"a\\u0001b\\u001fc\\u007fd\\ne\"",
        "\"ASTRAL\": \"\\ud83d\\ude00 \\udbff\\udfff\"",
        "\"SEPS\": \"\\u2028\\u2029\\u0085\\u00a0\"",
        "\"BACKSLASH\": \"\\\\ \\\\\\\\ \\\\n \\\"\"",
        "\"X\\u0661\\u03b1\": ",
    ] {
        assert!(json.contains(piece), "{piece} not in {json}");
    }
    let sh = out.read_str("container_environment.sh");
    for line in [
        "export 1LEADING=digit\n",
        "export A_B=space\n",
        "export X\u{661}\u{3b1}='unicode digit and letter'\n",
        "export P_Q_R=punct\n",
        "export ONLY_QUOTE=''\"'\"''\n",
        "export PCT=100%\n",
        "export TILDE='~user'\n",
        "export HASH='#x'\n",
        // CR LF and a lone CR read as one newline, which is stripped.
        "export CRLF=x\n",
        "export CR=y\n",
    ] {
        assert!(sh.contains(line), "{line:?} not in:\n{sh}");
    }
}

#[test]
fn a_name_with_an_equals_sign() {
    // The reference dies on it (ValueError: illegal environment variable
    // name) before anything runs; ours leaves that one name out.
    let t = Tree::new("my_init-env-equals");
    t.env_var("A=B", "v").env_var("OK", "fine");
    let sc = Scenario::new(&["--skip-runit", "--", "sh", "-c", &format!("{DUMP}main")]);
    let out = run_one(&t, &Which::Ours, &sc);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let main = out.dump("main");
    assert!(main.contains(&"OK=fine".to_string()), "{main:?}");
    assert!(!main.iter().any(|v| v.starts_with("A=")), "{main:?}");
    if let Some(reference) = reference::phusion("my_init", "a_name_with_an_equals_sign") {
        let theirs = run_one(&t, &Which::Reference(reference), &sc);
        assert_eq!(theirs.code, Some(1));
        assert!(theirs.stderr.contains("illegal environment variable name"));
        assert!(!theirs.exists("dump-main"));
    }
}
