//! runsv's behaviour as a state machine: what each control byte, each reaped
//! child and each loop turn does to the two services (doc/runit/runsv.md §3-§8). It
//! performs no I/O itself; every effect goes through [`Effects`], which the
//! I/O shell implements with real processes and files, and tests with a log.

use crate::status::{self, State, Status, Want};
use crate::svext::Ext;
use crate::tai::Tai64n;
use nix::sys::signal::Signal;
use std::time::{Duration, Instant};

/// A service that ran for less than this is restarted only after this long.
pub const THROTTLE: Duration = Duration::from_secs(1);
/// How long before a start whose fork failed is tried again (runit's sleep).
pub const FORK_RETRY: Duration = Duration::from_secs(5);
/// Beyond runit (`restart-backoff`): a run that lasted at least this long
/// (or the current delay, when longer) resets the back-off to [`THROTTLE`].
pub const BACKOFF_RESET: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    Main,
    Log,
}

/// What to execute when starting a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    /// `./run` (in `log/` for the log service).
    Run,
    /// `./finish` with the wait status of the `./run` that ended.
    Finish(i32),
}

/// The outside world as the machine sees it.
pub trait Effects {
    /// The wall-clock time for `status` and its monotonic twin for deadlines.
    fn now(&mut self) -> (Tai64n, Instant);
    /// Runs `control/<c>` for the main service; true when it handled `c`.
    fn control_script(&mut self, c: u8) -> bool;
    /// Whether `control/<c>` exists for the main service (it would run).
    fn has_control_script(&mut self, c: u8) -> bool;
    /// Sends `sig` to `pid` (never 0, never a group).
    fn signal(&mut self, pid: i32, sig: Signal);
    /// Sends `sig` to the process group `pgid` (a child of ours that leads
    /// its own group: `down-signal-group`).
    fn signal_group(&mut self, pgid: i32, sig: Signal);
    /// Reads the service directory's extension files (lib/svext.rs).
    fn ext(&mut self, which: Which) -> Ext;
    /// Starts `program` for `which` and returns its pid.
    /// None when the fork failed (the shell has said so).
    fn start(&mut self, which: Which, program: Program, ext: &Ext) -> Option<i32>;
    /// Records that the run `pid` said it is ready (`supervise/ready`).
    fn mark_ready(&mut self, which: Which, pid: i32, at: Tai64n);
    /// Writes the service's files; `with_pid` asks for the pid file too.
    /// Returns whether the pid file was written.
    fn write_status(&mut self, which: Which, status: &Status, stat: &str, with_pid: bool) -> bool;
    /// Whether the last [`Effects::write_status`] for `which` failed.
    fn status_failed(&mut self, which: Which) -> bool;
    /// Whether `./finish` can be opened for reading.
    fn finish_exists(&mut self) -> bool;
    /// Closes runsv's ends of the log pipe (the log then sees EOF).
    fn close_log_pipe(&mut self);
}

/// One supervised service's state.
#[derive(Clone, Debug)]
pub struct Service {
    pub pid: i32,
    pub state: State,
    pub want: Want,
    pub paused: bool,
    pub got_term: bool,
    /// Time of the last state change, as written to `status`.
    pub changed: Tai64n,
    /// Monotonic twin of `changed`, for the restart throttle.
    pub changed_at: Instant,
    /// Raw wait status of the last `./run`, for `./finish`'s arguments.
    pub wstatus: i32,
    /// No start before this moment (the one-second throttle).
    pub throttle_until: Option<Instant>,
    /// A start asked for (`u` or `o`) while throttled.
    pub start_pending: bool,
    /// Beyond runit: what the extension files asked for at the last start.
    pub ext: Ext,
    /// `timeout-kill` (state run) or `timeout-finish` (state finish): when
    /// the current pid gets KILL.
    pub kill_at: Option<Instant>,
    /// A stopped `down-signal-group` leader's group still to be killed at
    /// its `timeout-kill` deadline: (pgid, when).
    pub group_kill: Option<(i32, Instant)>,
    /// The restart delay the next quick failure waits (`restart-backoff`).
    pub backoff: Duration,
    /// The last run ended after runsv had asked it to stop.
    pub stopped: bool,
}

impl Service {
    pub fn new(want: Want, (changed, changed_at): (Tai64n, Instant)) -> Service {
        Service {
            pid: 0,
            state: State::Down,
            want,
            paused: false,
            got_term: false,
            changed,
            changed_at,
            wstatus: 0,
            throttle_until: None,
            start_pending: false,
            ext: Ext::default(),
            kill_at: None,
            group_kill: None,
            backoff: THROTTLE,
            stopped: false,
        }
    }

