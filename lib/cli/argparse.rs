//! Python argparse's command-line rules (CPython 3.11), for programs whose
//! reference is a Python script (my_init). Only what such a parser needs:
//! flags and one-value options (long, optionally short), `-h/--help`, and one
//! `nargs='*'` positional. Reproduced by hand, not with a general parser,
//! because the quirks are the contract:
//! - every word is classified first (option, positional, or `--` after which
//!   all are positional); an ambiguous prefix is an error at that point,
//!   before any option takes effect (`-h --sk` is an error, not help);
//! - unique prefixes of long options are accepted (`--skip-r`), `--opt=value`
//!   splits at the first `=`, `-5` and words with a space are positionals;
//! - the positional takes one contiguous run of words; words after a later
//!   option are "unrecognized arguments"; the first `--` of the run is dropped;
//! - `-h` prints help at once when reached, even if errors would follow.
//!
//! Usage and help are wrapped as argparse wraps them for its width (COLUMNS,
//! else the terminal on standard output, else 80; checked against CPython
//! 3.11 from 1 to 200 columns). Options without help text are accepted but
//! hidden from usage and help (argparse's SUPPRESS).

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// One option. `-h/--help` is implicit and comes first.
pub struct Opt {
    pub long: &'static str,
    pub short: Option<&'static str>,
    /// Takes one value (`--opt VALUE` or `--opt=VALUE`).
    pub value: bool,
    /// None: hidden from usage and help.
    pub help: Option<&'static str>,
}

/// A parser: description, the positional's metavar and help, the options.
pub struct Spec {
    pub description: &'static str,
    pub metavar: &'static str,
    pub positional_help: &'static str,
    pub options: &'static [Opt],
}

/// The result of parsing.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Options in the order taken (index into `Spec::options`, value), and
    /// the positional's words.
    Args {
        options: Vec<(usize, Option<OsString>)>,
        positionals: Vec<OsString>,
    },
    /// `-h`: this text goes to stdout, exit 0.
    Help(Vec<u8>),
    /// This text goes to stderr, exit 2.
    Error(Vec<u8>),
}

/// Help's index among option strings: options are numbered from 1.
const HELP: usize = 0;
/// argparse's width when nothing says otherwise: 80 columns minus 2.
const WIDTH: usize = 78;

/// argparse's width: `shutil.get_terminal_size().columns - 2`, that is
/// COLUMNS when it is a positive number, else the width of the terminal on
/// standard output, else 80.
pub fn width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<i64>().ok())
        .filter(|&c| c > 0)
        .map(|c| c as usize)
        .or_else(|| crate::sys::terminal_columns(1).filter(|&c| c > 0))
        .unwrap_or(80);
    columns.saturating_sub(2)
}

#[derive(Clone, Debug)]
struct Found {
    /// 0 for help, i + 1 for `options[i]`; None for an unknown option.
    action: Option<usize>,
    string: String,
    explicit: Option<Vec<u8>>,
}

enum Class {
    Positional,
    Option(Found),
}

impl Spec {
    /// Every option string in argparse's registration order, with its action.
    fn strings(&self) -> Vec<(&'static str, usize)> {
        let mut v = vec![("-h", HELP), ("--help", HELP)];
        for (i, o) in self.options.iter().enumerate() {
            if let Some(s) = o.short {
                v.push((s, i + 1));
            }
            v.push((o.long, i + 1));
        }
        v
    }

    fn lookup(&self, s: &[u8]) -> Option<usize> {
        self.strings()
            .into_iter()
            .find(|(o, _)| o.as_bytes() == s)
            .map(|(_, a)| a)
    }

    /// argparse's name of an action in messages: its strings joined by `/`.
    fn action_name(&self, action: usize) -> String {
        if action == HELP {
            return "-h/--help".into();
        }
        let o = &self.options[action - 1];
        match o.short {
            Some(s) => format!("{}/{}", s, o.long),
            None => o.long.to_string(),
        }
    }

    fn visible(&self, action: usize) -> bool {
        action == HELP || self.options[action - 1].help.is_some()
    }

