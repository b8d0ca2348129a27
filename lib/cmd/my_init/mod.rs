//! my_init: phusion/baseimage's container init (the reference is its Python
//! script in shared/reference/phusion/), compiled.
//!
//! The program follows the reference's structure step for step, its Python
//! exceptions made explicit (`Unwind`): `main_flow` is its `main()`, with
//! the `try/finally` that shuts runit down, and [`main`] is its top level,
//! whose `finally` kills every process. The `*** ` lines, their order and
//! levels, and the exit codes are the reference's.
//!
//! Deliberate differences (see also my_init.8): waits react to exits and
//! status changes instead of sleeping in steps (services.rs); log services
//! are given time to drain their pipes before the kill-all; children start
//! with default signal dispositions (the reference's inherit SIGPIPE, and
//! after a first TERM also TERM and INT, ignored); a pid already reaped is
//! never signalled; where the reference crashes with a traceback (a variable
//! that is not UTF-8, a timeout that is not an integer) ours passes the bytes
//! through or says why in one line and exits 1; a TERM during the final
//! kill-all (the reference's uncaught KeyboardInterrupt) exits 130 without
//! the traceback; when not PID 1, my_init is its descendants' subreaper.
//! Python's own additions are not reproduced: LC_CTYPE=C.UTF-8 in the
//! environment under the C locale (PEP 538).

pub mod args;
pub mod env;
mod follow;
mod init;
mod pyword;
mod services;
mod startup;

use args::{Command, Options};
use env::{Env, Files};
use init::{Flow, Init, Unwind, Waited};
use nix::unistd::Pid;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

const RUNSVDIR: &str = "/usr/bin/runsvdir";
const INSECURE_KEY: &str = "/usr/sbin/enable_insecure_key";

/// Settings from the environment at start (the reference reads them when
/// the script is loaded, before anything is imported).
#[derive(Debug, Clone)]
pub struct Settings {
    pub init_directory: Vec<u8>,
    pub kill_process_timeout: i64,
    pub kill_all_processes_timeout: i64,
    pub wait_for_services_timeout: i64,
}

/// The reference's `signal.alarm(n)`: 0 means no alarm, and a negative
/// number is taken as an unsigned one (about 136 years).
fn alarm(seconds: i64) -> Option<Duration> {
    if seconds == 0 {
        None
    } else if seconds < 0 {
        Some(Duration::from_secs((seconds as u32) as u64))
    } else {
        Some(Duration::from_secs(seconds.min(u32::MAX as i64) as u64))
    }
}

pub struct MyInit {
    pub init: Init,
    pub opts: Options,
    pub settings: Settings,
    pub env: Env,
    files: Files,
}

pub fn main(argv: Vec<OsString>) -> i32 {
    // Run from the multi-call binary, SIGPIPE is as inherited; the original
    // (Python) ignores it, so a closed stderr never kills PID 1.
    crate::sys::ignore_sigpipe();
    let prog = argv
        .first()
        .map(|a| crate::cli::basename(a.as_bytes()).to_vec())
        .unwrap_or_default();
    let entries = crate::sys::environ_entries();
    let env = Env::from_entries(&entries);
    let settings = match read_settings(&env) {
        Ok(s) => s,
        Err(msg) => {
            let _ = std::io::stderr().write_all(format!("*** {}\n", msg).as_bytes());
            return 1;
        }
    };
    let lookup = |name: &str| {
        env.get(name.as_bytes())
            .map(|v| OsStr::from_bytes(v).to_owned())
    };
    let opts = match args::parse(&prog, argv.get(1..).unwrap_or(&[]), &lookup) {
        Command::Run(o) => o,
        Command::Help(text) => {
            let _ = std::io::stdout().write_all(&text);
            return 0;
        }
        Command::Error(text) => {
            let _ = std::io::stderr().write_all(&text);
            return 2;
        }
    };
    let init = match Init::new(opts.log_level) {
        Ok(i) => i,
        Err(e) => {
            let _ = std::io::stderr().write_all(
                format!("*** unable to set up signals: {}\n", crate::errstr::of(e)).as_bytes(),
            );
            return 111;
        }
    };
    if opts.skip_runit && opts.main_command.is_empty() {
        init.warn("When --skip-runit is given, you must also pass a main command.");
        return 1;
    }
    if nix::unistd::getpid().as_raw() != 1 {
        // Orphans come to us even when we are not PID 1, so that every wait
        // here sees the processes it waits for.
        let _ = nix::sys::prctl::set_child_subreaper(true);
    }
    let mut m = MyInit {
        init,
        opts,
        settings,
        env,
        files: Files::under(Path::new("/etc")),
    };
    m.run()
}

