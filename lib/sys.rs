//! The only module where `unsafe` is allowed. Each function here is small and
//! says why it is sound. Everything else in the crate is `#![deny(unsafe_code)]`.
#![allow(unsafe_code)]

use crate::errstr;
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use std::ffi::{CStr, CString, OsString};
use std::os::raw::{c_char, c_int};
use std::os::unix::io::RawFd;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Sets `sig` to its default disposition.
pub fn default_disposition(sig: Signal) {
    // SAFETY: installing SIG_DFL installs no handler code, so no Rust code can
    // run in signal context; the only effect is the kernel's default action.
    unsafe {
        libc::signal(sig as libc::c_int, libc::SIG_DFL);
    }
}

/// Undoes what the Rust runtime did before `main`: SIGPIPE ignored. An ignored
/// disposition survives exec, so without this every child would start with
/// SIGPIPE ignored. Call first thing in every program.
pub fn restore_sigpipe() {
    default_disposition(Signal::SIGPIPE);
}

/// Ignores SIGPIPE in this process only (fork_exec gives children the
/// default back): a write to a closed pipe then fails with EPIPE instead of
/// killing the writer. For my_init, which must outlive a closed stderr as the
/// Python original does.
pub fn ignore_sigpipe() {
    // SAFETY: SIG_IGN installs no handler code; the kernel just drops SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// What a forked child does before exec. Everything is prepared by the parent
/// so that the child only makes async-signal-safe calls and never allocates.
pub struct ChildPlan<'a> {
    /// Paths to try with execve, in order (one, or a PATH search's candidates).
    pub candidates: &'a [CString],
    /// Null-terminated argv pointer array.
    pub argv: &'a [*const c_char],
    /// Null-terminated envp pointer array; None means inherit `environ`.
    pub envp: Option<&'a [*const c_char]>,
    /// (source, target) descriptor moves; a source of -1 closes the target,
    /// any other source that is not open fails the move (runsv's closed log
    /// pipe, doc/runit/quirks.md #5).
    pub fds: &'a [(RawFd, RawFd)],
    /// Message prefix for a failed descriptor move (errno text is appended).
    pub fd_error: &'a [u8],
    /// A failed descriptor move only prints `fd_error` and the child goes on
    /// (runsv's control scripts, whose stdout setup is a warning in runit).
    pub fd_error_warns: bool,
    /// Directory to change to before exec, and its failure message prefix.
    pub chdir: Option<(&'a CStr, &'a [u8])>,
    /// Start a new session (runsvdir -P).
    pub new_session: bool,
    /// Lead a new process group (runsv's `down-signal-group`).
    pub new_process_group: bool,
    /// Message prefix for a failed exec (errno text is appended).
    pub exec_error: &'a [u8],
    /// Exit code of the child when anything fails.
    pub fail_code: i32,
    /// Signals that stay blocked in the child (svlogd's processor keeps
    /// SIGCHLD blocked, as runit's does); every other signal is unblocked.
    pub keep_blocked: &'a [libc::c_int],
    /// Python's `os.spawnvp` rules (my_init): every candidate is tried
    /// whatever the error, and a failure exits `fail_code` without a word.
    pub silent_failure: bool,
}

/// Signals set back to default in every child. Only SIGPIPE: the Rust runtime
/// ignores it, and an ignored disposition survives exec. Everything the suite
/// handles is blocked and read from a signalfd (the mask is emptied below), and
/// caught signals are reset by exec itself, so any other signal the child
/// finds ignored was ignored by whoever started us, and runit passes those on.
const RESET_SIGNALS: [libc::c_int; 1] = [libc::SIGPIPE];

/// Forks and, in the child, carries out `plan` and execs. Returns the child's
/// pid to the parent. The child starts with an empty signal mask and SIGPIPE
/// at its default action.
pub fn fork_exec(plan: &ChildPlan) -> Result<Pid, Errno> {
    // SAFETY: the process is single-threaded (every supervisor is), so the
    // child owns a consistent copy of the address space. After fork the child
    // calls only async-signal-safe functions (dup2, fcntl, close, signal,
    // sigprocmask, setsid, setpgid, chdir, execve, write, _exit) on data prepared by the
    // parent, and never returns into Rust code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(Errno::last());
    }
    if pid > 0 {
        return Ok(Pid::from_raw(pid));
    }
    // SAFETY: see above; child_side never returns.
    unsafe { child_side(plan) }
}

