//! my_init's command line, compared with phusion's (Python argparse): every
//! option, abbreviations, `--`, options after the command, help, and every
//! error with its usage lines and exit code.
use crate::my_init_support;
use crate::reference;

use my_init_support::*;

const USAGE: [&str; 3] = [
    "usage: my_init [-h] [--enable-insecure-key] [--skip-startup-files]",
    "               [--skip-runit] [--no-kill-all-on-exit] [--quiet]",
    "               [MAIN_COMMAND ...]",
];

fn usage_error(msg: &str) -> Vec<String> {
    let mut v: Vec<String> = USAGE.iter().map(|s| s.to_string()).collect();
    v.push(format!("my_init: error: {msg}"));
    v
}

/// A tree with one startup script and no services.
fn small_tree(name: &str) -> Tree {
    let t = Tree::new(name);
    t.exe(
        "my_init.d/10-first",
        "#!/bin/sh\necho startup >> /etc/trace\n",
    );
    t.mkdir("service");
    t
}

#[test]
fn help() {
    let t = small_tree("my_init-help");
    for args in [
        &["--help"][..],
        &["-h"],
        &["--he"],
        &["--skip-runit", "--help", "true"],
        &["true", "-h"],
    ] {
        let out = differential(&t, Scenario::new(args), "help");
        assert_eq!(out.code, Some(0), "{args:?}");
        assert!(
            out.stdout.starts_with(&format!(
                "{}\n{}\n{}\n\nInitialize the system.\n",
                USAGE[0], USAGE[1], USAGE[2]
            )),
            "{args:?}: {}",
            out.stdout
        );
        for opt in [
            "--enable-insecure-key",
            "--skip-startup-files",
            "--skip-runit",
            "--no-kill-all-on-exit",
            "--quiet",
            "MAIN_COMMAND",
            "-h, --help",
        ] {
            assert!(out.stdout.contains(opt), "help lacks {opt}");
        }
        assert_eq!(out.stderr, "");
        assert_eq!(out.trace(), "", "help runs nothing");
    }
}

#[test]
fn usage_errors() {
    let t = small_tree("my_init-usage");
    let cases: &[(&[&str], &str)] = &[
        (&["--bogus"], "unrecognized arguments: --bogus"),
        (&["-q"], "unrecognized arguments: -q"),
        // Without `--`, a command's own options are my_init's.
        (
            &["--skip-runit", "sh", "-c", "exit 3"],
            "unrecognized arguments: -c exit 3",
        ),
        (&["true", "-x"], "unrecognized arguments: -x"),
        (
            &["--no-kill", "-x", "--y"],
            "unrecognized arguments: -x --y",
        ),
        (
            &["--s", "true"],
            "ambiguous option: --s could match --skip-startup-files, --skip-runit",
        ),
        (
            &["--skip-runit=1", "true"],
            "argument --skip-runit: ignored explicit argument '1'",
        ),
        (
            &["--quiet=", "true"],
            "argument --quiet: ignored explicit argument ''",
        ),
    ];
    for (args, msg) in cases {
        let out = differential(&t, Scenario::new(args), "usage_errors");
        assert_eq!(out.code, Some(2), "{args:?}");
        assert_eq!(out.lines(), usage_error(msg), "{args:?}");
        assert_eq!(out.stdout, "");
        assert_eq!(out.trace(), "", "{args:?}: nothing may run");
    }
}

#[test]
fn skip_runit_needs_a_command() {
    let t = small_tree("my_init-skip-runit-alone");
    for args in [
        &["--skip-runit"][..],
        &["--skip-runit", "--quiet"],
        &["--skip-r", "--"],
    ] {
        let out = differential(&t, Scenario::new(args), "skip_runit_needs_a_command");
        assert_eq!(out.code, Some(1));
        assert_lines(
            &out,
            &["*** When --skip-runit is given, you must also pass a main command."],
        );
        assert_eq!(out.trace(), "");
    }
}

