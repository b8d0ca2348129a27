//! User and group specifications as chpst reads them (doc/runit/chpst.md §4):
//! `user`, `user:group[:group...]` and the numeric `:uid:gid[:gid...]`, plus
//! the plain account lookup of the setuidgid/envuidgid personalities.
//!
//! Lookups go through the C library (getpwnam_r/getgrnam_r via nix), so they
//! read the passwd and group databases of the root the process is in at the
//! time of the call, exactly like runit's getpwnam.

use crate::cli::getopt::scan_ulong;
use nix::errno::Errno;
use nix::unistd::{self, Gid, Group, Uid, User};
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;

/// runit keeps at most this many groups from a specification.
pub const MAX_GROUPS: usize = 60;

/// The credentials a specification stands for. `gids` is never empty: its
/// first element is the primary gid, all of them are the supplementary groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    pub uid: u32,
    pub gids: Vec<u32>,
}

impl Ids {
    /// The primary group (the first one listed).
    pub fn gid(&self) -> u32 {
        self.gids[0]
    }
}

/// Why a specification gives no credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// A `:uid:gid` form that does not parse (runit: `invalid uid/gids`).
    Invalid,
    /// No such user or group (runit: `unknown user/group` / `unknown account`).
    Unknown,
    /// The database could not be read (runit: `unable to get ... entry`).
    System(Errno),
}

/// Parses the numeric form, `text` being what follows the leading colon:
/// `uid:gid[:gid...]`. Empty numbers mean 0; ids are truncated to 32 bits as
/// runit's casts do; at most 60 gids, and a colon after the 60th is allowed.
pub fn parse_numeric(text: &[u8]) -> Option<Ids> {
    let (uid, n) = scan_ulong(text);
    let mut rest = &text[n..];
    if rest.first() != Some(&b':') {
        return None;
    }
    rest = &rest[1..];
    let mut gids = Vec::new();
    while gids.len() < MAX_GROUPS {
        let (gid, n) = scan_ulong(rest);
        gids.push(gid as u32);
        rest = &rest[n..];
        if rest.first() != Some(&b':') {
            break;
        }
        rest = &rest[1..];
    }
    if !rest.is_empty() {
        return None;
    }
    Some(Ids {
        uid: uid as u32,
        gids,
    })
}

/// Resolves a `-u`/`-U` specification: the numeric form, `user` (groups are
/// exactly the user's primary group: no /etc/group membership, as runit), or
/// `user:group[:group...]` (groups by name only; beyond 60 they are ignored).
pub fn lookup_spec(spec: &OsStr) -> Result<Ids, LookupError> {
    let bytes = spec.as_bytes();
    if let Some(numeric) = bytes.strip_prefix(b":") {
        return parse_numeric(numeric).ok_or(LookupError::Invalid);
    }
    let (user, groups) = match bytes.iter().position(|&b| b == b':') {
        Some(i) => (&bytes[..i], Some(&bytes[i + 1..])),
        None => (bytes, None),
    };
    let pw = user_by_name(user)?;
    let gids = match groups {
        None => vec![pw.gid.as_raw()],
        Some(list) => groups_by_name(list)?,
    };
    Ok(Ids {
        uid: pw.uid.as_raw(),
        gids,
    })
}

/// Resolves a bare account name (setuidgid, envuidgid): no groups, no
/// numeric form; the groups are the account's primary group.
pub fn lookup_account(name: &OsStr) -> Result<Ids, LookupError> {
    let pw = user_by_name(name.as_bytes())?;
    Ok(Ids {
        uid: pw.uid.as_raw(),
        gids: vec![pw.gid.as_raw()],
    })
}

/// An account as `initgroups(3)` sees it (setuser): its uid, its primary gid
/// first and then every group of the group database that lists the account,
/// plus its home directory.
pub fn lookup_with_memberships(name: &OsStr) -> Result<(Ids, User), LookupError> {
    let pw = user_by_name(name.as_bytes())?;
    let cname = CString::new(name.as_bytes()).map_err(|_| LookupError::Unknown)?;
    let groups = unistd::getgrouplist(&cname, pw.gid).map_err(LookupError::System)?;
    let mut gids = vec![pw.gid.as_raw()];
    gids.extend(
        groups
            .iter()
            .map(|g| g.as_raw())
            .filter(|&g| g != pw.gid.as_raw()),
    );
    let ids = Ids {
        uid: pw.uid.as_raw(),
        gids,
    };
    Ok((ids, pw))
}

/// Which step of a privilege drop failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropError {
    Groups(Errno),
    Gid(Errno),
    Uid(Errno),
}

/// Drops to `ids`: supplementary groups, then gid, then uid; then checks that
/// exactly these credentials are in place (real, effective and saved), so
/// that the caller never goes on with anything left of the old identity.
/// A check that fails reports the step with EPERM.
pub fn drop_to(ids: &Ids) -> Result<(), DropError> {
    let gids: Vec<Gid> = ids.gids.iter().map(|&g| Gid::from_raw(g)).collect();
    unistd::setgroups(&gids).map_err(DropError::Groups)?;
    unistd::setgid(Gid::from_raw(ids.gid())).map_err(DropError::Gid)?;
    unistd::setuid(Uid::from_raw(ids.uid)).map_err(DropError::Uid)?;
    verify_credentials(ids)
}

