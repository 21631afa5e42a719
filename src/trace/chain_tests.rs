use super::*;

fn cert(subject: &str, issuer: &str) -> CertInfo {
    CertInfo {
        subject: subject.into(),
        issuer: issuer.into(),
        sha256: format!("fp-{subject}"),
        not_before: "Jan  1 00:00:00 2020 GMT".into(),
        not_after: "Jan  1 00:00:00 2021 GMT".into(),
        ..CertInfo::default()
    }
}

fn failure(depth: u32, code: i32, c: &CertInfo) -> VerifyError {
    VerifyError {
        depth,
        code,
        reason: "openssl words".into(),
        subject: c.subject.clone(),
        sha256: c.sha256.clone(),
    }
}

#[test]
fn missing_intermediate_names_the_issuer_and_its_url() {
    let mut leaf = cert("CN=leaf", "CN=Inter");
    leaf.ca_issuers = vec!["http://ca.example/inter.der".into()];
    let info = ChainInfo {
        host: Some("leaf".into()),
        failure: Some(failure(0, UNABLE_TO_GET_ISSUER_CERT_LOCALLY, &leaf)),
        certs: vec![leaf],
    };
    let f = findings(&info);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].problem, Problem::MissingIntermediate);
    assert_eq!(f[0].cert, Some(0));
    assert!(f[0].text.contains("issued by CN=Inter"), "{}", f[0].text);
    assert!(f[0].text.contains("http://ca.example/inter.der"));
}

#[test]
fn an_issuer_missing_above_the_leaf_is_an_untrusted_root() {
    let leaf = cert("CN=leaf", "CN=Inter");
    let inter = cert("CN=Inter", "CN=Root");
    let info = ChainInfo {
        failure: Some(failure(1, UNABLE_TO_GET_ISSUER_CERT_LOCALLY, &inter)),
        certs: vec![leaf, inter],
        ..ChainInfo::default()
    };
    let f = findings(&info);
    assert_eq!(f[0].problem, Problem::UntrustedRoot);
    assert_eq!(f[0].cert, Some(1));
    assert!(f[0].text.contains("CN=Root"));
}

#[test]
fn host_mismatch_lists_the_sans_else_the_cn() {
    let mut leaf = cert("CN=wrong.example", "CN=CA");
    leaf.sans = vec!["a.example".into(), "b.example".into()];
    let mut info = ChainInfo {
        host: Some("localhost".into()),
        failure: Some(failure(0, HOSTNAME_MISMATCH, &leaf)),
        certs: vec![leaf],
    };
    let f = findings(&info);
    assert_eq!(f[0].problem, Problem::HostMismatch);
    assert_eq!(
        f[0].text,
        "certificate 0 (CN=wrong.example) is valid for: a.example, b.example — not for localhost"
    );
    info.certs[0].sans.clear();
    let f = findings(&info);
    assert!(
        f[0].text.contains("valid for: wrong.example —"),
        "{}",
        f[0].text
    );
}

#[test]
fn dates_and_self_signed() {
    let leaf = cert("CN=x", "CN=x");
    let mut info = ChainInfo {
        failure: Some(failure(0, CERT_HAS_EXPIRED, &leaf)),
        certs: vec![leaf.clone()],
        ..ChainInfo::default()
    };
    assert!(findings(&info)[0]
        .text
        .ends_with("expired on Jan  1 00:00:00 2021 GMT"));
    info.failure = Some(failure(0, CERT_NOT_YET_VALID, &leaf));
    assert_eq!(findings(&info)[0].problem, Problem::NotYetValid);
    info.failure = Some(failure(0, DEPTH_ZERO_SELF_SIGNED_CERT, &leaf));
    assert_eq!(findings(&info)[0].problem, Problem::SelfSigned);
    info.failure = Some(failure(0, 999, &leaf));
    assert_eq!(
        findings(&info)[0].text,
        "certificate 0 (CN=x): openssl words"
    );
}

#[test]
fn a_failure_on_a_certificate_from_the_store_has_no_index() {
    let leaf = cert("CN=leaf", "CN=Inter");
    let root = cert("CN=Root", "CN=Root");
    let info = ChainInfo {
        failure: Some(failure(2, CERT_HAS_EXPIRED, &root)),
        certs: vec![leaf],
        ..ChainInfo::default()
    };
    let f = findings(&info);
    assert_eq!(f[0].cert, None);
    assert!(f[0].text.starts_with("the trusted certificate CN=Root"));
}

#[test]
fn wrong_order_is_found_without_a_failure() {
    let leaf = cert("CN=leaf", "CN=Inter");
    let inter = cert("CN=Inter", "CN=Root");
    let root = cert("CN=Root", "CN=Root");
    let good = ChainInfo {
        certs: vec![leaf.clone(), inter.clone(), root.clone()],
        ..ChainInfo::default()
    };
    assert!(findings(&good).is_empty());
    let swapped = ChainInfo {
        certs: vec![leaf.clone(), root, inter],
        ..ChainInfo::default()
    };
    let f = findings(&swapped);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].problem, f[0].cert), (Problem::WrongOrder, Some(1)));
    assert!(
        f[0].text.contains("its issuer is certificate 2"),
        "{}",
        f[0].text
    );
    let unrelated = ChainInfo {
        certs: vec![leaf, cert("CN=Other", "CN=Other")],
        ..ChainInfo::default()
    };
    assert!(findings(&unrelated)[0].text.contains("unrelated"));
    assert_eq!(
        finding_for(&findings(&unrelated), 1).map(|f| f.cert),
        Some(Some(1))
    );
    assert!(finding_for(&findings(&unrelated), 0).is_none());
}

#[test]
fn ocsp_describe() {
    let none = Ocsp {
        status: Ocsp::NONE.into(),
        ..Ocsp::default()
    };
    assert_eq!(none.describe(), "no response stapled");
    let good = Ocsp {
        status: "good".into(),
        this_update: Some("A".into()),
        verified: Some("verified".into()),
        ..Ocsp::default()
    };
    assert_eq!(good.describe(), "good (this update A; verified)");
}
