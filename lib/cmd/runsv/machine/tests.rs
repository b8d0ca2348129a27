//! The state machine without processes: a fake world records every effect.

use super::*;
use crate::status::State;

/// A recording fake: pids count up from 100, time is set by the test.
struct World {
    log: Vec<String>,
    next_pid: i32,
    tai: u64,
    now: Instant,
    finish: bool,
    handles: Vec<u8>,
    fail_forks: u32,
    /// What the extension files say (read at each start of `./run`).
    ext: Ext,
    /// No `control/*` script exists (by default every one does, and
    /// handles only what `handles` lists).
    no_scripts: bool,
    /// Every status write fails.
    disk_full: bool,
}

impl World {
    fn new() -> World {
        World {
            log: Vec::new(),
            next_pid: 100,
            tai: 1000,
            now: Instant::now(),
            finish: false,
            handles: Vec::new(),
            fail_forks: 0,
            ext: Ext::default(),
            no_scripts: false,
            disk_full: false,
        }
    }

    fn advance(&mut self, secs: u64) {
        self.tai += secs;
        self.now += Duration::from_secs(secs);
    }

    fn advance_ms(&mut self, ms: u64) {
        self.now += Duration::from_millis(ms);
    }

    fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }
}

impl Effects for World {
    fn now(&mut self) -> (Tai64n, Instant) {
        (
            Tai64n {
                secs: self.tai,
                nanos: 500,
            },
            self.now,
        )
    }
    fn control_script(&mut self, c: u8) -> bool {
        if self.no_scripts {
            return false;
        }
        self.log.push(format!("control/{}", c as char));
        self.handles.contains(&c)
    }
    fn has_control_script(&mut self, _: u8) -> bool {
        !self.no_scripts
    }
    fn signal(&mut self, pid: i32, sig: Signal) {
        self.log.push(format!("kill {pid} {sig:?}"));
    }
    fn signal_group(&mut self, pgid: i32, sig: Signal) {
        self.log.push(format!("kill -{pgid} {sig:?}"));
    }
    fn ext(&mut self, _: Which) -> Ext {
        self.ext
    }
    fn mark_ready(&mut self, which: Which, pid: i32, _: Tai64n) {
        self.log.push(format!("ready {which:?} {pid}"));
    }
    fn start(&mut self, which: Which, program: Program, _: &Ext) -> Option<i32> {
        if self.fail_forks > 0 {
            self.fail_forks -= 1;
            self.log
                .push(format!("fork fails for {which:?} {program:?}"));
            return None;
        }
        self.next_pid += 1;
        self.log
            .push(format!("start {which:?} {program:?} = {}", self.next_pid));
        Some(self.next_pid)
    }
    fn write_status(&mut self, which: Which, _: &Status, stat: &str, with_pid: bool) -> bool {
        let pid = if with_pid { " +pid" } else { "" };
        self.log
            .push(format!("status {which:?} {}{pid}", stat.trim_end()));
        with_pid
    }
    fn status_failed(&mut self, _: Which) -> bool {
        self.disk_full
    }
    fn finish_exists(&mut self) -> bool {
        self.finish
    }
    fn close_log_pipe(&mut self) {
        self.log.push("close log pipe".into());
    }
}

fn machine(w: &mut World, with_log: bool) -> Machine {
    let now = w.now();
    Machine::new(
        Service::new(Want::Up, now),
        with_log.then(|| Service::new(Want::Up, now)),
    )
}

/// A machine whose services have been started, with the record cleared.
fn running(with_log: bool) -> (World, Machine) {
    let mut w = World::new();
    let mut m = machine(&mut w, with_log);
    m.start_due(&mut w);
    w.take();
    (w, m)
}

#[test]
fn start_up_starts_log_then_main() {
    let mut w = World::new();
    let mut m = machine(&mut w, true);
    m.start_due(&mut w);
    assert_eq!(
        w.take(),
        [
            "start Log Run = 101",
            "status Log run +pid",
            "control/u",
            "start Main Run = 102",
            "status Main run +pid",
        ]
    );
}

#[test]
fn down_sends_term_then_cont_and_runs_control_d() {
    let (mut w, mut m) = running(false);
    m.command(Which::Main, b'd', &mut w);
    assert_eq!(
        w.take(),
        [
            "status Main run, want down",
            "control/t",
            "kill 101 SIGTERM",
            "status Main run, got TERM, want down",
            "kill 101 SIGCONT",
            "control/d",
        ]
    );
    m.reaped(101, 15, &mut w);
    assert_eq!(w.take(), ["status Main down +pid"]);
    m.start_due(&mut w);
    assert!(w.take().is_empty(), "want down: no restart");
}