    pub fn record(&self) -> Status {
        Status {
            time: self.changed,
            pid: self.pid as u32,
            paused: self.paused,
            want: status::want_byte(self.want),
            got_term: self.got_term,
            state: self.state as u8,
        }
    }

    fn throttled(&self, now: Instant) -> bool {
        self.throttle_until.is_some_and(|t| now < t)
    }

    fn running(&self) -> bool {
        self.state == State::Run
    }

    /// Whether the loop should start this service now.
    fn due(&self, now: Instant) -> bool {
        self.pid == 0
            && (self.want == Want::Up || self.state == State::Finish || self.start_pending)
            && !self.throttled(now)
    }
}

/// Both services and the one flag runit shares between them.
pub struct Machine {
    pub main: Service,
    pub log: Option<Service>,
    /// runit keeps one "pid changed" flag for both services (doc/runit/supervise.md §4.3).
    pid_changed: bool,
}

impl Machine {
    pub fn new(main: Service, log: Option<Service>) -> Machine {
        Machine {
            main,
            log,
            pid_changed: true,
        }
    }

    pub fn svc(&mut self, which: Which) -> &mut Service {
        match which {
            Which::Log => self.log.as_mut().unwrap_or(&mut self.main),
            Which::Main => &mut self.main,
        }
    }

    /// Writes one service's `pid` (if changed), `stat` and `status`.
    pub fn update(&mut self, which: Which, fx: &mut dyn Effects) {
        let with_pid = self.pid_changed;
        let svc = self.svc(which);
        let stat = status::stat_line(svc.state, svc.paused, svc.got_term, svc.want);
        let record = svc.record();
        if fx.write_status(which, &record, &stat, with_pid) {
            self.pid_changed = false;
        }
    }

    /// Loop steps A and B: start what is due, log first. Returns the earliest
    /// throttle deadline to wait for.
    pub fn start_due(&mut self, fx: &mut dyn Effects) -> Option<Instant> {
        let (_, now) = fx.now();
        if self.log.as_ref().is_some_and(|l| l.due(now)) {
            self.start(Which::Log, fx);
        }
        if self.main.due(now) {
            self.start(Which::Main, fx);
        }
        std::iter::once(&self.main)
            .chain(self.log.as_ref())
            .filter_map(|s| s.throttle_until.filter(|&t| t > now))
            .min()
    }

    /// Beyond runit: the earliest `timeout-kill`/`timeout-finish` deadline.
    pub fn kill_deadline(&self) -> Option<Instant> {
        std::iter::once(&self.main)
            .chain(self.log.as_ref())
            .flat_map(|s| [s.kill_at, s.group_kill.map(|(_, t)| t)])
            .flatten()
            .min()
    }

    /// Beyond runit: sends KILL where a `timeout-kill` or `timeout-finish`
    /// deadline has passed.
    pub fn fire_timers(&mut self, fx: &mut dyn Effects) {
        let (_, now) = fx.now();
        for which in [Which::Main, Which::Log] {
            if which == Which::Log && self.log.is_none() {
                continue;
            }
            let svc = self.svc(which);
            if svc.kill_at.is_some_and(|t| t <= now) {
                svc.kill_at = None;
                self.signal_stop(which, Signal::SIGKILL, fx);
            }
            let svc = self.svc(which);
            if let Some((pgid, t)) = svc.group_kill {
                if t <= now {
                    svc.group_kill = None;
                    fx.signal_group(pgid, Signal::SIGKILL);
                }
            }
        }
    }

    /// Beyond runit: the run `pid` wrote its readiness line.
    pub fn ready(&mut self, which: Which, pid: i32, fx: &mut dyn Effects) {
        let svc = self.svc(which);
        if pid != 0 && svc.pid == pid && svc.running() && svc.ext.notification_fd.is_some() {
            let (tai, _) = fx.now();
            fx.mark_ready(which, pid, tai);
        }
    }

    /// Loop step I: once the main service is down with want exit, stop the
    /// log by closing its pipe, and exit once it is gone too.
    pub fn exit_step(&mut self, fx: &mut dyn Effects) -> bool {
        if self.main.want != Want::Exit || self.main.state != State::Down {
            return false;
        }
        match self.log.as_ref().map(|l| (l.pid, l.want)) {
            None | Some((0, _)) => true,
            Some((_, Want::Exit)) => false,
            Some(_) => {
                self.svc(Which::Log).want = Want::Exit;
                self.update(Which::Log, fx);
                fx.close_log_pipe();
                false
            }
        }
    }