    fn takes_value(&self, action: usize) -> bool {
        action != HELP && self.options[action - 1].value
    }

    /// `_parse_optional`: Ok(Positional), Ok(Option) or the ambiguity error.
    fn classify(&self, arg: &[u8]) -> Result<Class, String> {
        if arg.is_empty() || arg[0] != b'-' {
            return Ok(Class::Positional);
        }
        if let Some(a) = self.lookup(arg) {
            return Ok(found(Some(a), arg, None));
        }
        if arg.len() == 1 {
            return Ok(Class::Positional);
        }
        if let Some(eq) = arg.iter().position(|&b| b == b'=') {
            if let Some(a) = self.lookup(&arg[..eq]) {
                return Ok(found(Some(a), &arg[..eq], Some(&arg[eq + 1..])));
            }
        }
        let tuples = self.option_tuples(arg);
        if tuples.len() > 1 {
            // Hidden options are named only when the visible ones alone are
            // not ambiguous: the message stays the one without them.
            let visible: Vec<&str> = tuples
                .iter()
                .filter(|t| t.action.is_some_and(|a| self.visible(a)))
                .map(|t| t.string.as_str())
                .collect();
            let names: Vec<&str> = if visible.len() > 1 {
                visible
            } else {
                tuples.iter().map(|t| t.string.as_str()).collect()
            };
            return Err(format!(
                "ambiguous option: {} could match {}",
                py_str(arg),
                names.join(", ")
            ));
        }
        if let Some(t) = tuples.into_iter().next() {
            return Ok(Class::Option(t));
        }
        if negative_number(arg) || arg.contains(&b' ') {
            return Ok(Class::Positional);
        }
        Ok(found(None, arg, None))
    }

    /// `_get_option_tuples`: the prefix matches of `arg`.
    fn option_tuples(&self, arg: &[u8]) -> Vec<Found> {
        let mut out = Vec::new();
        if arg[1] == b'-' {
            let (prefix, explicit) = match arg.iter().position(|&b| b == b'=') {
                Some(eq) => (&arg[..eq], Some(arg[eq + 1..].to_vec())),
                None => (arg, None),
            };
            for (s, a) in self.strings() {
                if s.as_bytes().starts_with(prefix) {
                    out.push(Found {
                        action: Some(a),
                        string: s.into(),
                        explicit: explicit.clone(),
                    });
                }
            }
        } else {
            let short = &arg[..2];
            for (s, a) in self.strings() {
                if s.as_bytes() == short {
                    out.push(Found {
                        action: Some(a),
                        string: s.into(),
                        explicit: Some(arg[2..].to_vec()),
                    });
                } else if s.as_bytes().starts_with(arg) {
                    out.push(Found {
                        action: Some(a),
                        string: s.into(),
                        explicit: None,
                    });
                }
            }
        }
        out
    }

    /// Parses `args` (without `argv[0]`); `prog` is the basename of `argv[0]`.
    pub fn parse(&self, prog: &[u8], args: &[OsString]) -> Parsed {
        match self.parse_inner(prog, args) {
            Ok(p) => p,
            Err(msg) => {
                let mut out = self.usage_at(prog, width());
                out.extend_from_slice(prog);
                out.extend_from_slice(b": error: ");
                out.extend_from_slice(msg.as_bytes());
                out.push(b'\n');
                Parsed::Error(out)
            }
        }
    }

