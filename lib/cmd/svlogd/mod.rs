//! svlogd: reads lines on stdin and appends them to rotated log files in one
//! or more directories (doc/runit/svlogd.md). This module is the policy: options,
//! what happens to each line in each directory, and the single-threaded poll
//! loop over stdin and a signalfd. The mechanisms live in `crate::logdir`.

mod copy;
mod input;
pub mod options;
mod route;

use crate::logdir::dir::LogDir;
use crate::logdir::lines::Splitter;
use crate::logdir::report::{info, warn_err};
use crate::logdir::stamp::Stamper;
use crate::msg;
use crate::sig::Signals;
use crate::tai::Tai64n;
use copy::Copies;
use input::{Peek, PipeInput};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use route::Router;
use std::ffi::OsString;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

/// runit never sleeps longer than this in its poll.
const LONGEST_WAIT: Duration = Duration::from_secs(2744);
/// How often copies waiting for a slow reader are tried again.
const COPY_RETRY: Duration = Duration::from_millis(50);
/// Input is read in blocks of this size (runit reads `buflen` bytes, which
/// changes nothing but how often it looks at signals).
const READ_BLOCK: usize = 256 * 1024;

/// The program's state between reads.
struct Svlogd {
    dirs: Vec<LogDir>,
    splitter: Splitter,
    stamper: Stamper,
    line_max: usize,
    verbose: bool,
    has_patterns: bool,
    shadow: Vec<u8>,
    exit_asap: bool,
    rotate_asap: bool,
    reopen_asap: bool,
    copies: Copies,
}

impl Svlogd {
    fn reopen(&mut self) {
        let now = Instant::now();
        let mut ok = false;
        for d in &mut self.dirs {
            d.close();
            ok |= d.open(now);
        }
        self.has_patterns = self.dirs.iter().any(|d| !d.cfg.patterns.is_empty());
        if self
            .dirs
            .iter()
            .any(|d| d.cfg.copy_stdout || d.cfg.copy_stderr)
        {
            // A copy's reader that has gone must not kill the log.
            crate::sys::ignore_sigpipe();
        }
        if !ok {
            msg::line(&["svlogd: fatal: no functional log directories."]);
            std::process::exit(111);
        }
    }

    fn flush_all(&mut self) {
        for d in &mut self.dirs {
            d.rotate_if_due();
            d.flush();
            d.start_writeback();
        }
    }

    /// The rotations left due, then early writeback where enough is written.
    fn rotate_due(&mut self) {
        for d in &mut self.dirs {
            d.rotate_if_due();
            d.start_writeback();
        }
    }

    /// What runit does before each read: rotate on request or
    /// deadline, reopen on request. Returns the poll deadline, or None when
    /// it is time to stop.
    fn before_read(&mut self) -> Option<Instant> {
        if self.rotate_asap {
            for d in &mut self.dirs {
                d.rotate();
            }
            self.rotate_asap = false;
        }
        if self.exit_asap && self.splitter.at_line_start() {
            return None;
        }
        if self.reopen_asap {
            self.reopen();
            self.reopen_asap = false;
        }
        for d in &mut self.dirs {
            if d.failed_to_start() {
                d.processor_done(111 << 8);
            }
        }
        let now = Instant::now();
        let mut deadline = now + LONGEST_WAIT;
        for d in &mut self.dirs {
            if d.cfg.time_max.is_none() {
                continue;
            }
            if d.deadline.is_some_and(|t| t < now) {
                d.rotate();
            }
            if let Some(t) = d.deadline.filter(|_| d.cfg.time_max.is_some()) {
                deadline = deadline.min(t);
            }
        }
        Some(deadline)
    }

    /// What runit's signal handlers do; the work happens before the next read.
    fn on_signal(&mut self, sig: Signal) {
        let text = match sig {
            Signal::SIGTERM => "sigterm received.",
            Signal::SIGALRM => "sigalarm received.",
            Signal::SIGHUP => "sighangup received.",
            Signal::SIGCHLD => "sigchild received.",
            _ => return,
        };
        if self.verbose {
            info(&[text.as_bytes()]);
        }
        match sig {
            Signal::SIGTERM => self.exit_asap = true,
            Signal::SIGALRM => self.rotate_asap = true,
            Signal::SIGHUP => self.reopen_asap = true,
            _ => self.reap_processors(),
        }
    }

    fn reap_processors(&mut self) {
        while let Some(r) = crate::proc::reap_one() {
            for d in &mut self.dirs {
                if d.child_exited(r.pid, r.wstatus) {
                    break;
                }
            }
        }
    }

    fn feed(&mut self, data: &[u8], now: Tai64n) {
        let mut router = Router {
            dirs: &mut self.dirs,
            stamper: &mut self.stamper,
            scratch: Vec::new(),
            shadow: self.has_patterns.then_some(&mut self.shadow),
            stop_at_rotation: false,
            copies: &mut self.copies,
        };
        self.splitter.feed(data, now, &mut router);
        self.rotate_due();
    }