    /// Applies one control byte (doc/runit/runsv.md §6).
    // One arm per control byte, as runit's command table reads; match guards
    // would hide the "if running" each arm starts with.
    #[allow(clippy::collapsible_match)]
    pub fn command(&mut self, which: Which, c: u8, fx: &mut dyn Effects) {
        match c {
            b'u' | b'o' => {
                self.svc(which).want = if c == b'u' { Want::Up } else { Want::Down };
                self.update(which, fx);
                let (_, now) = fx.now();
                let svc = self.svc(which);
                if svc.state == State::Down {
                    if svc.throttled(now) {
                        svc.start_pending = true;
                    } else {
                        self.start(which, fx);
                    }
                }
            }
            b'd' | b'x' => {
                if c == b'x' && which == Which::Log {
                    return;
                }
                let svc = self.svc(which);
                svc.want = if c == b'd' { Want::Down } else { Want::Exit };
                svc.start_pending = false;
                if self.svc(which).running() {
                    self.stop(which, fx, true);
                } else {
                    self.update(which, fx);
                }
            }
            b't' => {
                if self.svc(which).running() {
                    self.stop(which, fx, false);
                }
            }
            b'k' => {
                if self.svc(which).running() && !self.control(which, c, fx) {
                    self.signal_stop(which, Signal::SIGKILL, fx);
                }
                // runit records "down" without a status write (doc/runit/quirks.md #1).
                self.svc(which).state = State::Down;
            }
            b'p' | b'c' => {
                let (sig, paused) = if c == b'p' {
                    (Signal::SIGSTOP, true)
                } else {
                    (Signal::SIGCONT, false)
                };
                if self.svc(which).running() && !self.control(which, c, fx) {
                    self.signal(which, sig, fx);
                }
                self.svc(which).paused = paused;
                self.update(which, fx);
            }
            b'h' | b'a' | b'i' | b'q' | b'1' | b'2' => {
                if self.svc(which).running() && !self.control(which, c, fx) {
                    self.signal(which, command_signal(c), fx);
                }
            }
            _ => {}
        }
    }

    /// A child was reaped (doc/runit/runsv.md §5). Pids of neither service are ones
    /// runsv forgot (doc/runit/quirks.md #1) and are ignored.
    pub fn reaped(&mut self, pid: i32, wstatus: i32, fx: &mut dyn Effects) {
        if pid == 0 {
            return;
        }
        if pid == self.main.pid {
            let main = &mut self.main;
            main.ended(pid);
            main.wstatus = wstatus;
            self.pid_changed = true;
            if main.state != State::Finish && fx.finish_exists() {
                main.state = State::Finish;
                self.update(Which::Main, fx);
                return;
            }
            self.went_down(Which::Main, fx);
        } else if self.log.as_ref().is_some_and(|l| l.pid == pid) {
            self.svc(Which::Log).ended(pid);
            self.pid_changed = true;
            self.went_down(Which::Log, fx);
        }
    }

    /// A service reached state down: new timestamp, status, and the throttle
    /// when it ran for less than a second.
    fn went_down(&mut self, which: Which, fx: &mut dyn Effects) {
        let (tai, now) = fx.now();
        let svc = self.svc(which);
        let ran = now.saturating_duration_since(svc.changed_at);
        let delay = svc.restart_delay(ran);
        svc.state = State::Down;
        svc.changed = tai;
        svc.changed_at = now;
        if let Some(d) = delay {
            svc.throttle_until = now.checked_add(d);
        }
        self.update(which, fx);
    }

    /// runit's startservice (doc/runit/runsv.md §4.1).
    fn start(&mut self, which: Which, fx: &mut dyn Effects) {
        let program = if which == Which::Main && self.main.state == State::Finish {
            Program::Finish(self.main.wstatus)
        } else {
            Program::Run
        };
        if which == Which::Main && program == Program::Run {
            fx.control_script(b'u');
        }
        if self.svc(which).pid != 0 {
            self.stop(which, fx, false);
        }
        if program == Program::Run {
            let ext = fx.ext(which);
            self.svc(which).ext = ext;
        }
        let ext = self.svc(which).ext;
        let Some(pid) = fx.start(which, program, &ext) else {
            // runit sleeps 5 s inside the supervisor, deaf to commands and
            // signals; here the start is only deferred by as much.
            let (_, now) = fx.now();
            let svc = self.svc(which);
            svc.throttle_until = Some(now + FORK_RETRY);
            svc.start_pending = true;
            return;
        };
        let (tai, now) = fx.now();
        let svc = self.svc(which);
        if program == Program::Run {
            svc.changed = tai;
            svc.changed_at = now;
            svc.state = State::Run;
        }
        svc.pid = pid;
        svc.paused = false;
        svc.got_term = false;
        svc.throttle_until = None;
        svc.start_pending = false;
        if let (Program::Finish(_), Some(d)) = (program, ext.timeout_finish) {
            svc.kill_at = now.checked_add(d);
        }
        self.pid_changed = true;
        self.update(which, fx);
    }