fn read_settings(env: &Env) -> Result<Settings, String> {
    let int = |name: &str, default: i64| -> Result<i64, String> {
        match env.get(name.as_bytes()) {
            None => Ok(default),
            Some(v) => args::py_int(v).ok_or_else(|| {
                format!(
                    "{} is not an integer: {}",
                    name,
                    crate::cli::argparse::py_repr(v)
                )
            }),
        }
    };
    Ok(Settings {
        init_directory: env
            .get(b"ENV_INIT_DIRECTORY")
            .unwrap_or(b"/etc/my_init.d")
            .to_vec(),
        kill_process_timeout: int("KILL_PROCESS_TIMEOUT", 30)?,
        kill_all_processes_timeout: int("KILL_ALL_PROCESSES_TIMEOUT", 30)?,
        wait_for_services_timeout: int(args::ENV_WAIT_TIMEOUT, 30)?,
    })
}

impl MyInit {
    /// The reference's top level: main, "Init system aborted." on an
    /// interrupt, and the kill-all in `finally`.
    fn run(&mut self) -> i32 {
        let code = match self.main_flow() {
            Ok(()) => 0,
            Err(Unwind::Exit(c)) => c,
            Err(Unwind::Interrupt) => {
                self.init.warn("Init system aborted.");
                2
            }
        };
        if self.opts.kill_all_on_exit {
            let t = alarm(self.settings.kill_all_processes_timeout);
            let own_only = self.opts.unprivileged && nix::unistd::getpid().as_raw() != 1;
            if self.init.kill_all(t, own_only).is_err() {
                // The reference dies of an uncaught KeyboardInterrupt here.
                return 130;
            }
        }
        code
    }

    fn kill_process_timeout(&self) -> Option<Duration> {
        alarm(self.settings.kill_process_timeout)
    }

    /// The reference's `main()`.
    fn main_flow(&mut self) -> Flow {
        self.import_env(false, false)?;
        self.export_env(true)?;
        if self.opts.enable_insecure_key
            && self.opts.unprivileged
            && !nix::unistd::geteuid().is_root()
        {
            self.init
                .warn("Warning: not root: not installing the insecure SSH key");
        } else if self.opts.enable_insecure_key {
            self.init.info("Installing insecure SSH key for user root");
            self.run_killable(INSECURE_KEY.as_bytes(), false)?;
        }
        if !self.opts.skip_startup_files {
            self.run_startup_files()?;
        }
        let mut runit: Option<Pid> = None;
        if !self.opts.skip_runit {
            self.init.checkpoint()?;
            runit = Some(self.start_runit()?);
        }
        let mut runit_exited = false;
        let body = self.main_body(runit, &mut runit_exited);
        if let Some(pid) = runit {
            self.shutdown_runit(pid, runit_exited)?;
        }
        body
    }

    /// The `try` of `main()`: wait for runit or run the main command; always
    /// ends with `sys.exit(code)` or an exception.
    fn main_body(&mut self, runit: Option<Pid>, runit_exited: &mut bool) -> Flow {
        let code;
        if self.opts.main_command.is_empty() {
            let pid = runit.ok_or(Unwind::Exit(1))?;
            let w = match follow::wait(self, pid)? {
                follow::Ended::Child(w) => w,
                follow::Ended::Service(c) => return Err(Unwind::Exit(self.followed_exit(c))),
            };
            *runit_exited = true;
            match w {
                Waited::Status(w) => {
                    code = (w >> 8) & 0xff;
                    self.init
                        .info(&format!("Runit exited with status {}", code));
                }
                _ => {
                    self.init.info("Runit exited with unknown status");
                    code = 1;
                }
            }
        } else {
            let cmd = self.opts.main_command.clone();
            let shown: Vec<String> = cmd
                .iter()
                .map(|a| crate::cli::argparse::py_str(a.as_bytes()))
                .collect();
            if self.opts.wait_for_services && runit.is_some() {
                self.wait_for_services()?;
            }
            self.init.info(&format!("Running {}...", shown.join(" ")));
            let name = cmd[0].as_bytes().to_vec();
            let pid = self.spawn(&cmd)?;
            let w = match follow::wait(self, pid) {
                Ok(follow::Ended::Child(w)) => w,
                Ok(follow::Ended::Service(c)) => {
                    let c = self.followed_exit(c);
                    self.init
                        .stop_child(&name, pid, self.kill_process_timeout())?;
                    return Err(Unwind::Exit(c));
                }
                Err(e) => {
                    self.init
                        .stop_child(&name, pid, self.kill_process_timeout())?;
                    return Err(e);
                }
            };
            let shown0 = crate::cli::argparse::py_str(&name);
            match w {
                Waited::Status(w) => {
                    code = if self.opts.signal_exit_code && w & 0x7f != 0 {
                        128 + (w & 0x7f)
                    } else {
                        (w >> 8) & 0xff
                    };
                    self.init
                        .info(&format!("{} exited with status {}.", shown0, code));
                }
                _ => {
                    self.init
                        .info(&format!("{} exited with unknown status.", shown0));
                    code = 1;
                }
            }
        }
        Err(Unwind::Exit(code))
    }

