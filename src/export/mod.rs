//! Exports of a trace for people and tools outside tlsscope: the self-contained HTML report.

pub mod report;
