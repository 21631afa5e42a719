//! The catalogue's rules: unique names, every text written, every client bounded in time, and
//! every scenario documented in README and exercised by `tests/lab_scenarios/`.

use super::*;

#[test]
fn names_round_trip_and_are_unique() {
    let mut names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
    for s in Scenario::ALL {
        assert_eq!(Scenario::from_name(s.name()), Some(s));
        assert!(
            s.name()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{s}"
        );
        assert!(!s.summary().is_empty(), "{s}");
        assert!(s.explanation().len() > s.summary().len(), "{s}");
        assert!(!s.signature().is_empty(), "{s}");
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), Scenario::ALL.len());
    assert_eq!(
        Scenario::from_name("Bad_Cert_Expired"),
        Some(Scenario::BadCertExpired)
    );
    assert_eq!(Scenario::from_name("nope"), None);
}

#[test]
fn client_specs_trust_the_lab_and_verify() {
    let pki = Pki::shared().unwrap();
    let addr: SocketAddr = "127.0.0.1:4433".parse().unwrap();
    for s in Scenario::ALL {
        let spec = s.client_spec(addr, &pki);
        assert!(spec.verify, "{s}");
        if s == Scenario::SniRequired {
            assert_eq!(spec.sni_name(), None, "{s} sends no server name");
        } else {
            assert_eq!(spec.sni_name(), Some("localhost"), "{s}");
            assert_eq!(spec.verify_name(), "localhost", "{s}");
        }
        assert_eq!(spec.target.port, 4433);
        assert!(spec.ca_pem.is_some());
        assert!(spec.timeout.is_some(), "{s}: every lab connection must end");
    }
    let spec = Scenario::LateTickets.client_spec(addr, &pki);
    assert!(!spec.auto_retry);
    let v6: SocketAddr = "[::1]:4433".parse().unwrap();
    assert_eq!(
        Scenario::Ok.client_spec(v6, &pki).target.to_string(),
        "[::1]:4433"
    );
}

#[test]
fn every_scenario_has_a_test_and_a_readme_row() {
    let tests = [
        include_str!("../../../tests/lab_scenarios/classic.rs"),
        include_str!("../../../tests/lab_scenarios/second_wave.rs"),
    ]
    .concat();
    let readme = include_str!("../../../README.md");
    for s in Scenario::ALL {
        assert!(
            tests.contains(&format!("Scenario::{s:?}")),
            "tests/lab_scenarios/ has no test of Scenario::{s:?}"
        );
        assert!(
            readme.contains(&format!("| `{}` |", s.name())),
            "README's lab table has no row for `{s}`"
        );
    }
}
