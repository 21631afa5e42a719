//! Why a program sent no OpenSSL call: what its ELF file says (statically linked, setuid, the
//! TLS library it is linked with, directly or through its libraries), read from the program
//! headers and the dynamic section, the way `ldd` would find it without running anything.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// What the ELF file of a program says.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Binary {
    /// Has no program interpreter: the loader that honours LD_PRELOAD never runs.
    pub(crate) is_static: bool,
    /// Libraries needed, directly or through other libraries (sonames).
    pub(crate) needed: Vec<String>,
}

/// Reads the ELF file at `path`; `None` when it is not a 64-bit little-endian ELF file.
pub(crate) fn read(path: &Path) -> Option<Binary> {
    let first = parse(&std::fs::read(path).ok()?)?;
    let mut all = Binary {
        is_static: first.0,
        needed: Vec::new(),
    };
    let mut queue: VecDeque<String> = first.1.into();
    while let Some(name) = queue.pop_front() {
        if all.needed.contains(&name) || all.needed.len() >= 64 {
            continue;
        }
        if let Some(lib) = find_library(&name) {
            if let Some((_, more)) = std::fs::read(lib).ok().as_deref().and_then(parse) {
                queue.extend(more);
            }
        }
        all.needed.push(name);
    }
    Some(all)
}

fn find_library(soname: &str) -> Option<PathBuf> {
    [
        "/lib/x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu",
        "/lib64",
        "/usr/lib64",
        "/lib",
        "/usr/lib",
        "/usr/local/lib",
    ]
    .iter()
    .map(|d| Path::new(d).join(soname))
    .find(|p| p.is_file())
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(i..i + 8)?.try_into().ok()?))
}

/// (no interpreter, DT_NEEDED names) of one ELF image.
fn parse(b: &[u8]) -> Option<(bool, Vec<String>)> {
    if b.get(..4)? != b"\x7fELF" || b.get(4) != Some(&2) || b.get(5) != Some(&1) {
        return None;
    }
    let phoff = usize::try_from(u64_at(b, 0x20)?).ok()?;
    let phentsize = usize::from(u16_at(b, 0x36)?);
    let phnum = usize::from(u16_at(b, 0x38)?);
    let mut interp = false;
    let mut dynamic = None;
    let mut loads = Vec::new();
    for i in 0..phnum.min(256) {
        let h = phoff.checked_add(i.checked_mul(phentsize)?)?;
        let (kind, offset, vaddr, filesz) = (
            u32_at(b, h)?,
            u64_at(b, h + 8)?,
            u64_at(b, h + 16)?,
            u64_at(b, h + 32)?,
        );
        match kind {
            1 => loads.push((vaddr, offset, filesz)),
            2 => dynamic = Some((offset, filesz)),
            3 => interp = true,
            _ => {}
        }
    }
    let mut needed_offsets = Vec::new();
    let mut strtab = None;
    if let Some((off, size)) = dynamic {
        let (off, size) = (usize::try_from(off).ok()?, usize::try_from(size).ok()?);
        for e in (off..off.saturating_add(size)).step_by(16).take(4096) {
            match (u64_at(b, e), u64_at(b, e + 8)) {
                (Some(0), _) | (None, _) | (_, None) => break,
                (Some(1), Some(v)) => needed_offsets.push(v),
                (Some(5), Some(v)) => strtab = Some(v),
                _ => {}
            }
        }
    }
    let mut needed = Vec::new();
    if let Some(addr) = strtab {
        let file_off = loads
            .iter()
            .find(|(vaddr, _, size)| addr >= *vaddr && addr < vaddr + size)
            .map(|(vaddr, offset, _)| addr - vaddr + offset)?;
        for n in needed_offsets {
            let start = usize::try_from(file_off.checked_add(n)?).ok()?;
            let rest = b.get(start..)?;
            let end = rest.iter().position(|&c| c == 0)?;
            needed.push(String::from_utf8_lossy(&rest[..end]).into_owned());
        }
    }
    Some((!interp, needed))
}

/// The program file a command runs (as the shell would find it on PATH).
pub(crate) fn locate(cmd: &OsStr) -> Option<PathBuf> {
    let p = Path::new(cmd);
    if p.components().count() > 1 {
        return Some(p.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(p))
        .find(|p| p.is_file())
}

/// Why `cmd` probably made no OpenSSL call that reached us; `loaded`: some process of the run
/// loaded the interposer.
pub(crate) fn why_no_calls(cmd: &OsStr, loaded: bool) -> String {
    let name = cmd.to_string_lossy();
    let Some(path) = locate(cmd) else {
        return format!("{name} was not found on PATH");
    };
    if let Ok(meta) = std::fs::metadata(&path) {
        if meta.permissions().mode() & 0o6000 != 0 {
            return format!(
                "{} is setuid or setgid: the loader ignores LD_PRELOAD for it",
                path.display()
            );
        }
    }
    let Some(bin) = read(&path) else {
        return if loaded {
            format!(
                "{} is not an ELF program (a script?): whatever it ran made no OpenSSL call",
                path.display()
            )
        } else {
            format!(
                "{} is not an ELF program, and nothing it ran loaded the interposer",
                path.display()
            )
        };
    };
    if bin.is_static {
        return format!(
            "{} is statically linked: LD_PRELOAD cannot interpose on its TLS library",
            path.display()
        );
    }
    let has = |prefix: &str| bin.needed.iter().any(|n| n.starts_with(prefix));
    let other = [
        ("libgnutls", "GnuTLS"),
        ("libnss3", "NSS"),
        ("libwolfssl", "wolfSSL"),
        ("libmbedtls", "Mbed TLS"),
        ("libboringssl", "BoringSSL"),
    ]
    .iter()
    .find(|(lib, _)| has(lib))
    .map(|(_, what)| *what);
    match (has("libssl"), other) {
        (false, Some(what)) => format!("{} uses {what}, not OpenSSL: tlsscope run sees only OpenSSL's calls", path.display()),
        (true, _) => format!("{} is linked with OpenSSL (libssl) but made no TLS call: it did not connect, or failed before its handshake", path.display()),
        (false, None) if !loaded => format!("{} did not load the interposer", path.display()),
        (false, None) => format!(
            "{} is not linked with libssl: it may use a TLS library built into it (Go's crypto/tls, rustls, a static OpenSSL or BoringSSL), or load OpenSSL later and not have used it",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamic_program_lists_its_libraries_through_its_dependencies() {
        let Some(curl) = locate(OsStr::new("curl")) else {
            eprintln!("skipped: no curl on PATH");
            return;
        };
        let bin = read(&curl).expect("curl is an ELF program");
        assert!(!bin.is_static);
        assert!(
            bin.needed.iter().any(|n| n.starts_with("libcurl")),
            "{:?}",
            bin.needed
        );
        // libssl comes through libcurl.
        assert!(
            bin.needed.iter().any(|n| n.starts_with("libssl")),
            "{:?}",
            bin.needed
        );
    }

    #[test]
    fn not_elf_and_cut_files_are_refused() {
        assert_eq!(parse(b"#!/bin/sh\necho hi\n"), None);
        let sh = std::fs::read("/bin/sh").expect("/bin/sh");
        assert!(parse(&sh).is_some());
        assert_eq!(parse(&sh[..0x30]), None);
    }

    #[test]
    fn a_missing_program_is_said() {
        let why = why_no_calls(OsStr::new("no-such-program-tlsscope"), false);
        assert!(why.contains("not found on PATH"), "{why}");
    }
}