    fn parse_inner(&self, prog: &[u8], args: &[OsString]) -> Result<Parsed, String> {
        let words: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        // Pass 1: classify every word.
        let mut pattern = Vec::with_capacity(words.len());
        let mut found: Vec<Option<Found>> = vec![None; words.len()];
        let mut i = 0;
        while i < words.len() {
            if words[i] == b"--" {
                pattern.push(b'-');
                pattern.extend(std::iter::repeat_n(b'A', words.len() - i - 1));
                break;
            }
            match self.classify(words[i])? {
                Class::Positional => pattern.push(b'A'),
                Class::Option(f) => {
                    pattern.push(b'O');
                    found[i] = Some(f);
                }
            }
            i += 1;
        }
        // Pass 2: consume.
        let mut st = State {
            options: Vec::new(),
            positionals: None,
            extras: Vec::new(),
        };
        let max_option = pattern.iter().rposition(|&p| p == b'O');
        let mut start = 0;
        if let Some(max_option) = max_option {
            while start <= max_option {
                let next = (start..pattern.len())
                    .find(|&j| pattern[j] == b'O')
                    .unwrap_or(pattern.len());
                if start != next {
                    let end = st.consume_positionals(&pattern, &words, start);
                    if end > start {
                        start = end;
                        continue;
                    }
                }
                if pattern.get(start) != Some(&b'O') {
                    st.extras
                        .extend(words[start..next].iter().map(|w| w.to_vec()));
                    start = next;
                }
                let f = found[start].clone().unwrap_or(Found {
                    action: None,
                    string: String::new(),
                    explicit: None,
                });
                match self.consume_optional(&mut st, &pattern, &words, start, f)? {
                    Step::Next(n) => start = n,
                    Step::Help => return Ok(Parsed::Help(self.help_at(prog, width()))),
                }
            }
        }
        let stop = st.consume_positionals(&pattern, &words, start);
        st.extras
            .extend(words[stop.min(words.len())..].iter().map(|w| w.to_vec()));
        if !st.extras.is_empty() {
            let shown: Vec<String> = st.extras.iter().map(|e| py_str(e)).collect();
            return Err(format!("unrecognized arguments: {}", shown.join(" ")));
        }
        Ok(Parsed::Args {
            options: st.options,
            positionals: st.positionals.unwrap_or_default(),
        })
    }

    /// `consume_optional`: the option at `start`, and any flags clustered
    /// into the rest of a single-dash word.
    fn consume_optional(
        &self,
        st: &mut State,
        pattern: &[u8],
        words: &[&[u8]],
        start: usize,
        f: Found,
    ) -> Result<Step, String> {
        let Some(mut action) = f.action else {
            st.extras.push(words[start].to_vec());
            return Ok(Step::Next(start + 1));
        };
        let mut string = f.string;
        let mut explicit = f.explicit;
        let mut taken: Vec<(usize, Option<OsString>)> = Vec::new();
        let stop;
        loop {
            match explicit {
                Some(e) => {
                    if self.takes_value(action) {
                        taken.push((
                            action,
                            Some(OsString::from(std::ffi::OsStr::from_bytes(&e))),
                        ));
                        stop = start + 1;
                        break;
                    }
                    let ignored = || {
                        format!(
                            "argument {}: ignored explicit argument {}",
                            self.action_name(action),
                            py_repr(&e)
                        )
                    };
                    if string.as_bytes()[1] == b'-' || e.is_empty() {
                        return Err(ignored());
                    }
                    taken.push((action, None));
                    let first = first_char_len(&e);
                    let mut next = b"-".to_vec();
                    next.extend_from_slice(&e[..first]);
                    match self.lookup(&next) {
                        Some(a) => {
                            action = a;
                            string = String::from_utf8_lossy(&next).into_owned();
                            explicit = (e.len() > first).then(|| e[first..].to_vec());
                        }
                        None => return Err(ignored()),
                    }
                }
                None => {
                    if self.takes_value(action) {
                        if pattern.get(start + 1) != Some(&b'A') {
                            return Err(format!(
                                "argument {}: expected one argument",
                                self.action_name(action)
                            ));
                        }
                        taken.push((
                            action,
                            Some(OsString::from(std::ffi::OsStr::from_bytes(
                                words[start + 1],
                            ))),
                        ));
                        stop = start + 2;
                    } else {
                        taken.push((action, None));
                        stop = start + 1;
                    }
                    break;
                }
            }
        }
        for (a, v) in taken {
            if a == HELP {
                return Ok(Step::Help);
            }
            st.options.push((a - 1, v));
        }
        Ok(Step::Next(stop))
    }

