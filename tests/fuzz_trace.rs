//! A fuzzer that runs on stable, in CI, for a bounded time: real traces from `fuzz/corpus/trace/`
//! (recorded from the lab; JSONL, and two as binary traces, `*.tlsscope`), mutated with a
//! seeded generator (binary ones byte by byte, most often with their blocks' checksums made
//! right again so the decoder's own checks are reached), through the trace reader, the
//! verdict, the text writer and the app's store (`tlsscope::trace::fuzzing::exercise`, the same
//! function the cargo-fuzz targets in `fuzz/` call).
//!
//! A finding is a panic: the input that caused it is written to `target/fuzz-findings/` and
//! named in the failure, so it can be added to the corpus as a regression case once fixed.
//! `TLSSCOPE_FUZZ_ITERS` and `TLSSCOPE_FUZZ_SEED` run it longer or elsewhere.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tlsscope::trace::fuzzing::exercise;

/// Default work per run: enough to reach the rarely used fields, small enough for CI.
const DEFAULT_ITERS: u64 = 2000;
/// The run stops early after this long, whatever the count (a bound, not an assertion).
const TIME_BUDGET: Duration = Duration::from_secs(30);

/// xorshift64*: a tiny, seedable generator, so a finding can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Values that break careless arithmetic and parsing, put where numbers and names were.
const NASTY: &[&str] = &[
    "0",
    "-1",
    "18446744073709551615",
    "18446744073709551616",
    "4294967295",
    "4294967296",
    "-9223372036854775808",
    "1e308",
    "NaN",
    "null",
    "true",
    "[]",
    "{}",
    "\"\"",
    "\"\\u001b[31mred\\n\"",
    "\"\\ud800\"",
    "\"WANT_READ\"",
    "\"call\"",
    "\"close\"",
    "\"verdict\"",
];

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/trace");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the corpus {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let inputs: Vec<Vec<u8>> = files
        .iter()
        .filter_map(|path| std::fs::read(path).ok())
        .collect();
    assert!(
        inputs.len() >= 5,
        "the corpus in {} is too small",
        dir.display()
    );
    inputs
}

/// Byte offsets of the values in a JSON line (after each `:`), where a nasty value fits.
fn value_spans(line: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < line.len() {
        if line[i] == b':' {
            let start = i + 1;
            let mut end = start;
            let mut in_string = false;
            while end < line.len() {
                match line[end] {
                    b'"' => in_string = !in_string,
                    b',' | b'}' if !in_string => break,
                    _ => {}
                }
                end += 1;
            }
            spans.push((start, end));
            i = end;
        }
        i += 1;
    }
    spans
}

/// (payload start, payload length) of each whole block of a binary trace.
fn blocks(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut at = 12;
    while at + 12 <= bytes.len() {
        let len = u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let (start, len) = (at + 12, len as usize);
        if len == 0 || start + len > bytes.len() {
            break;
        }
        spans.push((start, len));
        at = start + len;
    }
    spans
}

/// Bytes a varint or a tag breaks on.
const NASTY_BYTES: &[u8] = &[0x00, 0x01, 0x1f, 0x20, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xff];

fn mutate_binary(input: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let spans = blocks(&bytes);
        let in_block = |rng: &mut Rng| {
            let (start, len) = spans[rng.below(spans.len())];
            start + rng.below(len)
        };
        match rng.below(7) {
            // Inside an event: a bit flipped, a nasty byte, a byte inserted or removed.
            0 | 1 if !spans.is_empty() => {
                let at = in_block(rng);
                bytes[at] ^= 1 << rng.below(8);
            }
            2 if !spans.is_empty() => {
                let at = in_block(rng);
                bytes[at] = NASTY_BYTES[rng.below(NASTY_BYTES.len())];
            }
            3 if !spans.is_empty() => {
                let at = in_block(rng);
                bytes.insert(at, rng.next() as u8);
            }
            4 if !spans.is_empty() => {
                let at = in_block(rng);
                bytes.remove(at);
            }
            // Anywhere, headers included.
            5 => {
                let at = rng.below(bytes.len());
                bytes[at] ^= 1 << rng.below(8);
            }
            _ => bytes.truncate(rng.below(bytes.len() + 1)),
        }
    }
    // Mostly, the lengths and checksums made right again (a writer's bug, not a damaged
    // file), so the events themselves are decoded.
    if rng.below(4) != 0 {
        let mut at = 12;
        for _ in 0..blocks(input).len() {
            let Some(head) = bytes.get(at..at + 12) else {
                break;
            };
            let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
            let end = (at + 12 + len).min(bytes.len());
            let crc = crc32fast::hash(&bytes[at + 12..end]);
            bytes[at + 8..at + 12].copy_from_slice(&crc.to_le_bytes());
            at = end;
        }
    }
    bytes
}

