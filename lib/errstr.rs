//! runit's own words for errno values. runit never uses strerror(3): its table
//! differs (EPERM is "permission denied", EACCES "access denied") and
//! unknown codes read "unknown error".

use nix::errno::Errno;

/// The text runit prints for `errno`.
pub fn describe(errno: i32) -> &'static str {
    match errno {
        0 => "no error",
        libc::EPERM => "permission denied",
        libc::ENOENT => "file does not exist",
        libc::ESRCH => "no such process",
        libc::EINTR => "interrupted system call",
        libc::EIO => "input/output error",
        libc::ENXIO => "device not configured",
        libc::E2BIG => "argument list too long",
        libc::ENOEXEC => "exec format error",
        libc::EBADF => "file descriptor not open",
        libc::ECHILD => "no child processes",
        libc::EAGAIN => "temporary failure",
        libc::ENOMEM => "out of memory",
        libc::EACCES => "access denied",
        libc::EFAULT => "bad address",
        libc::ENOTBLK => "not a block device",
        libc::EBUSY => "device busy",
        libc::EEXIST => "file already exists",
        libc::EXDEV => "cross-device link",
        libc::ENODEV => "device does not support operation",
        libc::ENOTDIR => "not a directory",
        libc::EISDIR => "is a directory",
        libc::EINVAL => "invalid argument",
        libc::ENFILE => "system cannot open more files",
        libc::EMFILE => "process cannot open more files",
        libc::ENOTTY => "not a tty",
        libc::ETXTBSY => "text busy",
        libc::EFBIG => "file too big",
        libc::ENOSPC => "out of disk space",
        libc::ESPIPE => "unseekable descriptor",
        libc::EROFS => "read-only file system",
        libc::EMLINK => "too many links",
        libc::EPIPE => "broken pipe",
        libc::EDOM => "input out of range",
        libc::ERANGE => "output out of range",
        libc::EDEADLK => "operation would cause deadlock",
        libc::ENAMETOOLONG => "file name too long",
        libc::ENOLCK => "no locks available",
        libc::ENOSYS => "system call not available",
        libc::ENOTEMPTY => "directory not empty",
        libc::ELOOP => "symbolic link loop",
        libc::ENOMSG => "no message of desired type",
        libc::EIDRM => "identifier removed",
        libc::ENOSTR => "not a stream device",
        libc::ETIME => "timer expired",
        libc::ENOSR => "out of stream resources",
        libc::ENONET => "machine not on network",
        libc::EREMOTE => "too many levels of remote in path",
        libc::ENOLINK => "link severed",
        libc::EADV => "advertise error",
        libc::ESRMNT => "srmount error",
        libc::ECOMM => "communication error",
        libc::EPROTO => "protocol error",
        libc::EMULTIHOP => "multihop attempted",
        libc::EBADMSG => "bad message type",
        libc::EREMCHG => "remote address changed",
        libc::EUSERS => "too many users",
        libc::ENOTSOCK => "not a socket",
        libc::EDESTADDRREQ => "destination address required",
        libc::EMSGSIZE => "message too long",
        libc::EPROTOTYPE => "incorrect protocol type",
        libc::ENOPROTOOPT => "protocol not available",
        libc::EPROTONOSUPPORT => "protocol not supported",
        libc::ESOCKTNOSUPPORT => "socket type not supported",
        libc::EOPNOTSUPP => "operation not supported",
        libc::EPFNOSUPPORT => "protocol family not supported",
        libc::EAFNOSUPPORT => "address family not supported",
        libc::EADDRINUSE => "address already used",
        libc::EADDRNOTAVAIL => "address not available",
        libc::ENETDOWN => "network down",
        libc::ENETUNREACH => "network unreachable",
        libc::ENETRESET => "network reset",
        libc::ECONNABORTED => "connection aborted",
        libc::ECONNRESET => "connection reset",
        libc::ENOBUFS => "out of buffer space",
        libc::EISCONN => "already connected",
        libc::ENOTCONN => "not connected",
        libc::ESHUTDOWN => "socket shut down",
        libc::ETOOMANYREFS => "too many references",
        libc::ETIMEDOUT => "timed out",
        libc::ECONNREFUSED => "connection refused",
        libc::EHOSTDOWN => "host down",
        libc::EHOSTUNREACH => "host unreachable",
        libc::EALREADY => "operation already in progress",
        libc::EINPROGRESS => "operation in progress",
        libc::ESTALE => "stale NFS file handle",
        libc::EDQUOT => "disk quota exceeded",
        _ => "unknown error",
    }
}

/// The text runit prints for a nix error.
pub fn of(errno: Errno) -> &'static str {
    describe(errno as i32)
}

/// The errno of a std I/O error (0, "no error", when it has none).
pub fn errno(err: &std::io::Error) -> Errno {
    Errno::from_raw(err.raw_os_error().unwrap_or(0))
}

/// The text runit prints for a std I/O error (errno when there is one).
pub fn of_io(err: &std::io::Error) -> &'static str {
    of(errno(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_easy_to_confuse_entries() {
        assert_eq!(describe(libc::EPERM), "permission denied");
        assert_eq!(describe(libc::EACCES), "access denied");
        assert_eq!(describe(libc::ENXIO), "device not configured");
        assert_eq!(describe(libc::EAGAIN), "temporary failure");
        assert_eq!(describe(41), "unknown error");
        assert_eq!(describe(9999), "unknown error");
    }
}