    /// `usage: ...` wrapped as argparse wraps it, ending with a newline.
    pub fn usage(&self, prog: &[u8]) -> Vec<u8> {
        self.usage_at(prog, WIDTH)
    }

    /// [`Spec::usage`] for a given argparse width.
    pub fn usage_at(&self, prog: &[u8], width: usize) -> Vec<u8> {
        let prefix = "usage: ";
        let prog_s = String::from_utf8_lossy(prog).into_owned();
        let mut opt_parts = vec!["[-h]".to_string()];
        for o in self.options.iter().filter(|o| o.help.is_some()) {
            let s = o.short.unwrap_or(o.long);
            if o.value {
                opt_parts.push(format!("[{} {}]", s, metavar_of(o.long)));
            } else {
                opt_parts.push(format!("[{}]", s));
            }
        }
        let pos_parts = vec![format!("[{} ...]", self.metavar)];
        let all: Vec<String> = std::iter::once(prog_s.clone())
            .chain(opt_parts.iter().cloned())
            .chain(pos_parts.iter().cloned())
            .collect();
        let full = all.join(" ");
        let text_width = width;
        let body = if chars(prefix) + chars(&full) <= text_width {
            full
        } else if (chars(prefix) + chars(&prog_s)) as f64 <= 0.75 * text_width as f64 {
            let indent = " ".repeat(chars(prefix) + chars(&prog_s) + 1);
            let mut first = vec![prog_s.clone()];
            first.extend(opt_parts);
            let mut lines = wrap_parts(&first, &indent, Some(prefix), text_width);
            lines.extend(wrap_parts(&pos_parts, &indent, None, text_width));
            lines.join("\n")
        } else {
            let indent = " ".repeat(chars(prefix));
            let mut parts = opt_parts.clone();
            parts.extend(pos_parts.iter().cloned());
            let mut lines = wrap_parts(&parts, &indent, None, text_width);
            if lines.len() > 1 {
                lines = wrap_parts(&opt_parts, &indent, None, text_width);
                lines.extend(wrap_parts(&pos_parts, &indent, None, text_width));
            }
            let mut v = vec![prog_s.clone()];
            v.extend(lines);
            v.join("\n")
        };
        // Raw prog bytes where the text has it (it may not be UTF-8).
        let mut out = prefix.as_bytes().to_vec();
        if body.starts_with(&prog_s) {
            out.extend_from_slice(prog);
            out.extend_from_slice(&body.as_bytes()[prog_s.len()..]);
        } else {
            out.extend_from_slice(body.as_bytes());
        }
        out.push(b'\n');
        out
    }

    /// The full `--help` text.
    pub fn help(&self, prog: &[u8]) -> Vec<u8> {
        self.help_at(prog, WIDTH)
    }

    /// [`Spec::help`] for a given argparse width.
    pub fn help_at(&self, prog: &[u8], width: usize) -> Vec<u8> {
        let mut rows: Vec<(String, &str)> = vec![(self.metavar.to_string(), self.positional_help)];
        rows.push(("-h, --help".into(), "show this help message and exit"));
        for o in self.options {
            if let Some(h) = o.help {
                let mut inv = match o.short {
                    Some(s) => format!("{}, {}", s, o.long),
                    None => o.long.to_string(),
                };
                if o.value {
                    inv = format!("{} {}", inv, metavar_of(o.long));
                }
                rows.push((inv, h));
            }
        }
        let longest = rows.iter().map(|(i, _)| chars(i) + 2).max().unwrap_or(0);
        let max_help_position = 24.min((width as isize - 20).max(4) as usize);
        let help_position = (longest + 2).min(max_help_position);
        let help_width = (width as isize - help_position as isize).max(11) as usize;
        let action_width = help_position as isize - 4;
        let row = |inv: &str, help: &str| -> String {
            let lines = wrap_text(help, help_width);
            let mut out;
            if chars(inv) as isize <= action_width {
                out = format!("  {:<w$}  ", inv, w = action_width.max(0) as usize);
            } else {
                out = format!("  {}\n{}", inv, " ".repeat(help_position));
            }
            for (i, l) in lines.iter().enumerate() {
                if i > 0 {
                    out.push_str(&" ".repeat(help_position));
                }
                out.push_str(l);
                out.push('\n');
            }
            out
        };
        let mut out = self.usage_at(prog, width);
        out.push(b'\n');
        let text_width = width.max(11);
        out.extend_from_slice(
            wrap_text(self.description, text_width)
                .join("\n")
                .as_bytes(),
        );
        out.extend_from_slice(b"\n\npositional arguments:\n");
        out.extend_from_slice(row(&rows[0].0, rows[0].1).as_bytes());
        out.extend_from_slice(b"\noptions:\n");
        for (inv, h) in &rows[1..] {
            out.extend_from_slice(row(inv, h).as_bytes());
        }
        out
    }
}