/// # Safety
/// Only to be called in a freshly forked child of a single-threaded process.
unsafe fn child_side(plan: &ChildPlan) -> ! {
    for &(src, dst) in plan.fds {
        let ok = if src == -1 {
            libc::close(dst);
            true
        } else if src == dst {
            libc::fcntl(dst, libc::F_SETFD, 0) != -1
        } else {
            libc::dup2(src, dst) != -1
        };
        if !ok {
            if plan.fd_error_warns {
                say(plan.fd_error, Errno::last_raw());
            } else {
                die(plan.fd_error, Errno::last_raw(), plan.fail_code);
            }
        }
    }
    for sig in RESET_SIGNALS {
        libc::signal(sig, libc::SIG_DFL);
    }
    let mut empty: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut empty);
    for &sig in plan.keep_blocked {
        libc::sigaddset(&mut empty, sig);
    }
    libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
    if plan.new_session {
        libc::setsid();
    } else if plan.new_process_group {
        libc::setpgid(0, 0);
    }
    if let Some((dir, msg)) = plan.chdir {
        if libc::chdir(dir.as_ptr()) == -1 {
            die(msg, Errno::last_raw(), plan.fail_code);
        }
    }
    extern "C" {
        static environ: *const *const c_char;
    }
    let envp = match plan.envp {
        Some(e) => e.as_ptr(),
        None => environ,
    };
    // execvp's rules: ENOENT moves on, EACCES/EPERM/EISDIR are remembered and
    // the search goes on, anything else ends it.
    let mut remembered = libc::ENOENT;
    for path in plan.candidates {
        libc::execve(path.as_ptr(), plan.argv.as_ptr(), envp);
        let e = Errno::last_raw();
        if plan.silent_failure {
            continue;
        }
        match e {
            libc::ENOENT => {}
            libc::EACCES | libc::EPERM | libc::EISDIR => remembered = e,
            _ => {
                remembered = e;
                break;
            }
        }
    }
    if plan.silent_failure {
        libc::_exit(plan.fail_code);
    }
    die(plan.exec_error, remembered, plan.fail_code)
}

/// Writes `prefix`, the errno text and a newline in one write, then `_exit`s.
unsafe fn die(prefix: &[u8], errno: i32, code: i32) -> ! {
    say(prefix, errno);
    libc::_exit(code)
}

/// Writes `prefix`, the errno text and a newline in one write to stderr.
/// Uses a stack buffer: no allocation in a forked child.
unsafe fn say(prefix: &[u8], errno: i32) {
    let mut buf = [0u8; 1024];
    let text = errstr::describe(errno).as_bytes();
    let mut n = 0;
    for part in [prefix, text, b"\n"] {
        let take = part.len().min(buf.len() - n);
        buf[n..n + take].copy_from_slice(&part[..take]);
        n += take;
    }
    libc::write(2, buf.as_ptr().cast(), n);
}

/// A null-terminated pointer array over `strings`, valid while they live.
pub fn pointer_array(strings: &[CString]) -> Vec<*const c_char> {
    let mut v: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
    v.push(std::ptr::null());
    v
}

/// nice(2): adds `inc` to the nice value. runit treats -1 as a failure only
/// when errno was set, since -1 is also a valid new nice value.
pub fn nice(inc: i32) -> Result<(), Errno> {
    Errno::clear();
    // SAFETY: nice takes a plain integer and touches no memory of ours.
    let r = unsafe { libc::nice(inc) };
    if r == -1 && Errno::last_raw() != 0 {
        return Err(Errno::last());
    }
    Ok(())
}

/// The process's environment exactly as the C library holds it (`environ`),
/// entries in order, including any without `=`: std's `vars_os` would drop
/// or reshape those, and chpst must pass them on untouched.
pub fn environ_entries() -> Vec<Vec<u8>> {
    extern "C" {
        static environ: *const *const c_char;
    }
    let mut out = Vec::new();
    // SAFETY: the process never modifies its environment (no set_var), so
    // `environ` is a stable null-terminated array of NUL-terminated strings
    // for the duration of this read.
    unsafe {
        let mut p = environ;
        if p.is_null() {
            return out;
        }
        while !(*p).is_null() {
            out.push(CStr::from_ptr(*p).to_bytes().to_vec());
            p = p.add(1);
        }
    }
    out
}