    /// Feeds `data` up to the end of the first line that makes a directory
    /// due for rotation, and leaves that rotation for later. Returns how
    /// many bytes were taken.
    fn feed_until_rotation(&mut self, data: &[u8], now: Tai64n) -> usize {
        let mut router = Router {
            dirs: &mut self.dirs,
            stamper: &mut self.stamper,
            scratch: Vec::new(),
            shadow: self.has_patterns.then_some(&mut self.shadow),
            stop_at_rotation: true,
            copies: &mut self.copies,
        };
        self.splitter.feed(data, now, &mut router)
    }

    fn finish_input(&mut self) {
        let mut router = Router {
            dirs: &mut self.dirs,
            stamper: &mut self.stamper,
            scratch: Vec::new(),
            shadow: self.has_patterns.then_some(&mut self.shadow),
            stop_at_rotation: false,
            copies: &mut self.copies,
        };
        self.splitter.finish(&mut router);
    }

    /// After SIGTERM runit stops at the first line whose first part ends at
    /// the end of the data read, without writing it. Returns whether to stop.
    fn feed_while_exiting(&mut self, data: &[u8], now: Tai64n) -> bool {
        let Some((&last, body)) = data.split_last() else {
            return false;
        };
        self.feed(body, now);
        let completes_head = !self.splitter.in_rest()
            && (last == b'\n' || self.splitter.collected() + 1 >= self.line_max);
        if completes_head {
            self.splitter.discard();
            return true;
        }
        self.feed(&[last], now);
        false
    }

    /// Whether whole lines go from the pipe straight into the one log
    /// directory's `current`: no stamp, no replacement, no line in
    /// progress, and a directory that takes its input as is.
    fn splices(&self) -> bool {
        !self.stamper.enabled()
            && !self.has_patterns
            && !self.splitter.replaces()
            && self.splitter.at_line_start()
            && matches!(&self.dirs[..], [d] if d.takes_input_as_is())
    }

    fn shut_down(&mut self) {
        for d in &mut self.dirs {
            d.wait_processor();
            d.close();
        }
        self.copies.finish();
    }
}

fn set_nonblocking(fd: BorrowedFd) {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    use std::os::fd::AsRawFd;
    if let Ok(flags) = fcntl(fd.as_raw_fd(), FcntlArg::F_GETFL) {
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        let _ = fcntl(fd.as_raw_fd(), FcntlArg::F_SETFL(flags));
    }
}

pub fn main(args: Vec<OsString>) -> i32 {
    crate::sys::restore_sigpipe();
    let argv0 = if args.is_empty() {
        b"svlogd".to_vec()
    } else {
        msg::arg0(&args)
    };
    let opts = match options::parse_options(&args) {
        Ok(o) => o,
        Err(r) => return options::refuse(r, &argv0),
    };
    let copies = Copies::new(opts.dirs.len());
    // runit keeps the start-up directory open; we never leave it, so opening
    // it only checks that it can be opened (and the descriptor stays free,
    // for the signalfd that runit does not have).
    if let Err(e) = std::fs::File::open(".") {
        let errno = crate::errstr::errno(&e);
        msg::line_err(
            &["svlogd: fatal: unable to open current working directory"],
            errno,
        );
        return 111;
    }
    let stdin = std::io::stdin();
    set_nonblocking(stdin.as_fd());
    let mut signals = match Signals::new(&[
        Signal::SIGTERM,
        Signal::SIGCHLD,
        Signal::SIGALRM,
        Signal::SIGHUP,
    ]) {
        Ok(s) => s,
        Err(e) => {
            msg::line_err(&["svlogd: fatal: unable to block signals"], e);
            return 111;
        }
    };
    let mut s = Svlogd {
        dirs: opts
            .dirs
            .iter()
            .map(|n| LogDir::new(n.clone(), opts.verbose, opts.line_max as u64))
            .collect(),
        splitter: Splitter::new(opts.line_max, opts.replace.clone()),
        stamper: Stamper::new(opts.stamp),
        line_max: opts.line_max,
        verbose: opts.verbose,
        has_patterns: false,
        shadow: Vec::new(),
        exit_asap: false,
        rotate_asap: false,
        reopen_asap: false,
        copies,
    };
    s.reopen();
    let mut pipe = PipeInput::new(stdin.as_fd());
    let size = pipe.as_ref().map_or(0, |p| p.capacity()).max(READ_BLOCK);
    let mut buf = vec![0u8; size];
    run(&mut s, &mut signals, &mut buf, stdin.as_fd(), &mut pipe);
    s.shut_down();
    0
}

/// What a look at the pipe led to.
enum Step {
    Go,
    Stop,
    /// A partial line waits in the pipe: look again after this long.
    Wait(Duration),
    /// tee failed: read stdin the ordinary way from now on.
    Fallback,
}

fn stamp_now(s: &Svlogd) -> Tai64n {
    if s.stamper.enabled() {
        Tai64n::now()
    } else {
        Tai64n::default()
    }
}

