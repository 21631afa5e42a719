//! Usage errors said once and plainly: the argument parser's errors end with a one-line
//! `tlsscope: …` reason like every other error, a mistyped subcommand gets a suggestion instead
//! of being taken for the app's target, the app's targets are checked before a window opens,
//! and no message shows the paths of the source files tlsscope was built from.

use super::CliError;
use std::ffi::OsString;

/// What the app accepts as TARGET, for reasons.
const TARGET_FORMS: &str = "expected HOST:PORT, [IPv6]:PORT or lab:NAME";

/// The subcommand nearest to `word`, if it is near enough to be a typo of it: one edit away
/// (a swapped pair of letters counts as one: `tarce`, `lba`), or two for words of five letters
/// or more.
fn nearest<'a>(word: &str, subcommands: &[&'a str]) -> Option<&'a str> {
    let word = word.to_lowercase();
    subcommands
        .iter()
        .map(|s| (strsim::osa_distance(&word, s), *s))
        .filter(|(d, _)| *d <= 1 || (*d == 2 && word.chars().count() >= 5))
        .min_by_key(|(d, _)| *d)
        .map(|(_, s)| s)
}

/// Checks a target the app was given: `lab:NAME` with a known scenario, or `HOST:PORT` /
/// `[IPv6]:PORT`. A bare word is not a target: when it looks like a subcommand, the reason
/// suggests it.
pub(super) fn check_app_target(text: &str, subcommands: &[&str]) -> Result<(), String> {
    let word = text.trim();
    if !word.contains(':') {
        return Err(match nearest(word, subcommands) {
            Some(s) => format!("unknown subcommand {word:?}: did you mean `tlsscope {s}`?"),
            None => format!(
                "not a target: {word:?}: {TARGET_FORMS} (or a subcommand: {})",
                subcommands.join(", ")
            ),
        });
    }
    if let Some(command) = word.strip_prefix("run:") {
        return crate::runner::split_command(command).map(|_| ());
    }
    match word.strip_prefix("lab:") {
        Some(name) => crate::options::scenario(name).map(|_| ()),
        None => crate::probe::Target::parse(word).map(|_| ()),
    }
}

/// A first argument that is neither an option, a subcommand nor shaped like a target (a bare
/// word such as `tarce`) is refused before the parser sees it: the parser would take it for the
/// app's TARGET, or complain about the word after it.
pub(super) fn check_first_word(args: &[OsString], subcommands: &[&str]) -> Result<(), String> {
    let Some(first) = args.get(1).and_then(|a| a.to_str()) else {
        return Ok(());
    };
    if first.starts_with('-') || first.contains(':') || subcommands.contains(&first) {
        return Ok(());
    }
    check_app_target(first, subcommands)
}

/// The parser's error as one line: its first paragraph joined, and its tip if it gave one
/// ("unexpected argument '--tim' found; tip: a similar argument exists: '--timeout'").
pub(super) fn one_line(rendered: &str) -> String {
    let mut paragraphs = rendered.split("\n\n");
    let first = paragraphs.next().unwrap_or_default();
    let mut line = first
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(rest) = line.strip_prefix("error: ") {
        line = rest.to_string();
    }
    let tip = paragraphs
        .flat_map(str::lines)
        .map(str::trim)
        .find(|l| l.starts_with("tip: "));
    if let Some(tip) = tip {
        line.push_str("; ");
        line.push_str(tip);
    }
    line
}