/// Python's `textwrap.wrap(text, width)` for text without hyphens: words
/// filled greedily; a word longer than a whole line fills the rest of the
/// current line and goes on over the next ones.
fn wrap_text(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut words: Vec<Vec<char>> = text
        .split_whitespace()
        .map(|w| w.chars().collect())
        .collect();
    words.reverse();
    let mut lines = Vec::new();
    while !words.is_empty() {
        let mut line: Vec<char> = Vec::new();
        while let Some(w) = words.last() {
            let need = if line.is_empty() {
                w.len()
            } else {
                line.len() + 1 + w.len()
            };
            if need <= width {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.extend(words.pop().unwrap_or_default());
            } else {
                break;
            }
        }
        if let Some(w) = words.last_mut() {
            // textwrap: the space before the word must fit first; then as
            // much of the word as is left room for (possibly nothing).
            let space = if line.is_empty() {
                Some(width)
            } else {
                (line.len() < width).then(|| width - line.len() - 1)
            };
            if let Some(space) = space.filter(|_| w.len() > width) {
                if !line.is_empty() {
                    line.push(' ');
                }
                let rest = w.split_off(space.min(w.len()));
                line.extend(std::mem::replace(w, rest));
            }
        }
        let text: String = line.into_iter().collect();
        lines.push(text.trim_end().to_string());
    }
    lines
}

enum Step {
    Next(usize),
    Help,
}

struct State {
    options: Vec<(usize, Option<OsString>)>,
    /// None until the positional has taken its run of words.
    positionals: Option<Vec<OsString>>,
    extras: Vec<Vec<u8>>,
}

impl State {
    /// `consume_positionals` for one `nargs='*'` positional: the leading run
    /// of positional words (`--` included), taken once; the first `--` dropped.
    fn consume_positionals(&mut self, pattern: &[u8], words: &[&[u8]], start: usize) -> usize {
        if self.positionals.is_some() {
            return start;
        }
        let n = pattern[start.min(pattern.len())..]
            .iter()
            .take_while(|&&p| p == b'A' || p == b'-')
            .count();
        let mut taken: Vec<OsString> = words[start..start + n]
            .iter()
            .map(|w| OsString::from(std::ffi::OsStr::from_bytes(w)))
            .collect();
        if let Some(k) = taken.iter().position(|w| w.as_bytes() == b"--") {
            taken.remove(k);
        }
        self.positionals = Some(taken);
        start + n
    }
}

fn found(action: Option<usize>, s: &[u8], explicit: Option<&[u8]>) -> Class {
    Class::Option(Found {
        action,
        string: String::from_utf8_lossy(s).into_owned(),
        explicit: explicit.map(|e| e.to_vec()),
    })
}

/// argparse's `^-\d+$|^-\d*\.\d+$` (ASCII digits).
fn negative_number(arg: &[u8]) -> bool {
    let rest = &arg[1..];
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if digits(rest) {
        return true;
    }
    match rest.iter().position(|&b| b == b'.') {
        Some(dot) => rest[..dot].iter().all(u8::is_ascii_digit) && digits(&rest[dot + 1..]),
        None => false,
    }
}