/// The poll loop: wait for input or a signal, then read one block.
fn run(
    s: &mut Svlogd,
    signals: &mut Signals,
    buf: &mut [u8],
    stdin: BorrowedFd,
    pipe: &mut Option<PipeInput>,
) {
    let mut scratch = vec![0u8; input::STEP];
    let mut wait: Option<Duration> = None;
    loop {
        s.copies.flush();
        let Some(mut deadline) = s.before_read() else {
            return;
        };
        if s.copies.pending() {
            // Lines wait for a slow reader: look again soon.
            deadline = deadline.min(Instant::now() + COPY_RETRY);
        }
        // Like runit, the read size is chosen before the wait: only the reads
        // after a SIGTERM noticed earlier are one byte long.
        let len = if s.exit_asap { 1 } else { buf.len() };
        let ready = match wait.take() {
            // stdin holds a partial line and stays readable: wait for
            // signals only, a little while.
            Some(d) => {
                if d.is_zero() {
                    std::thread::yield_now();
                }
                let until = deadline.min(Instant::now() + d);
                let sig = crate::poll::readable(&[signals.as_fd()], Some(until));
                vec![true, sig.first() == Some(&true)]
            }
            None => {
                // runit writes every line at once; we write when it would
                // show: before waiting (and at rotation, signals and exit,
                // which write their own).
                let fds = [stdin, signals.as_fd()];
                let mut ready = crate::poll::readable(&fds, Some(Instant::now()));
                if !ready.contains(&true) {
                    s.flush_all();
                    ready = crate::poll::readable(&fds, Some(deadline));
                }
                ready
            }
        };
        if ready.get(1) == Some(&true) {
            for sig in signals.drain() {
                s.on_signal(sig);
            }
        }
        if !s.exit_asap {
            if let Some(p) = pipe.as_mut() {
                match pipe_step(s, p, stdin, buf, &mut scratch) {
                    Step::Go => continue,
                    Step::Stop => return,
                    Step::Wait(d) => {
                        wait = Some(d);
                        continue;
                    }
                    Step::Fallback => *pipe = None,
                }
            }
        }
        match nix::unistd::read(std::os::fd::AsRawFd::as_raw_fd(&stdin), &mut buf[..len]) {
            Ok(0) => {
                s.finish_input();
                return;
            }
            Ok(n) => {
                let now = stamp_now(s);
                if s.exit_asap {
                    if s.feed_while_exiting(&buf[..n], now) {
                        return;
                    }
                } else {
                    s.feed(&buf[..n], now);
                }
            }
            Err(Errno::EAGAIN) | Err(Errno::EINTR) => {}
            Err(e) => {
                warn_err(&[b"unable to read standard input"], e);
                s.finish_input();
                return;
            }
        }
    }
}

/// One look at the pipe: the complete lines it holds are written, then
/// consumed, step by step; a partial line is left there or taken into memory.
fn pipe_step(
    s: &mut Svlogd,
    pipe: &mut PipeInput,
    stdin: BorrowedFd,
    buf: &mut [u8],
    scratch: &mut [u8],
) -> Step {
    if s.splices() {
        if let Some(complete) = pipe.peek_complete(stdin, buf) {
            pipe.progressed();
            // The lines go into `current` from a copy, and only then are
            // they consumed: a kill in between repeats them, loses none.
            let moved = match pipe.copy_of(stdin, complete) {
                Some(copy) => {
                    let moved = s.dirs[0].splice_lines(copy, complete);
                    pipe.drop_copy();
                    pipe.consume(stdin, moved, scratch);
                    moved
                }
                None => s.dirs[0].splice_lines(stdin, complete),
            };
            if moved == complete {
                return Step::Go;
            }
        }
    }
    let (n, complete) = match pipe.peek(stdin, buf) {
        Err(_) => return Step::Fallback,
        Ok(Peek::Eof) => {
            s.finish_input();
            return Step::Stop;
        }
        Ok(Peek::Empty) => return Step::Go,
        Ok(Peek::Data { n, complete }) => (n, complete),
    };
    let now = stamp_now(s);
    let upto = if complete > 0 {
        pipe.progressed();
        complete
    } else {
        // Without stamps, a line shorter than -l waits in the pipe for its
        // end; an overlong one's head is written at once, as runit does.
        let patient = !s.stamper.enabled() && s.splitter.at_line_start() && n < s.line_max;
        match pipe.take_partial(n, input::writer_gone(stdin), patient) {
            Ok(()) => n,
            Err(d) => return Step::Wait(d),
        }
    };
    let mut done = 0;
    while done < upto {
        // Each step's lines are written, then consumed, then the rotation
        // they made due is done: a kill at any moment repeats at most the
        // lines of the step being written, and loses none.
        let end = input::step_end(buf, done, upto);
        let taken = s.feed_until_rotation(&buf[done..end], now);
        for d in &mut s.dirs {
            d.flush();
        }
        pipe.consume(stdin, taken, scratch);
        s.rotate_due();
        done += taken;
    }
    Step::Go
}