/// `message` without source locations (`at /path/to/file.rs:123`), which some libraries put in
/// their errors: they say nothing to a user and show where tlsscope was built.
pub(super) fn hide_source_paths(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(" at ") {
        let after = &rest[i + 4..];
        let location = after.find(".rs:").and_then(|end| {
            let digits = after[end + 4..]
                .chars()
                .take_while(char::is_ascii_digit)
                .count();
            (!after[..end].contains(' ') && digits > 0).then_some(end + 4 + digits)
        });
        match location {
            Some(len) => {
                out.push_str(&rest[..i]);
                rest = &after[len..];
            }
            None => {
                out.push_str(&rest[..i + 4]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    if out.contains("DISPLAY") {
        out.push_str(" (no display: `tlsscope trace TARGET` works without one)");
    }
    out
}

/// Checks the app's targets (TARGET and `--compare OTHER`) before a window opens.
pub(super) fn check_app_args(
    gui: &crate::ui::GuiArgs,
    subcommands: &[&str],
) -> Result<(), CliError> {
    let targets = gui.target.iter().chain(gui.compare.iter());
    for target in targets.filter(|t| !t.trim().is_empty()) {
        check_app_target(target, subcommands).map_err(CliError::Usage)?;
    }
    if let Some(command) = &gui.run {
        crate::runner::split_command(command)
            .map_err(|e| CliError::Usage(format!("--run: {e}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBCOMMANDS: [&str; 4] = ["trace", "lab", "bench", "help"];

    #[test]
    fn a_mistyped_subcommand_is_suggested_and_a_bare_word_refused() {
        let check = |t: &str| check_app_target(t, &SUBCOMMANDS);
        assert_eq!(
            check("tarce"),
            Err("unknown subcommand \"tarce\": did you mean `tlsscope trace`?".into())
        );
        assert_eq!(
            check("lba"),
            Err("unknown subcommand \"lba\": did you mean `tlsscope lab`?".into())
        );
        assert_eq!(
            check("bnech"),
            Err("unknown subcommand \"bnech\": did you mean `tlsscope bench`?".into())
        );
        let e = check("frobnicate").unwrap_err();
        assert!(
            e.starts_with("not a target: \"frobnicate\": expected HOST:PORT"),
            "{e}"
        );
        assert!(
            e.ends_with("(or a subcommand: trace, lab, bench, help)"),
            "{e}"
        );
        assert_eq!(check("example.com:443"), Ok(()));
        assert_eq!(check("[::1]:4433"), Ok(()));
        assert_eq!(check("lab:ok"), Ok(()));
        assert!(check("lab:nosuch")
            .unwrap_err()
            .starts_with("unknown lab scenario"));
        assert!(check("example.com:99999")
            .unwrap_err()
            .contains("not a number from 1 to 65535"));
        // A program to run, split as a shell would.
        assert_eq!(check("run: curl -k 'https://127.0.0.1:4433/'"), Ok(()));
        assert!(check("run: curl 'x")
            .unwrap_err()
            .contains("a quote is not closed"));
        assert!(check("run:").unwrap_err().starts_with("no program given"));
    }

    #[test]
    fn only_a_bare_first_word_is_checked_before_parsing() {
        let args = |v: &[&str]| -> Vec<OsString> { v.iter().map(OsString::from).collect() };
        let check = |v: &[&str]| check_first_word(&args(v), &SUBCOMMANDS);
        assert!(check(&["tlsscope", "tarce", "x"]).is_err());
        for fine in [
            &["tlsscope"][..],
            &["tlsscope", "trace", "x"],
            &["tlsscope", "--insecure", "lab:ok"],
            &["tlsscope", "localhost:4433"],
        ] {
            assert_eq!(check(fine), Ok(()), "{fine:?}");
        }
    }

    #[test]
    fn parser_errors_become_one_line() {
        assert_eq!(
            one_line(
                "error: unexpected argument '--tim' found\n\n  tip: a similar argument exists: \
                 '--timeout'\n\nUsage: tlsscope trace --timeout <S> <TARGET>\n\nFor more \
                 information, try '--help'.\n"
            ),
            "unexpected argument '--tim' found; tip: a similar argument exists: '--timeout'"
        );
        assert_eq!(
            one_line(
                "error: the following required arguments were not provided:\n  <TARGET>\n\n\
                 Usage: tlsscope trace <TARGET>\n"
            ),
            "the following required arguments were not provided: <TARGET>"
        );
    }

    #[test]
    fn source_locations_are_hidden() {
        assert_eq!(
            hide_source_paths(
                "cannot open the window: winit EventLoopError: os error at \
                 /root/.cargo/registry/src/x/winit-0.30.13/src/platform_impl/linux/mod.rs:765: \
                 neither WAYLAND_DISPLAY nor WAYLAND_SOCKET nor DISPLAY is set."
            ),
            "cannot open the window: winit EventLoopError: os error: neither WAYLAND_DISPLAY \
             nor WAYLAND_SOCKET nor DISPLAY is set. (no display: `tlsscope trace TARGET` works \
             without one)"
        );
        assert_eq!(
            hide_source_paths("look at this: fine"),
            "look at this: fine"
        );
    }
}