#[test]
fn options_before_after_and_abbreviated() {
    let t = small_tree("my_init-option-forms");
    let expect_run = [
        "*** Running /etc/my_init.d/10-first...",
        "*** Running sh -c echo main \"$@\" >> /etc/trace x --quiet...",
        "*** sh exited with status 0.",
        "*** Killing all processes...",
    ];
    // Options after the command, abbreviations, `--` protecting an option-like argument.
    for args in [
        &[
            "--skip-runit",
            "--",
            "sh",
            "-c",
            "echo main \"$@\" >> /etc/trace",
            "x",
            "--quiet",
        ][..],
        &[
            "--skip-r",
            "--",
            "sh",
            "-c",
            "echo main \"$@\" >> /etc/trace",
            "x",
            "--quiet",
        ],
    ] {
        let out = differential(
            &t,
            Scenario::new(args),
            "options_before_after_and_abbreviated",
        );
        assert_eq!(out.code, Some(0), "{args:?}");
        assert_lines(&out, &expect_run);
        assert_eq!(out.trace_lines(), ["startup", "main --quiet"]);
    }
    let out = differential(
        &t,
        Scenario::new(&["true", "--skip-runit", "--no-k"]),
        "options after",
    );
    assert_lines(
        &out,
        &[
            "*** Running /etc/my_init.d/10-first...",
            "*** Running true...",
            "*** true exited with status 0.",
        ],
    );
    assert_eq!(out.code, Some(0));
}

#[test]
fn quiet_and_skip_startup_files() {
    let t = small_tree("my_init-quiet");
    let out = differential(
        &t,
        Scenario::new(&[
            "--quiet",
            "--skip-runit",
            "--",
            "sh",
            "-c",
            "echo main >> /etc/trace; exit 3",
        ]),
        "quiet",
    );
    assert_eq!(out.code, Some(3));
    assert_lines(&out, &[]);
    assert_eq!(out.trace_lines(), ["startup", "main"]);
    let out = differential(
        &t,
        Scenario::new(&[
            "--skip-startup-files",
            "--skip-runit",
            "--",
            "sh",
            "-c",
            "echo main >> /etc/trace",
        ]),
        "skip startup",
    );
    assert_eq!(out.code, Some(0));
    assert_eq!(out.trace_lines(), ["main"]);
    assert_lines(
        &out,
        &[
            "*** Running sh -c echo main >> /etc/trace...",
            "*** sh exited with status 0.",
            "*** Killing all processes...",
        ],
    );
}

#[test]
fn enable_insecure_key_runs_the_installer() {
    // /usr/sbin/enable_insecure_key does not exist here: the spawn fails
    // with 127 and the boot stops like a failed startup script.
    let t = small_tree("my_init-insecure-key");
    let out = differential(
        &t,
        Scenario::new(&["--enable-insecure-key", "--skip-runit", "true"]),
        "insecure key",
    );
    assert_eq!(out.code, Some(1));
    assert_lines(
        &out,
        &[
            "*** Installing insecure SSH key for user root",
            "*** /usr/sbin/enable_insecure_key failed with status 127",
            "",
            "*** Killing all processes...",
        ],
    );
    assert_eq!(
        out.trace(),
        "",
        "the failure comes before the startup files"
    );
}

#[test]
fn env_init_directory() {
    let t = small_tree("my_init-env-init-dir");
    t.exe("other.d/1", "#!/bin/sh\necho other >> /etc/trace\n");
    let out = differential(
        &t,
        Scenario::new(&["--skip-runit", "true"]).env("ENV_INIT_DIRECTORY", "/etc/other.d"),
        "ENV_INIT_DIRECTORY",
    );
    assert_eq!(out.trace_lines(), ["other"]);
    assert_eq!(out.own_lines()[0], "*** Running /etc/other.d/1...");
    let out = differential(
        &t,
        Scenario::new(&["--skip-runit", "true"]).env("ENV_INIT_DIRECTORY", "/etc/none"),
        "missing ENV_INIT_DIRECTORY",
    );
    assert_eq!(out.trace(), "");
    assert_eq!(out.code, Some(0));
}