/// argparse's default metavar of an option: its long name upper-cased.
fn metavar_of(long: &str) -> String {
    long.trim_start_matches('-')
        .replace('-', "_")
        .to_uppercase()
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// argparse's `get_lines`.
fn wrap_parts(parts: &[String], indent: &str, prefix: Option<&str>, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line: Vec<&str> = Vec::new();
    let mut len = chars(prefix.unwrap_or(indent)) as isize - 1;
    for p in parts {
        if len + 1 + chars(p) as isize > width as isize && !line.is_empty() {
            lines.push(format!("{}{}", indent, line.join(" ")));
            line.clear();
            len = chars(indent) as isize - 1;
        }
        line.push(p);
        len += chars(p) as isize + 1;
    }
    if !line.is_empty() {
        lines.push(format!("{}{}", indent, line.join(" ")));
    }
    if prefix.is_some() {
        if let Some(first) = lines.first_mut() {
            *first = first[indent.len()..].to_string();
        }
    }
    lines
}

/// Length in bytes of the first character of `b` (1 for an invalid byte).
fn first_char_len(b: &[u8]) -> usize {
    match std::str::from_utf8(&b[..b.len().min(4)]) {
        Ok(s) => s.chars().next().map(char::len_utf8).unwrap_or(1),
        Err(e) if e.valid_up_to() > 0 => {
            let s = std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or("");
            s.chars().next().map(char::len_utf8).unwrap_or(1)
        }
        Err(_) => 1,
    }
}

/// Code points as Python sees bytes decoded with surrogateescape: each byte
/// of an invalid sequence becomes U+DC80..U+DCFF (kept as a u32).
pub fn code_points(b: &[u8]) -> Vec<u32> {
    let mut out = Vec::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.extend(chunk.valid().chars().map(|c| c as u32));
        out.extend(chunk.invalid().iter().map(|&x| 0xdc00 + x as u32));
    }
    out
}

/// Text as Python writes it to stderr (errors='backslashreplace'): invalid
/// bytes as `\udcXX`.
pub fn py_str(b: &[u8]) -> String {
    let mut s = String::new();
    for chunk in b.utf8_chunks() {
        s.push_str(chunk.valid());
        for &x in chunk.invalid() {
            s.push_str(&format!("\\udc{:02x}", x));
        }
    }
    s
}

/// Python's `repr()` of a str (the bytes decoded with surrogateescape).
pub fn py_repr(b: &[u8]) -> String {
    let cps = code_points(b);
    let has_single = cps.contains(&('\'' as u32));
    let has_double = cps.contains(&('"' as u32));
    let quote = if has_single && !has_double { '"' } else { '\'' };
    let mut s = String::new();
    s.push(quote);
    for cp in cps {
        match char::from_u32(cp) {
            Some(c) if c == quote || c == '\\' => {
                s.push('\\');
                s.push(c);
            }
            Some('\t') => s.push_str("\\t"),
            Some('\n') => s.push_str("\\n"),
            Some('\r') => s.push_str("\\r"),
            Some(c) if printable(c) => s.push(c),
            _ if cp < 0x100 => s.push_str(&format!("\\x{:02x}", cp)),
            _ if cp < 0x10000 => s.push_str(&format!("\\u{:04x}", cp)),
            _ => s.push_str(&format!("\\U{:08x}", cp)),
        }
    }
    s.push(quote);
    s
}