    /// runit's stopservice (doc/runit/runsv.md §6.1).
    /// Beyond runit: the down signal may be another than TERM, go to the
    /// process group, and start the `timeout-kill` clock.
    ///
    /// `unwritten`: the caller (`d`, `x`) changed `want` and left its status
    /// write to this. runit writes "want down" and, a moment later, "got
    /// TERM, want down": two updates of two files each, in every stop.
    /// Here the first is written only when a `control/t` script will run
    /// between them (it may look at the status) or nothing is signalled;
    /// otherwise the one write after the signal says both. If that write
    /// fails (a full disk), it is tried a second time, as runit's second
    /// write would be, so that the warnings are runit's.
    fn stop(&mut self, which: Which, fx: &mut dyn Effects, unwritten: bool) {
        let pid = self.svc(which).pid;
        let scripted = pid != 0 && which == Which::Main && fx.has_control_script(b't');
        if unwritten && (scripted || pid == 0) {
            self.update(which, fx);
        }
        if pid != 0 && !(scripted && fx.control_script(b't')) {
            let sig = self.svc(which).ext.stop_signal();
            self.signal_stop(which, sig, fx);
            self.svc(which).got_term = true;
            self.update(which, fx);
            if unwritten && !scripted && fx.status_failed(which) {
                self.update(which, fx);
            }
        }
        let (_, now) = fx.now();
        let svc = self.svc(which);
        if svc.pid != 0 && svc.kill_at.is_none() {
            svc.kill_at = svc.ext.timeout_kill.and_then(|d| now.checked_add(d));
        }
        let after = match self.svc(which).want {
            Want::Down => b'd',
            Want::Exit => b'x',
            Want::Up => return,
        };
        self.signal_stop(which, Signal::SIGCONT, fx);
        self.control(which, after, fx);
    }

    /// A signal that stops the service: to its process group with
    /// `down-signal-group`, to its pid otherwise (runit).
    fn signal_stop(&mut self, which: Which, sig: Signal, fx: &mut dyn Effects) {
        let svc = self.svc(which);
        match (svc.pid, svc.ext.group) {
            (pid, true) if pid > 0 => fx.signal_group(pid, sig),
            _ => self.signal(which, sig, fx),
        }
    }

    /// Control scripts exist for the main service only.
    fn control(&mut self, which: Which, c: u8, fx: &mut dyn Effects) -> bool {
        which == Which::Main && fx.control_script(c)
    }

    fn signal(&mut self, which: Which, sig: Signal, fx: &mut dyn Effects) {
        let pid = self.svc(which).pid;
        if pid > 0 {
            fx.signal(pid, sig);
        }
    }
}

impl Service {
    /// The process `pid` of this service was reaped: forget it and its
    /// deadline; a stopped group leader leaves its group's deadline behind.
    fn ended(&mut self, pid: i32) {
        if self.state != State::Finish {
            self.stopped = self.got_term;
        }
        if let (true, Some(t)) = (self.ext.group, self.kill_at) {
            self.group_kill = Some((pid, t));
        }
        self.kill_at = None;
        self.pid = 0;
        self.got_term = false;
    }

    /// How long to wait before restarting a run that lasted `ran`: runit's
    /// one second after a run shorter than a second; with `restart-backoff`,
    /// a run shorter than [`BACKOFF_RESET`] (or the current delay) that
    /// runsv did not stop waits the current delay, which then doubles up to
    /// the file's maximum; a longer run resets it.
    fn restart_delay(&mut self, ran: Duration) -> Option<Duration> {
        let runit = (ran < THROTTLE).then_some(THROTTLE);
        let Some(max) = self.ext.backoff_max else {
            return runit;
        };
        if self.stopped || ran >= BACKOFF_RESET.max(self.backoff) {
            self.backoff = THROTTLE;
            return runit;
        }
        let delay = self.backoff;
        self.backoff = (delay * 2).min(max.max(THROTTLE));
        Some(delay)
    }
}

fn command_signal(c: u8) -> Signal {
    match c {
        b'h' => Signal::SIGHUP,
        b'a' => Signal::SIGALRM,
        b'i' => Signal::SIGINT,
        b'q' => Signal::SIGQUIT,
        b'1' => Signal::SIGUSR1,
        _ => Signal::SIGUSR2,
    }
}

#[cfg(test)]
mod tests;