#[test]
fn more_usage_errors() {
    let t = small_tree("my_init-usage-more");
    let cases: &[(&[&str], &str)] = &[
        (
            &["-hx"],
            "argument -h/--help: ignored explicit argument 'x'",
        ),
        (
            &["--help=1"],
            "argument -h/--help: ignored explicit argument '1'",
        ),
        (
            &["--no-kill-all-on-exit="],
            "argument --no-kill-all-on-exit: ignored explicit argument ''",
        ),
        // argparse takes one run of positionals: a second run is left over.
        (
            &["true", "--quiet", "false"],
            "unrecognized arguments: false",
        ),
    ];
    for (args, msg) in cases {
        let out = differential(&t, Scenario::new(args), "more_usage_errors");
        assert_eq!(out.code, Some(2), "{args:?}");
        assert_eq!(out.lines(), usage_error(msg), "{args:?}");
        assert_eq!(out.trace(), "", "{args:?}: nothing may run");
    }
}

#[test]
fn commands_that_look_like_options() {
    let t = small_tree("my_init-command-forms");
    // (arguments, the command as my_init shows it, its name, exit code)
    let cases: &[(&[&str], &str, &str, i32)] = &[
        (&["--skip-runit", "-1"], "-1", "-1", 127),
        (&["--skip-runit", "-"], "-", "-", 127),
        (
            &["--skip-runit", "--", "--quiet"],
            "--quiet",
            "--quiet",
            127,
        ),
        (&["--skip-runit", "true", "--"], "true", "true", 0),
        // Only the first `--` goes.
        (
            &["--skip-runit", "--", "true", "--", "x"],
            "true -- x",
            "true",
            0,
        ),
        (
            &["--skip-runit", "true", "--", "--quiet"],
            "true --quiet",
            "true",
            0,
        ),
        (
            &[
                "--quiet",
                "--quiet",
                "--skip-runit",
                "--",
                "sh",
                "-c",
                "exit 4",
            ],
            "",
            "sh",
            4,
        ),
    ];
    for (args, shown, name, code) in cases {
        let out = differential(&t, Scenario::new(args), "commands_that_look_like_options");
        assert_eq!(out.code, Some(*code), "{args:?}");
        assert_eq!(out.trace_lines(), ["startup"], "{args:?}");
        if shown.is_empty() {
            assert_lines(&out, &[]);
            continue;
        }
        let running = format!("*** Running {shown}...");
        let exited = format!("*** {name} exited with status {code}.");
        assert_lines(
            &out,
            &[
                "*** Running /etc/my_init.d/10-first...",
                &running,
                &exited,
                "*** Killing all processes...",
            ],
        );
    }
}

#[test]
fn timeouts_parse_like_python_int() {
    let t = small_tree("my_init-timeouts");
    for v in [" 1 ", "+1", "1_0", "-1", "007"] {
        for var in ["KILL_PROCESS_TIMEOUT", "KILL_ALL_PROCESSES_TIMEOUT"] {
            let sc = Scenario::new(&["--skip-runit", "true"]).env(var, v);
            let out = differential(&t, sc, "timeouts_parse_like_python_int");
            assert_eq!(out.code, Some(0), "{var}={v:?}: {}", out.stderr);
        }
    }
    // Not an integer: the reference dies with a traceback, exit 1, before
    // anything runs; ours says so in one line, exit 1.
    for v in ["abc", "", "0x10", "1.5"] {
        let sc = Scenario::new(&["--skip-runit", "true"]).env("KILL_PROCESS_TIMEOUT", v);
        let out = run_one(&t, &Which::Ours, &sc);
        assert_eq!(out.code, Some(1), "{v:?}");
        assert_eq!(out.trace(), "", "{v:?}");
        if let Some(reference) = reference::phusion("my_init", "timeouts") {
            let theirs = run_one(&t, &Which::Reference(reference), &sc);
            assert_eq!(theirs.code, Some(1));
            assert!(theirs
                .stderr
                .contains("ValueError: invalid literal for int()"));
            assert_eq!(theirs.trace(), "");
        }
    }
}