fn verify_credentials(ids: &Ids) -> Result<(), DropError> {
    let mut wanted = ids.gids.clone();
    wanted.sort_unstable();
    wanted.dedup();
    let groups_ok = unistd::getgroups().is_ok_and(|g| {
        let mut have: Vec<u32> = g.iter().map(|g| g.as_raw()).collect();
        have.sort_unstable();
        have.dedup();
        have == wanted
    });
    if !groups_ok {
        return Err(DropError::Groups(Errno::EPERM));
    }
    let gid = Gid::from_raw(ids.gid());
    if !unistd::getresgid().is_ok_and(|r| r.real == gid && r.effective == gid && r.saved == gid) {
        return Err(DropError::Gid(Errno::EPERM));
    }
    let uid = Uid::from_raw(ids.uid);
    if !unistd::getresuid().is_ok_and(|r| r.real == uid && r.effective == uid && r.saved == uid) {
        return Err(DropError::Uid(Errno::EPERM));
    }
    Ok(())
}

fn groups_by_name(list: &[u8]) -> Result<Vec<u32>, LookupError> {
    list.split(|&b| b == b':')
        .take(MAX_GROUPS)
        .map(|name| group_by_name(name).map(|g| g.gid.as_raw()))
        .collect()
}

/// A name with a NUL byte cannot be in the database: unknown, like runit,
/// which would only see the part before the NUL anyway (argv has no NULs).
fn user_by_name(name: &[u8]) -> Result<User, LookupError> {
    let name = std::str::from_utf8(name).map_err(|_| LookupError::Unknown)?;
    match User::from_name(name) {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(LookupError::Unknown),
        Err(e) => Err(LookupError::System(e)),
    }
}

fn group_by_name(name: &[u8]) -> Result<Group, LookupError> {
    let name = std::str::from_utf8(name).map_err(|_| LookupError::Unknown)?;
    match Group::from_name(name) {
        Ok(Some(g)) => Ok(g),
        Ok(None) => Err(LookupError::Unknown),
        Err(e) => Err(LookupError::System(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(uid: u32, gids: &[u32]) -> Option<Ids> {
        Some(Ids {
            uid,
            gids: gids.to_vec(),
        })
    }

    #[test]
    fn numeric_forms() {
        assert_eq!(parse_numeric(b"1234:5678:91"), ids(1234, &[5678, 91]));
        assert_eq!(parse_numeric(b"1234:"), ids(1234, &[0]));
        assert_eq!(parse_numeric(b":"), ids(0, &[0]));
        assert_eq!(parse_numeric(b"1:2:"), ids(1, &[2, 0]));
        assert_eq!(parse_numeric(b"4294967297:1"), ids(1, &[1]));
    }

    #[test]
    fn numeric_errors() {
        for bad in [&b""[..], b"1234", b"abc:1", b"1:2:3abc", b"1:x", b" 1:2"] {
            assert_eq!(parse_numeric(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn at_most_sixty_gids() {
        let sixty = "1:".repeat(60);
        let with_trailing_colon = format!("1:{sixty}");
        assert_eq!(
            parse_numeric(with_trailing_colon.as_bytes()).map(|i| i.gids.len()),
            Some(60)
        );
        let exactly = format!("1:{}", &sixty[..sixty.len() - 1]);
        assert_eq!(
            parse_numeric(exactly.as_bytes()).map(|i| i.gids.len()),
            Some(60)
        );
        let too_many = format!("1:{sixty}1");
        assert_eq!(parse_numeric(too_many.as_bytes()), None);
    }

    #[test]
    fn names_from_the_system_databases() {
        // nobody and daemon exist on every Debian system.
        let nobody = lookup_spec(OsStr::new("nobody")).unwrap();
        assert_eq!(nobody.uid, 65534);
        assert_eq!(nobody.gids.len(), 1);
        let with_groups = lookup_spec(OsStr::new("nobody:daemon:bin")).unwrap();
        assert_eq!(
            with_groups,
            Ids {
                uid: 65534,
                gids: vec![1, 2]
            }
        );
        assert_eq!(lookup_account(OsStr::new("daemon")).unwrap().uid, 1);
    }

    #[test]
    fn memberships_start_with_the_primary_group() {
        let (ids, pw) = lookup_with_memberships(OsStr::new("nobody")).unwrap();
        assert_eq!((ids.uid, ids.gids[0]), (65534, pw.gid.as_raw()));
        assert!(matches!(
            lookup_with_memberships(OsStr::new("no-such-user-xyz")),
            Err(LookupError::Unknown)
        ));
    }

    #[test]
    fn names_that_are_not_there() {
        for bad in [
            "65534",
            "nobody:",
            "nobody:65534",
            "nobody::daemon",
            "",
            "no-such-user-xyz",
        ] {
            assert_eq!(
                lookup_spec(OsStr::new(bad)),
                Err(LookupError::Unknown),
                "{bad}"
            );
        }
        assert_eq!(lookup_spec(OsStr::new(":1")), Err(LookupError::Invalid));
        assert_eq!(
            lookup_account(OsStr::new(":12:34")),
            Err(LookupError::Unknown)
        );
    }

    #[test]
    fn groups_beyond_sixty_are_ignored() {
        let spec = format!("nobody:{}no-such-group", "daemon:".repeat(60));
        assert_eq!(lookup_spec(OsStr::new(&spec)).map(|i| i.gids.len()), Ok(60));
    }
}