#[test]
fn without_control_t_a_stop_writes_the_status_once() {
    let (mut w, mut m) = running(false);
    w.no_scripts = true;
    // A second `d` signals again, as runit's does; its record has the same
    // bytes, which the shell then does not write again.
    for _ in 0..2 {
        m.command(Which::Main, b'd', &mut w);
        assert_eq!(
            w.take(),
            [
                "kill 101 SIGTERM",
                "status Main run, got TERM, want down",
                "kill 101 SIGCONT",
            ]
        );
    }
}

#[test]
fn on_a_full_disk_a_stop_tries_the_status_twice_as_runit_does() {
    let (mut w, mut m) = running(false);
    w.no_scripts = true;
    w.disk_full = true;
    m.command(Which::Main, b'd', &mut w);
    assert_eq!(
        w.take(),
        [
            "kill 101 SIGTERM",
            "status Main run, got TERM, want down",
            "status Main run, got TERM, want down",
            "kill 101 SIGCONT",
        ]
    );
}

#[test]
fn control_t_that_handles_suppresses_term() {
    let mut w = World::new();
    w.handles.push(b't');
    let mut m = machine(&mut w, false);
    m.start_due(&mut w);
    w.take();
    m.command(Which::Main, b'd', &mut w);
    assert_eq!(
        w.take(),
        [
            "status Main run, want down",
            "control/t",
            "kill 101 SIGCONT",
            "control/d"
        ]
    );
}

#[test]
fn term_with_want_up_sends_no_cont() {
    let (mut w, mut m) = running(false);
    m.command(Which::Main, b't', &mut w);
    assert_eq!(
        w.take(),
        ["control/t", "kill 101 SIGTERM", "status Main run, got TERM"]
    );
}

#[test]
fn quick_exit_is_throttled_for_one_second() {
    let mut w = World::new();
    let mut m = machine(&mut w, false);
    m.start_due(&mut w);
    m.reaped(101, 3 << 8, &mut w);
    w.take();
    let deadline = m.start_due(&mut w).expect("throttled");
    assert!(w.take().is_empty(), "no start inside the throttle");
    assert_eq!(deadline, w.now + THROTTLE);
    // `u` inside the throttle does not bypass it.
    m.command(Which::Main, b'u', &mut w);
    assert_eq!(w.take(), ["status Main down"]);
    w.advance(1);
    m.start_due(&mut w);
    assert_eq!(
        w.take(),
        ["control/u", "start Main Run = 102", "status Main run +pid"]
    );
}

#[test]
fn slow_exit_restarts_at_once() {
    let mut w = World::new();
    let mut m = machine(&mut w, false);
    m.start_due(&mut w);
    w.advance(5);
    m.reaped(101, 9, &mut w);
    w.take();
    assert_eq!(m.start_due(&mut w), None);
    assert_eq!(
        w.take(),
        ["control/u", "start Main Run = 102", "status Main run +pid"]
    );
}

#[test]
fn finish_gets_the_wait_status_and_keeps_the_time() {
    let mut w = World::new();
    w.finish = true;
    let mut m = machine(&mut w, false);
    m.start_due(&mut w);
    let started = m.main.changed;
    w.advance(3);
    m.reaped(101, 6 | 0x80, &mut w);
    assert_eq!(m.main.state, State::Finish);
    m.start_due(&mut w);
    assert_eq!(m.main.changed, started, "finish does not change the time");
    let log = w.take();
    assert_eq!(
        &log[log.len() - 2..],
        ["start Main Finish(134) = 102", "status Main finish +pid"]
    );
    m.reaped(102, 0, &mut w);
    assert_eq!(m.main.state, State::Down);
}

#[test]
fn kill_during_finish_runs_finish_again() {
    let mut w = World::new();
    w.finish = true;
    let mut m = machine(&mut w, false);
    m.start_due(&mut w);
    m.command(Which::Main, b'd', &mut w);
    m.reaped(101, 15, &mut w);
    m.start_due(&mut w);
    w.take();
    m.command(Which::Main, b'k', &mut w);
    assert!(
        w.take().is_empty(),
        "k does nothing to finish and writes no status"
    );
    assert_eq!(m.main.state, State::Down);
    m.reaped(102, 7 << 8, &mut w);
    m.start_due(&mut w);
    let log = w.take();
    assert_eq!(log.last().unwrap(), "status Main finish, want down +pid");
    assert!(
        log.contains(&"start Main Finish(1792) = 103".to_string()),
        "{log:?}"
    );
}