    /// The `finally` of `main()`. Any exception here replaces the one in
    /// flight, as in Python.
    fn shutdown_runit(&mut self, runit: Pid, runit_exited: bool) -> Flow {
        self.run_scripts_in(b"/etc/my_init.pre_shutdown.d/")?;
        let dir = Path::new(services::SERVICE_DIR);
        let wait = services::force_stop_wait(self.settings.kill_process_timeout);
        let told_runit = !runit_exited && self.init.alive(runit);
        if told_runit {
            // runsvdir exits on TERM at once without touching its runsv
            // processes; told now, it starts no runsv again (runit's checks
            // its TERM right after each wait, before it reaps or scans, and
            // restarts a runsv only at a scan; ours looks for a TERM before
            // every scan), so each runsv may be told to exit while it goes
            // (services.rs). Its "Shutting down" line and wait stay where the
            // reference has them.
            let _ = nix::sys::signal::kill(runit, nix::sys::signal::Signal::SIGTERM);
        }
        let services = services::all_in(dir);
        // Nothing before the kill-all can see a runsv exit early: no
        // post-shutdown script is there to run, and the kill-all will come
        // (it would tell each runsv the same).
        let exit = if self.opts.kill_all_on_exit
            && !Self::has_scripts_in(b"/etc/my_init.post_shutdown.d/")
        {
            services::Exit::AtOnce
        } else {
            services::Exit::WithLog
        };
        let stopped = services::force_stop(&mut self.init, services, wait, exit)?;
        self.init.checkpoint()?;
        if !runit_exited {
            self.init
                .stop_child(b"runit daemon", runit, self.kill_process_timeout())?;
        }
        let held = services::wait_down(&mut self.init, dir, wait, stopped, exit)?;
        // The boot's watches end now; the stop's end with the kill-all's
        // signal sent, not on the way to it: closing two dozen watched
        // directories is work PID 1 can do while the last processes exit.
        self.init.unwatch_all();
        self.init.park(held);
        self.run_scripts_in(b"/etc/my_init.post_shutdown.d/")
    }

    fn start_runit(&mut self) -> Result<Pid, Unwind> {
        self.init.info("Booting runit daemon...");
        let argv = [RUNSVDIR, "-P", "/etc/service"];
        let spawn = crate::spawn::Spawn::new(RUNSVDIR, &argv)
            .map(|s| s.env(self.env.to_cstrings()).silent_exec_failure(127))
            .and_then(|s| s.start());
        match spawn {
            Ok(pid) => {
                self.init.watch(pid);
                self.init.info(&format!("Runit started as PID {}", pid));
                Ok(pid)
            }
            Err(e) => {
                self.init.warn(&format!(
                    "unable to start {}: {}",
                    RUNSVDIR,
                    crate::errstr::of(e)
                ));
                Err(Unwind::Exit(1))
            }
        }
    }

    /// `os.spawnvp(argv[0], argv)` with the current environment: PATH
    /// searched in it, and a child that cannot exec exits 127 silently.
    pub fn spawn(&mut self, argv: &[OsString]) -> Result<Pid, Unwind> {
        let name = argv.first().map(|a| a.as_os_str()).unwrap_or_default();
        if name.is_empty() {
            // Python: ValueError('argv first element cannot be empty').
            self.init.warn("argv first element cannot be empty");
            return Err(Unwind::Exit(1));
        }
        let path = self.env.get(b"PATH").map(OsStr::from_bytes);
        let spawn = crate::spawn::Spawn::search(name, path, argv)
            .map(|s| s.env(self.env.to_cstrings()).silent_exec_failure(127))
            .and_then(|s| s.start());
        match spawn {
            Ok(pid) => {
                self.init.watch(pid);
                Ok(pid)
            }
            Err(e) => {
                self.init.warn(&format!(
                    "unable to start {}: {}",
                    crate::cli::argparse::py_str(name.as_bytes()),
                    crate::errstr::of(e)
                ));
                Err(Unwind::Exit(1))
            }
        }
    }