/// The command line handed to a `no_main` program's `main`, as owned strings.
/// On musl, std fills `std::env::args` only when its own runtime start-up
/// runs, so a `no_main` program must build its arguments from what the C
/// start-up code passes to `main`; on glibc this is the same list.
///
/// # Safety
/// `argc` and `argv` must be exactly the values the C library passed to the
/// process's `main`: `argv` points to `argc` pointers to NUL-terminated
/// strings (followed by a null pointer), alive for the whole process.
pub unsafe fn args_from_main(argc: c_int, argv: *const *const c_char) -> Vec<OsString> {
    use std::os::unix::ffi::OsStringExt;
    let count = usize::try_from(argc).unwrap_or(0);
    let mut out = Vec::with_capacity(count);
    if argv.is_null() {
        return out;
    }
    for i in 0..count {
        // SAFETY: by the caller's contract, argv[0..argc] are readable
        // pointers; each non-null one points to a NUL-terminated string that
        // the kernel placed on the initial stack and that is never freed. It
        // is copied at once, so no reference into that memory is kept (runsvdir
        // later rewrites one argument there, see ArgvSlot).
        let arg = unsafe {
            let p = *argv.add(i);
            if p.is_null() {
                break;
            }
            CStr::from_ptr(p).to_bytes().to_vec()
        };
        out.push(OsString::from_vec(arg));
    }
    out
}

/// The C `main` of a `no_main` program (bin/chpst.rs, bin/sv.rs,
/// bin/runit-rs.rs): entered without Rust's runtime start-up, it builds the
/// arguments from its own argc/argv ([`args_from_main`]) and returns what
/// `$entry(args)` returns as the exit code.
#[macro_export]
macro_rules! c_main {
    ($entry:path) => {
        // The C start-up code calls this with its own argc/argv; the
        // signature is C's.
        #[allow(clippy::not_unsafe_ptr_arg_deref)]
        #[no_mangle]
        pub extern "C" fn main(
            argc: ::std::ffi::c_int,
            argv: *const *const ::std::ffi::c_char,
        ) -> ::std::ffi::c_int {
            // SAFETY: argc and argv are exactly what the C start-up code
            // passed to main.
            let args = unsafe { $crate::sys::args_from_main(argc, argv) };
            $entry(args)
        }
    };
}

/// How many leading words of the real argv the running program does not see:
/// 1 when the multi-call binary was run as `runit-rs NAME ARGS...` and hands
/// `NAME ARGS...` on, 0 otherwise. ArgvSlot adds it to the program's index.
static ARGV_SHIFT: AtomicUsize = AtomicUsize::new(0);

/// Records that the program's argument 0 is the real argv's argument `shift`.
pub fn set_argv_shift(shift: usize) {
    ARGV_SHIFT.store(shift, Ordering::Relaxed);
}

/// One of this process's original command-line arguments, in the memory the
/// kernel shows as `/proc/PID/cmdline` (and `ps` shows). runsvdir's
/// readproctitle log rewrites its `log` argument there in place.
pub struct ArgvSlot {
    ptr: *mut u8,
    len: usize,
}