#[test]
fn pause_flag_is_set_even_when_down() {
    let mut w = World::new();
    let now = w.now();
    let mut m = Machine::new(Service::new(Want::Down, now), None);
    m.command(Which::Main, b'p', &mut w);
    assert_eq!(w.take(), ["status Main down, paused +pid"]);
    m.command(Which::Main, b'o', &mut w);
    assert_eq!(
        w.take(),
        [
            "status Main down, paused",
            "control/u",
            "start Main Run = 101",
            "status Main run, want down +pid"
        ]
    );
}

#[test]
fn signals_only_while_running_and_control_scripts_only_for_main() {
    let (mut w, mut m) = running(true);
    for (c, sig) in [
        (b'h', "SIGHUP"),
        (b'a', "SIGALRM"),
        (b'i', "SIGINT"),
        (b'q', "SIGQUIT"),
        (b'1', "SIGUSR1"),
        (b'2', "SIGUSR2"),
    ] {
        m.command(Which::Main, c, &mut w);
        assert_eq!(
            w.take(),
            [format!("control/{}", c as char), format!("kill 102 {sig}")]
        );
        m.command(Which::Log, c, &mut w);
        assert_eq!(w.take(), [format!("kill 101 {sig}")]);
    }
    m.command(Which::Log, b'x', &mut w);
    assert!(w.take().is_empty(), "x is ignored by the log");
}

#[test]
fn exit_stops_main_then_closes_the_log_pipe() {
    let (mut w, mut m) = running(true);
    m.command(Which::Main, b'x', &mut w);
    assert!(!m.exit_step(&mut w));
    m.reaped(102, 15, &mut w);
    w.take();
    assert!(!m.exit_step(&mut w));
    assert_eq!(w.take(), ["status Log run, want exit", "close log pipe"]);
    assert!(!m.exit_step(&mut w), "waits for the log");
    m.reaped(101, 0, &mut w);
    assert!(m.exit_step(&mut w));
}

#[test]
fn down_is_resent_and_once_starts_while_down() {
    let mut w = World::new();
    let mut m = machine(&mut w, false);
    m.start_due(&mut w);
    m.command(Which::Main, b'o', &mut w);
    w.take();
    // `o` while running: want down, no restart after it exits.
    w.advance(2);
    m.reaped(101, 0, &mut w);
    assert_eq!(m.start_due(&mut w), None);
    assert_eq!(w.take(), ["status Main down +pid"]);
}

#[test]
fn forgotten_pids_are_ignored() {
    let (mut w, mut m) = running(false);
    m.reaped(4242, 0, &mut w);
    assert!(w.take().is_empty());
    assert_eq!(m.main.pid, 101);
}

#[test]
fn a_failed_fork_is_tried_again_later_and_commands_are_served_meanwhile() {
    let mut w = World::new();
    w.fail_forks = 1;
    let mut m = machine(&mut w, false);
    let due = m.start_due(&mut w);
    assert_eq!(w.take(), ["control/u", "fork fails for Main Run"]);
    assert_eq!(
        due,
        Some(w.now + FORK_RETRY),
        "no status change, a retry deadline"
    );
    w.advance(1);
    m.start_due(&mut w);
    assert!(w.take().is_empty(), "not before the retry time");
    // Wanted down meanwhile: nothing is tried any more.
    m.command(Which::Main, b'd', &mut w);
    assert_eq!(w.take(), ["status Main down +pid"]);
    w.advance(5);
    m.start_due(&mut w);
    assert!(w.take().is_empty());
    // Up again: started (once the throttle allows).
    m.command(Which::Main, b'u', &mut w);
    w.advance(5);
    m.start_due(&mut w);
    assert_eq!(
        w.take(),
        [
            "status Main down",
            "control/u",
            "start Main Run = 101",
            "status Main run +pid"
        ]
    );
}

// Beyond runit: the extension files (lib/svext.rs).

