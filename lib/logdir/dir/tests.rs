//! Rotation as runit does it, on a scratch directory.

use super::*;
use crate::logdir::old::is_old_file;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

fn scratch(name: &str, config: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("logdir-unit-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("config"), config).unwrap();
    d
}

/// Old files' sizes in name order, then current's.
fn sizes(d: &Path) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            let shown = if is_old_file(&n) {
                n[25..].to_string()
            } else {
                n
            };
            (shown, e.metadata().unwrap().len())
        })
        .filter(|(n, _)| n.starts_with('.') || n == "current")
        .collect();
    v.sort();
    v
}

use std::path::Path;

#[test]
fn rotates_within_one_line_of_the_limit() {
    let d = scratch("within", "s100\nn0\n");
    let mut ld = LogDir::new(d.clone(), false, 30);
    assert!(ld.open(Instant::now()));
    for _ in 0..10 {
        ld.put(b"eighteen bytes ...");
        ld.put(b"\n");
    }
    ld.close();
    // 76 bytes = 4 lines: after the 4th, fewer than 30 bytes are left.
    let s = sizes(&d);
    assert_eq!(s.iter().filter(|(n, l)| n == ".s" && *l == 76).count(), 2);
    assert_eq!(s.last(), Some(&("current".to_string(), 38)));
    let mode = std::fs::metadata(d.join("current"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o744);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn cuts_lines_at_the_limit_when_it_is_below_the_line_length() {
    let d = scratch("cut", "s50\nn0\n");
    let mut ld = LogDir::new(d.clone(), false, 1000);
    assert!(ld.open(Instant::now()));
    for _ in 0..6 {
        ld.put(b"twenty-nine bytes of text...");
        ld.put(b"\n");
    }
    ld.close();
    let s = sizes(&d);
    assert_eq!(
        s,
        [
            (".s".to_string(), 50),
            (".s".into(), 50),
            (".s".into(), 50),
            ("current".into(), 24)
        ]
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn unclean_current_becomes_u_and_old_files_are_trimmed() {
    let d = scratch("trim", "n2\ns10\n");
    std::fs::write(d.join("current"), "left by a killed svlogd\n").unwrap();
    std::fs::set_permissions(d.join("current"), std::fs::Permissions::from_mode(0o644)).unwrap();
    for (i, suffix) in ["s", "s", "t"].iter().enumerate() {
        std::fs::write(d.join(format!("@40000000000000000000000{i}.{suffix}")), "x").unwrap();
    }
    let mut ld = LogDir::new(d.clone(), false, 5);
    assert!(ld.open(Instant::now()));
    assert_eq!(ld.size(), 0);
    // The leftover .t is gone; the .u is kept and not counted.
    let names = sizes(&d);
    assert_eq!(names.iter().filter(|(n, _)| n == ".t").count(), 0);
    assert_eq!(names.iter().filter(|(n, _)| n == ".u").count(), 1);
    ld.put(b"0123456789\n");
    ld.put(b"0123456789\n");
    ld.close();
    // Three .s files after two rotations would exceed n2: one per rotation goes.
    let names = sizes(&d);
    assert_eq!(names.iter().filter(|(n, _)| n == ".s").count(), 2);
    let _ = std::fs::remove_dir_all(&d);
}