impl ArgvSlot {
    /// Locates the program's argument `index` (0 = its `argv[0]`; see
    /// [`set_argv_shift`]), which must read `expected`.
    /// The argument area's address comes from `/proc/self/stat` (fields 48
    /// and 49, arg_start and arg_end); its contents from `/proc/self/cmdline`.
    /// Returns None when anything does not match, so a wrong address is never
    /// written to.
    pub fn find(index: usize, expected: &[u8]) -> Option<ArgvSlot> {
        let index = index + ARGV_SHIFT.load(Ordering::Relaxed);
        let stat = std::fs::read("/proc/self/stat").ok()?;
        // Fields after the command name, which may contain spaces, start at 3.
        let close = stat.iter().rposition(|&b| b == b')')?;
        let fields: Vec<&[u8]> = stat[close + 1..]
            .split(|&b| b == b' ' || b == b'\n')
            .filter(|f| !f.is_empty())
            .collect();
        let number = |i: usize| -> Option<usize> {
            std::str::from_utf8(fields.get(i - 3)?).ok()?.parse().ok()
        };
        let (start, end) = (number(48)?, number(49)?);
        let cmdline = std::fs::read("/proc/self/cmdline").ok()?;
        if start == 0 || end < start || cmdline.len() != end - start {
            return None;
        }
        let mut offset = 0;
        for arg in cmdline.split(|&b| b == 0).take(index) {
            offset += arg.len() + 1;
        }
        if cmdline.get(offset..offset + expected.len())? != expected {
            return None;
        }
        Some(ArgvSlot {
            ptr: (start + offset) as *mut u8,
            len: expected.len(),
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Overwrites the argument with `bytes` (at most its original length).
    pub fn write(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.len);
        // SAFETY: [ptr, ptr+len) lies inside [arg_start, arg_end), the
        // argument strings the kernel copied onto the initial stack: mapped
        // and writable for the whole life of the process, and checked in
        // `find` to hold exactly the expected argument. No Rust reference
        // points into it (std copies arguments into owned strings, and the
        // programs read their arguments once, before this), the process is
        // single-threaded, and the terminating NUL after the argument is
        // never touched, so the argument list keeps its shape.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr, n);
        }
    }
}

/// The index of the first `needle` byte in `hay`: 16 bytes at a time with
/// SSE2 (always present on x86-64). svlogd calls it once per line; musl's
/// memchr works a word at a time and took twice glibc's time there.
#[cfg(target_arch = "x86_64")]
pub fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut at = 0;
    // SAFETY: SSE2 is part of the x86-64 baseline, so these instructions
    // exist on every machine this code can run on. Each load reads 16 bytes
    // at `at`, with at + 16 <= hay.len(): inside the live slice `hay`
    // (loadu has no alignment requirement).
    unsafe {
        let wanted = _mm_set1_epi8(needle as i8);
        while at + 16 <= hay.len() {
            let block = _mm_loadu_si128(hay.as_ptr().add(at).cast::<__m128i>());
            let hits = _mm_movemask_epi8(_mm_cmpeq_epi8(block, wanted));
            if hits != 0 {
                return Some(at + hits.trailing_zeros() as usize);
            }
            at += 16;
        }
    }
    hay[at..].iter().position(|&b| b == needle).map(|i| at + i)
}

/// The index of the first `needle` byte in `hay` (libc's memchr).
#[cfg(not(target_arch = "x86_64"))]
pub fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    if hay.is_empty() {
        return None;
    }
    // SAFETY: the pointer and length describe the live slice `hay`; memchr
    // reads at most `hay.len()` bytes and returns null or a pointer into it.
    let p = unsafe { libc::memchr(hay.as_ptr().cast(), libc::c_int::from(needle), hay.len()) };
    if p.is_null() {
        None
    } else {
        Some(p as usize - hay.as_ptr() as usize)
    }
}

/// The position of the last `needle` in `hay` (the C library's memrchr).
pub fn memrchr(needle: u8, hay: &[u8]) -> Option<usize> {
    if hay.is_empty() {
        return None;
    }
    // SAFETY: the pointer and length describe the live slice `hay`; memrchr
    // reads at most `hay.len()` bytes and returns null or a pointer into it.
    let p = unsafe { libc::memrchr(hay.as_ptr().cast(), libc::c_int::from(needle), hay.len()) };
    if p.is_null() {
        None
    } else {
        Some(p as usize - hay.as_ptr() as usize)
    }
}

/// Opens `path`, relative to the directory `dir` when given, as a
/// close-on-exec `File`. Always by openat(2), also without a directory:
/// musl's open() follows every close-on-exec open with an fcntl(F_SETFD)
/// (for kernels older than 2.6.23), one more system call for each of the
/// files the supervisors open all the time (runsv's status files, my_init's
/// looks at them at shutdown); its openat() does not.
pub fn open_file<P: ?Sized + nix::NixPath>(
    dir: Option<std::os::fd::BorrowedFd>,
    path: &P,
    flags: nix::fcntl::OFlag,
    mode: nix::sys::stat::Mode,
) -> Result<std::fs::File, Errno> {
    use std::os::fd::{AsRawFd, FromRawFd};
    let flags = flags | nix::fcntl::OFlag::O_CLOEXEC;
    let fd = loop {
        match nix::fcntl::openat(dir.map(|d| d.as_raw_fd()), path, flags, mode) {
            Err(Errno::EINTR) => continue,
            r => break r?,
        }
    };
    // SAFETY: `fd` was just returned by openat and is owned by nothing else,
    // so the File becomes its only owner.
    Ok(unsafe { std::fs::File::from_raw_fd(fd) })
}

