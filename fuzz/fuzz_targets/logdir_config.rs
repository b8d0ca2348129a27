//! svlogd's `config` file: any bytes parse, and what they parse into keeps
//! runit's shape.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runit::logdir::config::parse;

fuzz_target!(|data: &[u8]| {
    let (cfg, warnings) = parse(data);
    let lines = data.split(|&b| b == b'\n').count();
    assert!(cfg.patterns.len() <= lines);
    for p in &cfg.patterns {
        // A pattern is the rest of one line, cut at its first NUL.
        assert!(!p.pattern.contains(&b'\n') && !p.pattern.contains(&0));
    }
    for x in [&cfg.prefix, cfg.processor.as_ref().unwrap_or(&Vec::new())] {
        assert!(!x.contains(&b'\n') && !x.contains(&0));
    }
    if let Some(addr) = cfg.udp {
        assert_ne!(addr.port(), 0);
    }
    // Only `u`/`U` lines warn, one warning at most per line.
    assert!(warnings.len() <= lines);
    for w in &warnings {
        assert!(
            w.starts_with(b"unable to scan ip address: ")
                || w.starts_with(b"unable to scan port number: "),
            "{w:?}"
        );
    }
    // Without `u`/`U` lines there is no UDP and nothing to warn about.
    if !data.contains(&b'u') && !data.contains(&b'U') {
        assert!(cfg.udp.is_none() && !cfg.udp_only && warnings.is_empty());
    }
});
