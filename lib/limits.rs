//! Soft resource limits as chpst and softlimit set them (doc/runit/chpst.md §6).
//!
//! runit keeps each request in a C `long`: -2 means "not requested", -1
//! (softlimit's `=`) means "the hard limit", and numbers that wrapped below
//! -2 are silently not applied either. Only the soft limit ever changes, and a
//! value above the hard limit is clamped to it.

use nix::errno::Errno;
use nix::sys::resource::{getrlimit, setrlimit, Resource};

/// Not requested.
pub const UNSET: i64 = -2;
/// Soft limit := hard limit (softlimit's `=`).
pub const HARD: i64 = -1;

/// The requests, one per resource, in runit's `long` encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub data: i64,
    pub stack: i64,
    pub memlock: i64,
    pub address_space: i64,
    pub nofile: i64,
    pub nproc: i64,
    pub fsize: i64,
    pub core: i64,
    pub rss: i64,
    pub cpu: i64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            data: UNSET,
            stack: UNSET,
            memlock: UNSET,
            address_space: UNSET,
            nofile: UNSET,
            nproc: UNSET,
            fsize: UNSET,
            core: UNSET,
            rss: UNSET,
            cpu: UNSET,
        }
    }
}

/// Which call failed: `unable to getrlimit()` or `unable to setrlimit()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitError {
    Get(Errno),
    Set(Errno),
}

impl Limits {
    /// chpst -m and softlimit -m: the same value for DATA, STACK, MEMLOCK, AS.
    pub fn set_memory(&mut self, value: i64) {
        self.data = value;
        self.stack = value;
        self.memlock = value;
        self.address_space = value;
    }

    /// The requests in the order runit applies them.
    pub fn in_order(&self) -> [(Resource, i64); 10] {
        [
            (Resource::RLIMIT_DATA, self.data),
            (Resource::RLIMIT_STACK, self.stack),
            (Resource::RLIMIT_MEMLOCK, self.memlock),
            (Resource::RLIMIT_AS, self.address_space),
            (Resource::RLIMIT_NOFILE, self.nofile),
            (Resource::RLIMIT_NPROC, self.nproc),
            (Resource::RLIMIT_FSIZE, self.fsize),
            (Resource::RLIMIT_CORE, self.core),
            (Resource::RLIMIT_RSS, self.rss),
            (Resource::RLIMIT_CPU, self.cpu),
        ]
    }

    /// Sets every requested soft limit, stopping at the first failure.
    pub fn apply(&self) -> Result<(), LimitError> {
        for (resource, value) in self.in_order() {
            if is_requested(value) {
                apply_one(resource, value)?;
            }
        }
        Ok(())
    }
}

/// runit applies a limit only when its `long` is -1 or more.
pub fn is_requested(value: i64) -> bool {
    value >= HARD
}

/// The soft limit to set for a request, given the hard limit.
pub fn soft_value(value: i64, hard: u64) -> u64 {
    if value < 0 || value as u64 > hard {
        hard
    } else {
        value as u64
    }
}

/// A number as runit stores it: an unsigned scan cast into a `long`.
pub fn from_scan(value: u64) -> i64 {
    value as i64
}

fn apply_one(resource: Resource, value: i64) -> Result<(), LimitError> {
    let (_, hard) = getrlimit(resource).map_err(LimitError::Get)?;
    setrlimit(resource, soft_value(value, hard), hard).map_err(LimitError::Set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamping() {
        assert_eq!(soft_value(100, 20000), 100);
        assert_eq!(soft_value(99999999, 20000), 20000);
        assert_eq!(soft_value(HARD, 20000), 20000);
        assert_eq!(soft_value(0, 20000), 0);
        assert_eq!(soft_value(5, u64::MAX), 5);
    }

    #[test]
    fn which_values_apply() {
        assert!(!is_requested(UNSET));
        assert!(is_requested(HARD));
        assert!(is_requested(0));
        // Wrapped numbers: u64::MAX is -1 (hard), 2^63 is far below -2.
        assert_eq!(from_scan(u64::MAX), HARD);
        assert!(!is_requested(from_scan(1 << 63)));
        assert!(!is_requested(from_scan(u64::MAX - 1)));
    }

    #[test]
    fn memory_sets_four_and_order_is_runits() {
        let mut l = Limits::default();
        l.set_memory(7);
        l.data = 5;
        let order: Vec<_> = l.in_order().iter().map(|&(r, v)| (r as i32, v)).collect();
        assert_eq!(order[0], (Resource::RLIMIT_DATA as i32, 5));
        assert_eq!(order[1].1, 7);
        assert_eq!(order[2].1, 7);
        assert_eq!(order[3].1, 7);
        assert!(order[4..].iter().all(|&(_, v)| v == UNSET));
        assert_eq!(order[9].0, Resource::RLIMIT_CPU as i32);
    }

    #[test]
    fn nothing_requested_changes_nothing() {
        assert_eq!(Limits::default().apply(), Ok(()));
    }
}
