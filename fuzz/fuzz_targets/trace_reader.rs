//! libFuzzer target: any bytes as a trace file, through the reader, the verdict, the text
//! writer and the app's store (see `tlsscope::trace::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tlsscope::trace::fuzzing::exercise(data);
});
