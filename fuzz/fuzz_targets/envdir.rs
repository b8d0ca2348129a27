//! envdir file contents (chpst -e, envdir): what a file's bytes stage, and
//! how staged changes apply to an environment. Reading the directory itself
//! is I/O and is left to the integration tests.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runit::envdir::{apply, stage};

/// runit's reading of one file: the first line, trailing blanks and tabs
/// removed, NULs turned into newlines.
fn value(content: &[u8]) -> Vec<u8> {
    let first = content.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut v = first.to_vec();
    while matches!(v.last(), Some(b' ' | b'\t')) {
        v.pop();
    }
    v.iter().map(|&b| if b == 0 { b'\n' } else { b }).collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 16).min(rest.len());
    let (name, content) = rest.split_at(n);
    // A file name has no `/` and no NUL.
    if name.contains(&b'/') || name.contains(&0) {
        return;
    }
    let mut scratch = content.to_vec();
    let change = stage(name, &mut scratch);
    if content.is_empty() {
        assert_eq!(change, name);
        assert!(scratch.is_empty());
    } else {
        let mut expect = name.to_vec();
        expect.push(b'=');
        expect.extend_from_slice(&value(content));
        assert_eq!(change, expect);
        // What runit's buffer holds afterwards: the value and a NUL.
        assert_eq!(scratch.last(), Some(&0));
        assert_eq!(&scratch[..scratch.len() - 1], &value(content)[..]);
    }
    // A second, missing entry reuses the buffer (runit's quirk): no panic.
    let _ = stage(b"NEXT", &mut scratch);

    // The content as an environment (one entry a line), the name's change
    // applied to it.
    let env: Vec<Vec<u8>> = content
        .split(|&b| b == b'\n')
        .filter(|e| !e.is_empty())
        .map(|e| e.to_vec())
        .collect();
    let after = apply(env.clone(), std::slice::from_ref(&change));
    let split = change.iter().position(|&b| b == b'=');
    let key = &change[..split.unwrap_or(change.len())];
    let has_key = |e: &Vec<u8>| e.len() > key.len() && e.starts_with(key) && e[key.len()] == b'=';
    let before_count = env.iter().filter(|e| has_key(e)).count();
    let after_count = after.iter().filter(|e| has_key(e)).count();
    match split {
        // A set: one entry of that name replaced (or added), the new one last.
        Some(_) => {
            assert_eq!(after.last(), Some(&change));
            assert_eq!(after_count, before_count.max(1));
            assert_eq!(after.len(), env.len() + usize::from(before_count == 0));
        }
        // A removal: one entry of that name gone, if there was one.
        None => assert_eq!(after_count, before_count.saturating_sub(1)),
    }
});