/// A running main service whose directory has extension files.
fn running_ext(ext: Ext) -> (World, Machine) {
    let mut w = World::new();
    w.ext = ext;
    let mut m = machine(&mut w, false);
    m.start_due(&mut w);
    w.take();
    (w, m)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn down_signal_replaces_term() {
    let (mut w, mut m) = running_ext(Ext {
        down_signal: Some(Signal::SIGINT),
        ..Ext::default()
    });
    m.command(Which::Main, b'd', &mut w);
    assert_eq!(
        w.take(),
        [
            "status Main run, want down",
            "control/t",
            "kill 101 SIGINT",
            "status Main run, got TERM, want down",
            "kill 101 SIGCONT",
            "control/d",
        ]
    );
    assert_eq!(m.kill_deadline(), None, "no timeout-kill: no deadline");
}

#[test]
fn timeout_kill_sends_kill_when_the_service_outlives_it() {
    let (mut w, mut m) = running_ext(Ext {
        timeout_kill: Some(ms(500)),
        ..Ext::default()
    });
    m.command(Which::Main, b'd', &mut w);
    w.take();
    assert_eq!(m.kill_deadline(), Some(w.now + ms(500)));
    w.advance_ms(499);
    m.fire_timers(&mut w);
    assert!(w.take().is_empty(), "not before the deadline");
    m.command(Which::Main, b'd', &mut w);
    w.take();
    assert_eq!(
        m.kill_deadline(),
        Some(w.now + ms(1)),
        "a second down does not postpone it"
    );
    w.advance_ms(1);
    m.fire_timers(&mut w);
    assert_eq!(w.take(), ["kill 101 SIGKILL"]);
    assert_eq!(m.kill_deadline(), None);
    m.reaped(101, 9, &mut w);
    assert_eq!(w.take(), ["status Main down +pid"]);
}

#[test]
fn a_service_that_stops_in_time_is_not_killed() {
    let (mut w, mut m) = running_ext(Ext {
        timeout_kill: Some(ms(500)),
        ..Ext::default()
    });
    m.command(Which::Main, b'd', &mut w);
    w.advance_ms(100);
    m.reaped(101, 15, &mut w);
    w.take();
    assert_eq!(m.kill_deadline(), None);
    w.advance_ms(500);
    m.fire_timers(&mut w);
    assert!(w.take().is_empty());
}

#[test]
fn down_signal_group_signals_the_group_and_kills_what_the_leader_left() {
    let (mut w, mut m) = running_ext(Ext {
        group: true,
        timeout_kill: Some(ms(500)),
        ..Ext::default()
    });
    m.command(Which::Main, b'd', &mut w);
    assert_eq!(
        w.take(),
        [
            "status Main run, want down",
            "control/t",
            "kill -101 SIGTERM",
            "status Main run, got TERM, want down",
            "kill -101 SIGCONT",
            "control/d",
        ]
    );
    // The leader (a shell) exits; a child that ignores TERM is left.
    w.advance_ms(100);
    m.reaped(101, 15, &mut w);
    assert_eq!(w.take(), ["status Main down +pid"]);
    assert_eq!(m.kill_deadline(), Some(w.now + ms(400)));
    w.advance_ms(400);
    m.fire_timers(&mut w);
    assert_eq!(w.take(), ["kill -101 SIGKILL"]);
    assert_eq!(m.kill_deadline(), None);
}

#[test]
fn sv_kill_kills_the_group() {
    let (mut w, mut m) = running_ext(Ext {
        group: true,
        ..Ext::default()
    });
    m.command(Which::Main, b'k', &mut w);
    assert_eq!(w.take(), ["control/k", "kill -101 SIGKILL"]);
}

#[test]
fn timeout_finish_kills_a_hanging_finish() {
    let (mut w, mut m) = running_ext(Ext {
        timeout_finish: Some(ms(300)),
        ..Ext::default()
    });
    w.finish = true;
    w.advance(2);
    m.reaped(101, 0, &mut w);
    m.start_due(&mut w);
    assert_eq!(
        w.take(),
        [
            "status Main finish +pid",
            "start Main Finish(0) = 102",
            "status Main finish +pid",
        ]
    );
    assert_eq!(m.kill_deadline(), Some(w.now + ms(300)));
    w.advance_ms(300);
    m.fire_timers(&mut w);
    assert_eq!(w.take(), ["kill 102 SIGKILL"]);
    m.reaped(102, 9, &mut w);
    assert_eq!(w.take(), ["status Main down +pid"]);
    m.start_due(&mut w);
    assert_eq!(
        w.take(),
        ["control/u", "start Main Run = 103", "status Main run +pid"]
    );
}

#[test]
fn readiness_is_recorded_for_the_current_run_only() {
    let (mut w, mut m) = running_ext(Ext {
        notification_fd: Some(3),
        ..Ext::default()
    });
    m.ready(Which::Main, 99, &mut w);
    assert!(w.take().is_empty(), "not the current run");
    m.ready(Which::Main, 101, &mut w);
    assert_eq!(w.take(), ["ready Main 101"]);
    w.advance(2);
    m.reaped(101, 0, &mut w);
    m.ready(Which::Main, 101, &mut w);
    m.start_due(&mut w);
    assert_eq!(
        w.take(),
        [
            "status Main down +pid",
            "control/u",
            "start Main Run = 102",
            "status Main run +pid"
        ],
        "a restarted run is not ready until it says so"
    );
    m.ready(Which::Main, 102, &mut w);
    assert_eq!(w.take(), ["ready Main 102"]);
}

#[test]
fn readiness_without_notification_fd_is_ignored() {
    let (mut w, mut m) = running(false);
    m.ready(Which::Main, 101, &mut w);
    assert!(w.take().is_empty());
}

/// Lets the current run fail after `ran`, and returns the restart delay
/// the machine asks for (the time until the next start).
fn fail_after(w: &mut World, m: &mut Machine, ran: Duration) -> Option<Duration> {
    w.now += ran;
    let pid = m.main.pid;
    m.reaped(pid, 256, w);
    let due = m.start_due(w).map(|t| t - w.now);
    if let Some(d) = due {
        w.now += d;
        m.start_due(w);
    }
    w.take();
    due
}

#[test]
fn restart_backoff_doubles_up_to_its_maximum_and_resets() {
    let (mut w, mut m) = running_ext(Ext {
        backoff_max: Some(ms(8000)),
        ..Ext::default()
    });
    let quick: Vec<_> = (0..6).map(|_| fail_after(&mut w, &mut m, ms(10))).collect();
    let secs = |s: &[u64]| {
        s.iter()
            .map(|&n| Some(Duration::from_secs(n)))
            .collect::<Vec<_>>()
    };
    assert_eq!(quick, secs(&[1, 2, 4, 8, 8, 8]));
    // A run that lasted a few seconds is still a failure.
    assert_eq!(fail_after(&mut w, &mut m, ms(3000)), Some(ms(8000)));
    // One that stayed up long enough resets the delay: restarted at once,
    // and the next quick failure waits runit's second again.
    assert_eq!(fail_after(&mut w, &mut m, BACKOFF_RESET), None);
    assert_eq!(fail_after(&mut w, &mut m, ms(10)), Some(ms(1000)));
    assert_eq!(fail_after(&mut w, &mut m, ms(10)), Some(ms(2000)));
}

#[test]
fn restart_backoff_does_not_count_a_restart_runsv_was_asked_for() {
    let (mut w, mut m) = running_ext(Ext {
        backoff_max: Some(ms(8000)),
        ..Ext::default()
    });
    assert_eq!(fail_after(&mut w, &mut m, ms(10)), Some(ms(1000)));
    assert_eq!(fail_after(&mut w, &mut m, ms(10)), Some(ms(2000)));
    // `sv restart` after two seconds: runit's rule, and the delay resets.
    w.advance(2);
    m.command(Which::Main, b't', &mut w);
    assert_eq!(fail_after(&mut w, &mut m, ms(0)), None);
    assert_eq!(fail_after(&mut w, &mut m, ms(10)), Some(ms(1000)));
}

#[test]
fn without_restart_backoff_a_quick_failure_always_waits_one_second() {
    let (mut w, mut m) = running(false);
    for _ in 0..4 {
        assert_eq!(fail_after(&mut w, &mut m, ms(10)), Some(THROTTLE));
    }
    assert_eq!(fail_after(&mut w, &mut m, ms(3000)), None);
}

#[test]
fn restart_backoff_remembers_a_stop_across_finish() {
    let (mut w, mut m) = running_ext(Ext {
        backoff_max: Some(ms(8000)),
        ..Ext::default()
    });
    w.finish = true;
    w.advance(2);
    m.command(Which::Main, b'd', &mut w);
    m.reaped(101, 15, &mut w);
    m.start_due(&mut w);
    m.reaped(102, 0, &mut w);
    m.command(Which::Main, b'u', &mut w);
    w.take();
    assert_eq!(m.start_due(&mut w), None, "stopped by runsv: no delay");
    assert_eq!(m.main.pid, 103);
}
