//! README stays true: its lab table lists exactly the scenarios `tlsscope lab --list` describes,
//! and the test command it gives is the one .ci/run runs.

use std::process::Command;
use tlsscope::lab::Scenario;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

/// Scenario names in the first column of README's "Lab scenarios" table.
fn readme_scenarios() -> Vec<String> {
    let text = readme();
    let section = text
        .split("## Lab scenarios")
        .nth(1)
        .expect("a Lab scenarios section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn readme_lab_table_matches_lab_list() {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(["lab", "--list"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    let expected: Vec<String> = Scenario::ALL.iter().map(|s| s.name().to_string()).collect();
    assert_eq!(
        listed, expected,
        "lab --list names every scenario, in order"
    );
    assert_eq!(
        readme_scenarios(),
        expected,
        "README's lab table lists the same scenarios in the same order"
    );
}

#[test]
fn ci_runs_the_readme_test_command() {
    assert!(readme().contains("```sh\ncargo test\n```"));
    let ci =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).expect(".ci/run");
    assert!(ci.lines().any(|l| l.trim() == "cargo test"));
}

#[test]
fn readme_lists_every_verdict_class() {
    let text = readme();
    let section = text
        .split("## Verdicts")
        .nth(1)
        .expect("a Verdicts section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let listed: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let classes: Vec<&str> = tlsscope::trace::verdict::Class::ALL
        .iter()
        .map(|c| c.name())
        .collect();
    assert_eq!(
        listed, classes,
        "README's verdict table lists every class, in order"
    );
}