    /// `run_command_killable(path)`, and with `import` the re-import and
    /// export that follow each startup script.
    fn run_killable(&mut self, path: &[u8], import: bool) -> Flow {
        let pid = self.spawn(&[OsStr::from_bytes(path).to_owned()])?;
        let w = match self.init.wait_child(pid, None, true) {
            Ok(w) => w,
            Err(e) => {
                self.init.warn("An error occurred. Aborting.");
                self.init
                    .stop_child(path, pid, self.kill_process_timeout())?;
                return Err(e);
            }
        };
        let shown = crate::cli::argparse::py_str(path);
        match w {
            Waited::Status(0) => {}
            Waited::Status(w) => {
                self.init.warn(&format!(
                    "{} failed with status {}\n",
                    shown,
                    (w >> 8) & 0xff
                ));
                return Err(Unwind::Exit(1));
            }
            _ => {
                self.init
                    .warn(&format!("{} exited with unknown status\n", shown));
                return Err(Unwind::Exit(1));
            }
        }
        if import {
            self.import_env(true, true)?;
            self.export_env(false)?;
        }
        self.init.checkpoint()
    }

    fn run_startup_files(&mut self) -> Flow {
        let dir = self.settings.init_directory.clone();
        for name in env::listdir(Path::new(OsStr::from_bytes(&dir))) {
            let path = startup::join(&dir, &name);
            if startup::is_exe(&path) {
                self.init.info(&format!(
                    "Running {}...",
                    crate::cli::argparse::py_str(&path)
                ));
                self.run_killable(&path, true)?;
            }
        }
        if startup::is_exe(b"/etc/rc.local") {
            self.init.info("Running /etc/rc.local...");
            self.run_killable(b"/etc/rc.local", true)?;
        }
        Ok(())
    }

    /// The pre- or post-shutdown scripts in `dir` (which ends with a slash),
    /// in order; each is checked to be executable only when reached, as the
    /// reference does, so an earlier script can change a later one.
    fn scripts_in(dir: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
        env::listdir(Path::new(OsStr::from_bytes(dir)))
            .into_iter()
            .map(move |name| [dir, &name].concat())
            .filter(|path| startup::is_exe(path))
    }

    fn has_scripts_in(dir: &[u8]) -> bool {
        Self::scripts_in(dir).next().is_some()
    }

    /// Runs [`MyInit::scripts_in`] `dir`.
    fn run_scripts_in(&mut self, dir: &[u8]) -> Flow {
        for path in Self::scripts_in(dir) {
            self.init.info(&format!(
                "Running {}...",
                crate::cli::argparse::py_str(&path)
            ));
            self.run_killable(&path, false)?;
        }
        Ok(())
    }

    fn import_env(&mut self, clear: bool, override_: bool) -> Flow {
        let problems = env::import(&mut self.env, &self.files, clear, override_);
        self.report(problems)
    }

    fn export_env(&mut self, to_dir: bool) -> Flow {
        let problems = env::export(&self.env, &self.files, to_dir);
        self.report(problems)
    }

    /// Skipped entries are warnings; a failed write ends the boot with exit 1
    /// (the reference crashes there) unless unprivileged.
    fn report(&mut self, problems: Vec<env::Problem>) -> Flow {
        let mut fatal = false;
        for p in problems {
            if p.write && !self.opts.unprivileged {
                self.init.warn(&format!("Error: {}", p.text));
                fatal = true;
            } else {
                self.init.warn(&format!("Warning: {}", p.text));
            }
        }
        if fatal {
            return Err(Unwind::Exit(1));
        }
        Ok(())
    }

    /// Extra: the followed service exited for good; says so, gives the code.
    fn followed_exit(&self, code: i32) -> i32 {
        let name = self.opts.follow_service.clone().unwrap_or_default();
        self.init.info(&format!(
            "Service {} exited with status {}.",
            name.to_string_lossy(),
            code
        ));
        code
    }

    /// Extra: before the main command, wait until every service is up and
    /// passes its `check` script, for at most the configured timeout.
    fn wait_for_services(&mut self) -> Flow {
        startup::wait_for_services(self)
    }
}