/// Python's `str.isprintable` for one character, close enough: controls,
/// NBSP, soft hyphen, format and separator characters, private use are not.
fn printable(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x7f {
        return cp >= 0x20;
    }
    !(cp <= 0xa0
        || cp == 0xad
        || (0x2000..=0x200f).contains(&cp)
        || (0x2028..=0x202f).contains(&cp)
        || (0x205f..=0x206f).contains(&cp)
        || cp == 0x3000
        || cp == 0xfeff
        || (0xe000..=0xf8ff).contains(&cp)
        || (0xfff0..=0xfffb).contains(&cp)
        || cp >= 0xf0000)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTS: &[Opt] = &[
        Opt {
            long: "--alpha",
            short: None,
            value: false,
            help: Some("Alpha"),
        },
        Opt {
            long: "--also",
            short: None,
            value: false,
            help: Some("Also"),
        },
        Opt {
            long: "--value",
            short: None,
            value: true,
            help: None,
        },
    ];
    const SPEC: Spec = Spec {
        description: "Test.",
        metavar: "CMD",
        positional_help: "The command.",
        options: OPTS,
    };

    fn parse(words: &[&str]) -> Parsed {
        let a: Vec<OsString> = words.iter().map(OsString::from).collect();
        SPEC.parse(b"t", &a)
    }

    fn args(words: &[&str]) -> (Vec<usize>, Vec<String>) {
        match parse(words) {
            Parsed::Args {
                options,
                positionals,
            } => (
                options.iter().map(|o| o.0).collect(),
                positionals
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect(),
            ),
            other => panic!("{:?}", other),
        }
    }

    fn error(words: &[&str]) -> String {
        match parse(words) {
            Parsed::Error(e) => {
                let s = String::from_utf8(e).unwrap();
                s.lines().last().unwrap().to_string()
            }
            other => panic!("{:?}", other),
        }
    }

    #[test]
    fn positionals_and_options() {
        assert_eq!(
            args(&["--alpha", "a", "b"]),
            (vec![0], vec!["a".into(), "b".into()])
        );
        assert_eq!(
            args(&["a", "b", "--alpha"]),
            (vec![0], vec!["a".into(), "b".into()])
        );
        assert_eq!(
            args(&["--alp", "--", "a", "--alpha"]).1,
            vec!["a", "--alpha"]
        );
        assert_eq!(
            args(&["a", "--", "b", "--", "c"]).1,
            vec!["a", "b", "--", "c"]
        );
        assert_eq!(args(&["-5", "-x y"]).1, vec!["-5", "-x y"]);
        assert_eq!(args(&["-", ""]).1, vec!["-", ""]);
        assert_eq!(args(&["--"]).1, Vec::<String>::new());
        assert_eq!(args(&["--value", "v", "c"]), (vec![2], vec!["c".into()]));
        assert_eq!(args(&["--va=v=w"]).0, vec![2]);
    }

    #[test]
    fn errors() {
        assert_eq!(
            error(&["a", "--alpha", "b"]),
            "t: error: unrecognized arguments: b"
        );
        assert_eq!(
            error(&["--x", "a", "-y"]),
            "t: error: unrecognized arguments: --x -y"
        );
        assert_eq!(
            error(&["-h", "--al"]),
            "t: error: ambiguous option: --al could match --alpha, --also"
        );
        assert_eq!(
            error(&["--alpha=3"]),
            "t: error: argument --alpha: ignored explicit argument '3'"
        );
        assert_eq!(
            error(&["-hx"]),
            "t: error: argument -h/--help: ignored explicit argument 'x'"
        );
        assert_eq!(
            error(&["--value", "--"]),
            "t: error: argument --value: expected one argument"
        );
        assert_eq!(
            error(&["--alpha=it's"]),
            "t: error: argument --alpha: ignored explicit argument \"it's\""
        );
    }

    #[test]
    fn help_wins_when_reached_first() {
        assert!(matches!(parse(&["-h", "--bogus"]), Parsed::Help(_)));
        assert!(matches!(parse(&["-hh"]), Parsed::Help(_)));
        assert!(matches!(parse(&["--he"]), Parsed::Help(_)));
        assert!(matches!(parse(&["--alpha=1", "-h"]), Parsed::Error(_)));
    }

    #[test]
    fn repr_like_python() {
        assert_eq!(py_repr(b"a\nb\\"), "'a\\nb\\\\'");
        assert_eq!(py_repr(b"\x01\x7f\xff"), "'\\x01\\x7f\\udcff'");
        assert_eq!(py_repr("é".as_bytes()), "'é'");
        assert_eq!(py_repr(b"'\""), "'\\'\"'");
    }
}