fn mutate(input: &[u8], rng: &mut Rng) -> Vec<u8> {
    if tlsscope::trace::binary::is_binary(input.first().copied()) && rng.below(8) != 0 {
        return mutate_binary(input, rng);
    }
    let mut lines: Vec<Vec<u8>> = input.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    // Mostly a window of the trace (cheap, and a trace that starts or ends anywhere), sometimes
    // all of it (whole connections, verdicts and closes).
    if rng.below(4) != 0 && lines.len() > 40 {
        let len = 20 + rng.below(120);
        let start = rng.below(lines.len().saturating_sub(len).max(1));
        lines = lines.into_iter().skip(start).take(len).collect();
    }
    for _ in 0..1 + rng.below(4) {
        let n = lines.len();
        let i = rng.below(n);
        match rng.below(8) {
            // Replace one value with a nasty one.
            0 | 1 => {
                let spans = value_spans(&lines[i]);
                if !spans.is_empty() {
                    let (a, b) = spans[rng.below(spans.len())];
                    let nasty = NASTY[rng.below(NASTY.len())].as_bytes();
                    lines[i].splice(a..b, nasty.iter().copied());
                }
            }
            // Flip a bit.
            2 => {
                if !lines[i].is_empty() {
                    let at = rng.below(lines[i].len());
                    lines[i][at] ^= 1 << rng.below(8);
                }
            }
            // Insert a random byte (non-UTF-8 ones included).
            3 => {
                let at = rng.below(lines[i].len() + 1);
                lines[i].insert(at, rng.next() as u8);
            }
            // Cut a line short.
            4 => {
                let at = rng.below(lines[i].len() + 1);
                lines[i].truncate(at);
            }
            // Repeat, drop or move a line: events out of order, twice, or missing.
            5 => {
                let line = lines[i].clone();
                lines.insert(rng.below(n + 1), line);
            }
            6 => {
                lines.remove(i);
                if lines.is_empty() {
                    lines.push(Vec::new());
                }
            }
            // Put a line from elsewhere in the trace on another connection.
            _ => {
                let j = rng.below(n);
                let line = String::from_utf8_lossy(&lines[j])
                    .replace("\"conn\":1", &format!("\"conn\":{}", rng.next() % 5));
                lines[i] = line.into_bytes();
            }
        }
    }
    lines.join(&b'\n')
}

fn save_finding(input: &[u8], seed: u64, iter: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-findings");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("seed{seed}-iter{iter}.jsonl"));
    let _ = std::fs::write(&path, input);
    path
}

#[test]
fn the_reader_and_the_analysis_survive_mutated_traces() {
    let iters = std::env::var("TLSSCOPE_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_ITERS);
    let seed = std::env::var("TLSSCOPE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x7157_5c09e);
    let inputs = corpus();
    // The corpus itself first: every real trace must pass untouched.
    for input in &inputs {
        exercise(input);
    }
    let mut rng = Rng(seed | 1);
    let started = Instant::now();
    let mut done = 0;
    for iter in 0..iters {
        if started.elapsed() > TIME_BUDGET {
            break;
        }
        let base = &inputs[rng.below(inputs.len())];
        let input = mutate(base, &mut rng);
        if catch_unwind(AssertUnwindSafe(|| exercise(&input))).is_err() {
            let path = save_finding(&input, seed, iter);
            panic!(
                "fuzz finding at iteration {iter} (seed {seed}); input saved to {}",
                path.display()
            );
        }
        done += 1;
    }
    println!("fuzzed {done} mutated traces (seed {seed})");
    assert!(done > 0, "no input was fuzzed");
}