/// A close-on-exec duplicate of `fd` numbered `min` or above (F_DUPFD_CLOEXEC).
pub fn dup_above(fd: std::os::fd::BorrowedFd, min: RawFd) -> Result<std::os::fd::OwnedFd, Errno> {
    use std::os::fd::{AsRawFd, FromRawFd};
    let new = nix::fcntl::fcntl(fd.as_raw_fd(), nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(min))?;
    // SAFETY: `new` was just created by fcntl and is owned by nothing else.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(new) })
}

/// Bytes written to the pipe `fd` and not yet read (FIONREAD).
pub fn pipe_unread(fd: std::os::fd::BorrowedFd) -> Result<usize, Errno> {
    use std::os::fd::AsRawFd;
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, which points to
    // a live local; the descriptor is borrowed, so it stays open meanwhile.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n as *mut libc::c_int) };
    if r == -1 {
        return Err(Errno::last());
    }
    Ok(n.max(0) as usize)
}

/// The terminal width of descriptor `fd` (TIOCGWINSZ), if it is a terminal.
pub fn terminal_columns(fd: RawFd) -> Option<usize> {
    let mut ws: libc::winsize = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize through the pointer, which points
    // to a live local; a descriptor that is not a terminal only fails.
    let r = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws as *mut libc::winsize) };
    (r == 0).then_some(ws.ws_col as usize)
}

/// pidfd_open(2): a descriptor that names process `pid` (a child or not) for
/// as long as it is held, even once the pid is reused; readable on exit.
pub fn pidfd_open(pid: i32) -> Result<std::os::fd::OwnedFd, Errno> {
    use std::os::fd::FromRawFd;
    // SAFETY: the syscall takes two integers and touches no memory of ours.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: `fd` was just returned by pidfd_open and is owned by nothing
    // else (pidfd_open sets close-on-exec itself).
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as RawFd) })
}

/// pidfd_send_signal(2): `sig` (None: only check it is alive) to the process
/// `fd` names; ESRCH once it has exited, whatever now holds its pid.
pub fn pidfd_send_signal(fd: std::os::fd::BorrowedFd, sig: Option<Signal>) -> Result<(), Errno> {
    use std::os::fd::AsRawFd;
    let signo = sig.map_or(0, |s| s as libc::c_int);
    // SAFETY: a null siginfo pointer is allowed (the kernel fills in the
    // sender as kill(2) does); the other arguments are integers.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            signo,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if r < 0 {
        return Err(Errno::last());
    }
    Ok(())
}