#[test]
fn commands_are_found_like_os_spawnvp() {
    // No shell fallback for a file without #! (status 127, as a failed
    // exec in Python's child), and PATH as the environment has it then.
    let t = Tree::new("my_init-spawnvp");
    t.exe("my_init.d/10-no-shebang", "echo ran >> /etc/trace\n");
    let out = differential(&t, Scenario::new(&["--skip-runit", "true"]), "no shebang");
    assert_eq!(out.code, Some(1));
    assert_lines(
        &out,
        &[
            "*** Running /etc/my_init.d/10-no-shebang...",
            "*** /etc/my_init.d/10-no-shebang failed with status 127",
            "",
            "*** Killing all processes...",
        ],
    );
    assert_eq!(out.trace(), "");
    // Without PATH in the container's environment, the directory's PATH is
    // imported and used to find the main command.
    let t = Tree::new("my_init-spawnvp-path");
    t.env_var("PATH", "/etc/bin:/usr/bin:/bin\n").exe(
        "bin/mycmd",
        "#!/bin/sh\necho mycmd \"$PATH\" >> /etc/trace\n",
    );
    let sc = Scenario::new(&["--skip-runit", "mycmd"]).env_exactly(&[("LANG", "C.UTF-8")]);
    let out = differential(&t, sc, "PATH from container_environment");
    assert_eq!(out.code, Some(0));
    assert_eq!(out.trace_lines(), ["mycmd /etc/bin:/usr/bin:/bin"]);
    // No PATH at all: Python's default, /bin:/usr/bin.
    let t = Tree::new("my_init-spawnvp-nopath");
    let sc = Scenario::new(&[
        "--skip-runit",
        "--",
        "sh",
        "-c",
        "echo \"${PATH-unset}\" >> /etc/trace",
    ])
    .env_exactly(&[("LANG", "C.UTF-8")]);
    let out = differential(&t, sc, "no PATH");
    assert_eq!(out.code, Some(0));
    assert_eq!(out.own_lines()[1], "*** sh exited with status 0.");
}

#[test]
fn enable_insecure_key_with_the_installer_present() {
    // /usr/sbin is a tmpfs in the namespace holding only the installer.
    let t = small_tree("my_init-insecure-key-present");
    t.exe("installer", "#!/bin/sh\necho installer $# >> /etc/trace\n");
    let setup = "mount -t tmpfs none /usr/sbin && cp /etc/installer /usr/sbin/enable_insecure_key";
    let sc = Scenario::new(&["--enable-ins", "--skip-runit", "true"]).setup(setup);
    let out = differential(&t, sc, "enable_insecure_key_with_the_installer_present");
    assert_eq!(out.code, Some(0));
    assert_eq!(out.trace_lines(), ["installer 0", "startup"]);
    assert_eq!(
        out.own_lines()[0],
        "*** Installing insecure SSH key for user root"
    );
    let t = small_tree("my_init-insecure-key-fails");
    t.exe("installer", "#!/bin/sh\nexit 9\n");
    let sc = Scenario::new(&["--enable-insecure-key", "--skip-runit", "true"]).setup(setup);
    let out = differential(&t, sc, "installer fails");
    assert_eq!(out.code, Some(1));
    assert_eq!(out.trace(), "");
    assert_eq!(
        out.own_lines()[1],
        "*** /usr/sbin/enable_insecure_key failed with status 9"
    );
}

#[test]
fn help_and_usage_follow_columns() {
    // argparse wraps to COLUMNS (minus 2) when it is set.
    let t = small_tree("my_init-help-columns");
    for cols in ["40", "60", "120", "200", "10"] {
        for args in [&["--help"][..], &["--bogus"]] {
            let sc = Scenario::new(args).env("COLUMNS", cols);
            let out = differential(&t, sc, "help_and_usage_follow_columns");
            assert_eq!(out.code, Some(if args[0] == "--help" { 0 } else { 2 }));
        }
    }
    let out = differential(
        &t,
        Scenario::new(&["--bogus"]).env("COLUMNS", "200"),
        "wide",
    );
    assert_eq!(
        out.lines()[0],
        "usage: my_init [-h] [--enable-insecure-key] [--skip-startup-files] [--skip-runit] [--no-kill-all-on-exit] [--quiet] [MAIN_COMMAND ...]"
    );
}
