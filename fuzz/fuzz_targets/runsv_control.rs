//! runsv's state machine driven by arbitrary bytes on `supervise/control`
//! (and `log/supervise/control`), interleaved with children exiting, time
//! passing and loop turns. Whatever arrives: no panic, a signal only ever
//! goes to a child that was started and not yet reaped, and every status
//! record written is one runit could write. The setup byte also picks the
//! extension files (down-signal-group, timeout-kill, timeout-finish,
//! restart-backoff, notification-fd); a group signal goes only to a group
//! one of our children led, and readiness only to the live run.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nix::sys::signal::Signal;
use runit::cmd::runsv::machine::{Effects, Machine, Program, Service, Which};
use runit::status::{Status, Want};
use runit::svext::Ext;
use runit::tai::Tai64n;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

struct World {
    next_pid: i32,
    alive: BTreeSet<i32>,
    tai: u64,
    now: Instant,
    finish: bool,
    handles: u8,
    ext: Ext,
}

impl Effects for World {
    fn now(&mut self) -> (Tai64n, Instant) {
        let tai = Tai64n {
            secs: self.tai,
            nanos: 500,
        };
        (tai, self.now)
    }
    fn control_script(&mut self, c: u8) -> bool {
        // Some letters are "handled by control/X", chosen by the input.
        let i = b"tdxkpchaiq12u".iter().position(|&x| x == c);
        i.is_some_and(|i| (self.handles >> (i % 8)) & 1 != 0)
    }
    fn has_control_script(&mut self, c: u8) -> bool {
        // The scripts that handle their letter exist; so does `control/t`
        // whenever the top bit is set (one that exists and does not handle).
        self.control_script(c) || (c == b't' && self.handles & 0x80 != 0)
    }
    fn status_failed(&mut self, _: Which) -> bool {
        // A full disk now and then, chosen by the input.
        self.handles & 0x40 != 0 && self.tai % 2 == 0
    }
    fn signal(&mut self, pid: i32, _: Signal) {
        assert!(pid > 1, "signal to pid {pid}");
        assert!(
            self.alive.contains(&pid),
            "signal to {pid}, not a live child"
        );
    }
    fn signal_group(&mut self, pgid: i32, _: Signal) {
        assert!(pgid > 100 && pgid <= self.next_pid, "group {pgid}");
        assert!(self.ext.group, "a group signal without down-signal-group");
    }
    fn ext(&mut self, _: Which) -> Ext {
        self.ext
    }
    fn mark_ready(&mut self, _: Which, pid: i32, _: Tai64n) {
        assert!(self.alive.contains(&pid), "ready for {pid}, not a live child");
    }
    fn start(&mut self, _: Which, _: Program, _: &Ext) -> Option<i32> {
        self.next_pid += 1;
        self.alive.insert(self.next_pid);
        Some(self.next_pid)
    }
    fn write_status(&mut self, _: Which, status: &Status, stat: &str, with_pid: bool) -> bool {
        assert!(status.state <= 2);
        assert!(status.want == b'u' || status.want == b'd');
        assert!(status.pid == 0 || self.alive.contains(&(status.pid as i32)));
        assert!(stat.ends_with('\n') && !stat[..stat.len() - 1].contains('\n'));
        with_pid
    }
    fn finish_exists(&mut self) -> bool {
        self.finish
    }
    fn close_log_pipe(&mut self) {}
}

fuzz_target!(|data: &[u8]| {
    let Some((&setup, mut events)) = data.split_first() else {
        return;
    };
    let mut w = World {
        next_pid: 100,
        alive: BTreeSet::new(),
        tai: 0x4000_0000_6000_0000,
        now: Instant::now(),
        finish: setup & 1 != 0,
        handles: setup,
        ext: Ext {
            group: setup & 8 != 0,
            timeout_kill: (setup & 16 != 0).then(|| Duration::from_millis(300)),
            timeout_finish: (setup & 32 != 0).then(|| Duration::from_millis(200)),
            backoff_max: (setup & 64 != 0).then(|| Duration::from_secs(8)),
            notification_fd: (setup & 128 != 0).then_some(3),
            ..Ext::default()
        },
    };
    let start = w.now();
    let want = if setup & 2 != 0 { Want::Up } else { Want::Down };
    let log = (setup & 4 != 0).then(|| Service::new(Want::Up, start));
    let mut m = Machine::new(Service::new(want, start), log);
    m.start_due(&mut w);
    while let [kind, arg, rest @ ..] = events {
        events = rest;
        match kind % 8 {
            0 | 1 => m.command(Which::Main, *arg, &mut w),
            2 => m.command(Which::Log, *arg, &mut w),
            3 => {
                // A child exits: one of runsv's own (main, log or one it
                // forgot), with an arbitrary wait status.
                let alive: Vec<i32> = w.alive.iter().copied().collect();
                if let Some(&pid) = alive.get(usize::from(*arg) % alive.len().max(1)) {
                    w.alive.remove(&pid);
                    m.reaped(pid, i32::from(*arg) << 8 | i32::from(*kind >> 3), &mut w);
                }
            }
            4 => {
                let ms = u64::from(*arg) * 10;
                w.now += Duration::from_millis(ms);
                w.tai += ms / 1000;
            }
            5 => w.finish = *arg & 1 != 0,
            6 => {
                let _ = m.exit_step(&mut w);
                m.fire_timers(&mut w);
                let which = if *arg & 1 != 0 { Which::Log } else { Which::Main };
                let pid = m.svc(which).pid;
                m.ready(which, pid, &mut w);
            }
            _ => {
                let _ = m.start_due(&mut w);
            }
        }
        // Whatever a service's record says, its pid is a live child.
        for svc in std::iter::once(&m.main).chain(m.log.as_ref()) {
            assert_eq!(svc.record().pid, svc.pid as u32);
            assert!(
                svc.pid == 0 || w.alive.contains(&svc.pid),
                "pid {}",
                svc.pid
            );
        }
    }
});