/// getdents64(2): the directory open as `fd` fills `buf` with its next
/// entries (struct linux_dirent64); 0 at the end.
pub fn getdents(fd: std::os::fd::BorrowedFd, buf: &mut [u8]) -> Result<usize, Errno> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`,
        // which is borrowed mutably for the call; the descriptor is borrowed,
        // so it stays open meanwhile.
        let r = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                fd.as_raw_fd(),
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        match Errno::result(r) {
            Err(Errno::EINTR) => continue,
            r => return r.map(|n| n as usize),
        }
    }
}

/// linux/fcntl.h's `F_SETSIG`, which the libc crate lacks on x86_64.
const F_SETSIG: c_int = 10;

/// dnotify (fcntl F_NOTIFY): SIGIO to this process whenever one of `events`
/// (`DN_*` bits, `DN_MULTISHOT` to keep the watch) happens to an entry of the
/// directory open as `fd`, until this process closes `fd`. Unlike inotify,
/// whose last close waits for an SRCU grace period (10-20 ms measured here,
/// also at exit), closing it costs nothing.
///
/// With `signal` (a real-time signal), F_SETSIG first: each change then
/// queues that signal with `fd` in its siginfo (`ssi_fd`), naming the
/// directory; if the queue is full the kernel sends a plain SIGIO instead.
pub fn notify_dir(
    fd: std::os::fd::BorrowedFd,
    events: u32,
    signal: Option<c_int>,
) -> Result<(), Errno> {
    use std::os::fd::AsRawFd;
    if let Some(sig) = signal {
        // SAFETY: F_SETSIG takes an integer argument and touches no memory
        // of ours; the descriptor is borrowed, so it stays open meanwhile.
        let r = unsafe { libc::fcntl(fd.as_raw_fd(), F_SETSIG, sig) };
        if r == -1 {
            return Err(Errno::last());
        }
    }
    // SAFETY: as above, for F_NOTIFY.
    let r = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_NOTIFY, events as libc::c_int) };
    if r == -1 {
        return Err(Errno::last());
    }
    Ok(())
}

/// `set` with the signal number `signo` added: nix's `Signal` has no
/// real-time signals.
pub fn sigset_with(set: nix::sys::signal::SigSet, signo: c_int) -> nix::sys::signal::SigSet {
    let mut raw: libc::sigset_t = *set.as_ref();
    // SAFETY: `raw` is an initialized sigset_t that sigaddset only writes
    // within (an out-of-range number is refused with EINVAL, nothing
    // written); the result is a set the kernel accepts as any other.
    unsafe {
        libc::sigaddset(&mut raw, signo);
        nix::sys::signal::SigSet::from_sigset_t_unchecked(raw)
    }
}

/// Starts writeback of `len` bytes of `file` from `offset` and returns at
/// once (`sync_file_range` with `SYNC_FILE_RANGE_WRITE`): a hint that makes a
/// later fsync shorter, never a durability guarantee.
pub fn start_writeback(file: &std::fs::File, offset: u64, len: u64) -> Result<(), Errno> {
    use std::os::fd::AsRawFd;
    let off = libc::off64_t::try_from(offset).map_err(|_| Errno::EOVERFLOW)?;
    let n = libc::off64_t::try_from(len).map_err(|_| Errno::EOVERFLOW)?;
    // SAFETY: sync_file_range takes a descriptor, which `file` keeps open for
    // the call, and plain integers; no memory is passed.
    let r = unsafe { libc::sync_file_range(file.as_raw_fd(), off, n, libc::SYNC_FILE_RANGE_WRITE) };
    Errno::result(r).map(drop)
}

/// Local civil time of `secs` since the Unix epoch, as the C library sees
/// it (TZ, else /etc/localtime, else UTC; read once, at the first call):
/// `(year, month, day, hour, minute, second, offset east of UTC in seconds)`.
pub fn local_time(secs: i64) -> Option<(i64, u32, u32, u32, u32, u32, i64)> {
    // time_t is i64 on the targets we build (x86-64 glibc and musl); naming
    // `libc::time_t` is deprecated on musl.
    let t: i64 = secs;
    // SAFETY: an all-zero `tm` is a valid value of this plain C struct (its
    // `tm_zone` pointer is null), and localtime_r only writes into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals for the duration of the call;
    // localtime_r is the reentrant form (it keeps no pointer to either).
    let r = unsafe { libc::localtime_r(&t, &mut tm) };
    if r.is_null() {
        return None;
    }
    let field = |v: c_int| u32::try_from(v).ok();
    Some((
        i64::from(tm.tm_year) + 1900,
        field(tm.tm_mon + 1)?,
        field(tm.tm_mday)?,
        field(tm.tm_hour)?,
        field(tm.tm_min)?,
        field(tm.tm_sec)?,
        tm.tm_gmtoff,
    ))
}

#[cfg(test)]
mod memchr_tests {
    use super::memchr;

    #[test]
    fn finds_the_first_match_at_every_position() {
        for len in 0..70 {
            for at in 0..=len {
                let mut hay = vec![b'x'; len];
                if at < len {
                    hay[at] = b'\n';
                    hay[len - 1] = b'\n';
                }
                let want = hay.iter().position(|&b| b == b'\n');
                assert_eq!(memchr(b'\n', &hay), want, "len {len} at {at}");
            }
        }
        assert_eq!(memchr(0xff, &[0u8, 0xff, 0xff]), Some(1));
    }
}
