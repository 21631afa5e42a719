//! The table of fields against the parser and the spec: every field is named as the command line
//! names it, has the kind its value has, and reaches the spec from the app's form.

use super::fields::{Field, Kind, FIELDS};
use super::form::Form;
use super::typed::{ConnectOptions, Slot};
use crate::probe::{ConnectSpec, Sni, Target, TlsVersion};
use clap::Args;
use std::time::Duration;

fn clap_command() -> clap::Command {
    ConnectOptions::augment_args(clap::Command::new("options"))
}

#[test]
fn the_table_has_one_row_per_field_in_order() {
    for (i, def) in FIELDS.iter().enumerate() {
        assert_eq!(def.field as usize, i, "{}", def.name);
        assert!(std::ptr::eq(def.field.def(), def));
        assert!(
            !def.label.is_empty() && !def.help.is_empty(),
            "{}",
            def.name
        );
        assert_eq!(def.kind == Kind::Flag, def.hint.is_empty(), "{}", def.name);
    }
}

#[test]
fn names_and_help_are_the_command_lines() {
    let command = clap_command();
    let longs: Vec<_> = command
        .get_arguments()
        .filter_map(|a| a.get_long())
        .collect();
    let names: Vec<_> = FIELDS.iter().map(|d| d.name).collect();
    assert_eq!(longs, names, "one option per field, same names, same order");
    for def in &FIELDS {
        let arg = command
            .get_arguments()
            .find(|a| a.get_long() == Some(def.name))
            .expect("listed above");
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        assert_eq!(help, def.help, "{}", def.name);
        let takes_value = arg.get_action().takes_values();
        assert_eq!(takes_value, def.kind != Kind::Flag, "{}", def.name);
    }
}

#[test]
fn every_slot_has_its_fields_kind() {
    let mut options = ConnectOptions::default();
    for def in &FIELDS {
        let kind = match options.slot(def.field) {
            Slot::Text(_) => Kind::Text,
            Slot::File(_) => Kind::File,
            Slot::Flag(_) => Kind::Flag,
        };
        assert_eq!(kind, def.kind, "{}", def.name);
    }
}

/// A value for each text field that is valid and unlike every other field's.
fn sample(field: Field, dir: &std::path::Path) -> String {
    let file = |name: &str| dir.join(name).display().to_string();
    match field {
        Field::Sni => "sni.example".into(),
        Field::Alpn => "h2,x-alpn".into(),
        Field::TlsMin => "1.2".into(),
        Field::TlsMax => "1.3".into(),
        Field::Ciphers => "ECDHE+AESGCM".into(),
        Field::Ciphersuites => "TLS_AES_128_GCM_SHA256".into(),
        Field::Ca => file("ca.pem"),
        Field::Cert => file("cert.pem"),
        Field::Key => file("key.pem"),
        Field::KeyPass => "pass:sesame".into(),
        Field::Sndbuf => "17K".into(),
        Field::Rcvbuf => "19K".into(),
        Field::ConnectTimeout => "7".into(),
        Field::Timeout => "11".into(),
        Field::HttpGet => "/index.html".into(),
        Field::Send => "ping\\n".into(),
        Field::Upload => "3M".into(),
        Field::ReadFor => "2.5".into(),
        Field::ThenSend => "pong".into(),
        Field::Starttls => "IMAP".into(),
        Field::StarttlsHost => "mx.example".into(),
        Field::Proxy => "socks5://proxy.example:1080".into(),
        Field::Reconnect => "4".into(),
        Field::SessIn => file("session.pem"),
        Field::SessOut => file("out.pem"),
        // Flags: any text turns them on.
        _ => "on".into(),
    }
}

/// What `field`'s sample (or flag) must have changed in the spec, starting from the defaults.
fn check(field: Field, spec: &ConnectSpec, pems: &Pems) -> bool {
    let w = &spec.workload;
    match field {
        Field::Sni => spec.sni == Sni::Name("sni.example".into()),
        Field::NoSni => spec.sni == Sni::Off,
        Field::Alpn => spec.alpn == ["h2", "x-alpn"],
        Field::TlsMin => spec.tls_min == Some(TlsVersion::Tls12),
        Field::TlsMax => spec.tls_max == Some(TlsVersion::Tls13),
        Field::Ciphers => spec.ciphers.as_deref() == Some("ECDHE+AESGCM"),
        Field::Ciphersuites => spec.ciphersuites.as_deref() == Some("TLS_AES_128_GCM_SHA256"),
        Field::Ca => spec.ca_pem.as_deref() == Some(&pems.ca[..]),
        Field::Cert => spec.client_identity.as_ref().map(|i| &i.chain_pem) == Some(&pems.cert),
        Field::Key => spec.client_identity.as_ref().map(|i| &i.key_pem) == Some(&pems.key),
        // The encrypted key, decrypted: another PEM text of the same key.
        Field::KeyPass => spec.client_identity.as_ref().is_some_and(|i| {
            i.key_pem != pems.key
                && openssl::pkey::PKey::private_key_from_pem(&i.key_pem)
                    .is_ok_and(|k| k.public_eq(&pems.pkey))
        }),
        Field::Insecure => !spec.verify,
        Field::Status => spec.ocsp_status,
        Field::NoAutoRetry => !spec.auto_retry,
        Field::Sndbuf => spec.sndbuf == Some(17 << 10),
        Field::Rcvbuf => spec.rcvbuf == Some(19 << 10),
        Field::Nodelay => spec.nodelay,
        Field::ConnectTimeout => spec.connect_timeout == Duration::from_secs(7),
        Field::Timeout => spec.timeout == Some(Duration::from_secs(11)),
        Field::HttpGet => w.http_get.as_deref() == Some("/index.html"),
        Field::Send => w.send.as_deref() == Some(b"ping\n"),
        Field::Upload => w.upload == Some(3 << 20),
        Field::ReadFor => w.read_for == Some(Duration::from_millis(2500)),
        Field::ThenSend => w.then_send.as_deref() == Some(b"pong"),
        Field::KeyUpdate => spec.key_update,
        Field::Renegotiate => spec.renegotiate,
        Field::Starttls => spec.starttls == Some(crate::probe::Starttls::Imap),
        Field::StarttlsHost => spec.starttls_host.as_deref() == Some("mx.example"),
        Field::Proxy => spec.proxy.as_ref().is_some_and(|p| {
            p.kind == crate::probe::ProxyKind::Socks5 && p.host == "proxy.example" && p.port == 1080
        }),
        Field::Reconnect => spec.session.reconnect == 4,
        Field::SessIn => spec
            .session
            .offer
            .as_ref()
            .is_some_and(|o| o.session.is_some()),
        Field::SessOut => spec
            .session
            .sess_out
            .as_ref()
            .is_some_and(|p| p.ends_with("out.pem")),
    }
}

struct Pems {
    ca: Vec<u8>,
    cert: Vec<u8>,
    key: Vec<u8>,
    pkey: openssl::pkey::PKey<openssl::pkey::Private>,
}

/// Writes a CA, and a client certificate and key (also encrypted with "sesame", as
/// key-enc.pem), to `dir`.
fn write_pems(dir: &std::path::Path) -> Pems {
    let pki = crate::lab::Pki::shared().expect("lab certificates");
    let identity = pki.client_identity();
    let pkey = openssl::pkey::PKey::private_key_from_pem(&identity.key_pem).expect("key");
    let encrypted = pkey
        .private_key_to_pem_pkcs8_passphrase(openssl::symm::Cipher::aes_256_cbc(), b"sesame")
        .expect("encrypt");
    // Text before the PEM block (as in exported bundles) keeps the file's bytes apart from the
    // decrypted key's re-encoding, so the two checks below tell them apart.
    let mut key = b"the lab's client key\n".to_vec();
    key.extend_from_slice(&identity.key_pem);
    let pems = Pems {
        ca: pki.ca_pem(),
        cert: identity.chain_pem,
        key,
        pkey,
    };
    for (name, data) in [
        ("session.pem", &super::session::sample_session_pem()),
        ("ca.pem", &pems.ca),
        ("cert.pem", &pems.cert),
        ("key.pem", &pems.key),
        ("key-enc.pem", &encrypted),
    ] {
        std::fs::write(dir.join(name), data).expect("write");
    }
    pems
}

/// Each field set alone in the app's form (with what it needs: --cert with --key, --then-send
/// with --read-for) reaches the spec, and changes nothing that the other field would not.
#[test]
fn every_field_of_the_form_reaches_the_spec() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let pems = write_pems(dir);
    let target = Target::parse("localhost:4433").expect("target");
    for def in &FIELDS {
        let needs: &[Field] = match def.field {
            Field::Cert => &[Field::Key],
            Field::Key => &[Field::Cert],
            Field::KeyPass => &[Field::Cert, Field::Key],
            Field::ThenSend => &[Field::ReadFor],
            Field::StarttlsHost => &[Field::Starttls],
            _ => &[],
        };
        let mut form = Form::default();
        for &field in std::iter::once(&def.field).chain(needs) {
            form.set(field, &sample(field, dir));
        }
        if def.field == Field::KeyPass {
            form.set(Field::Key, &dir.join("key-enc.pem").display().to_string());
        }
        let options = form.to_options();
        assert_eq!(
            Form::from_options(&options).to_options(),
            options,
            "{}",
            def.name
        );
        let mut spec = ConnectSpec::new(target.clone());
        options
            .apply(&mut spec)
            .unwrap_or_else(|e| panic!("{}: {e}", def.name));
        assert!(check(def.field, &spec, &pems), "{}: {spec:?}", def.name);
        let defaults = ConnectSpec::new(target.clone());
        for other in &FIELDS {
            if !needs.contains(&other.field) && other.field != def.field {
                assert!(
                    !check(other.field, &spec, &pems) || check(other.field, &defaults, &pems),
                    "setting {} changed {}",
                    def.name,
                    other.name
                );
            }
        }
    }
}

/// A bad value is reported with the option's command-line name, from the form as from the
/// command line.
#[test]
fn a_bad_value_names_its_option() {
    for (field, bad) in [
        (Field::TlsMin, "1.1"),
        (Field::TlsMax, "2"),
        (Field::Sndbuf, "lots"),
        (Field::Rcvbuf, "0"),
        (Field::ConnectTimeout, "0"),
        (Field::Timeout, "-1"),
        (Field::HttpGet, "index.html"),
        (Field::Upload, "12Q"),
        (Field::ReadFor, "soon"),
        (Field::Alpn, "h2,,http/1.1"),
        (Field::Alpn, &"x".repeat(256)),
        (Field::Ciphers, "NO-SUCH-CIPHER"),
        (Field::Ciphersuites, "TLS_NO_SUCH_SUITE"),
        (Field::KeyPass, "pass:x"),
    ] {
        let mut form = Form::default();
        form.set(field, bad);
        let mut spec = ConnectSpec::new(Target::parse("localhost:1").expect("target"));
        let err = form.to_options().apply(&mut spec).expect_err("a bad value");
        let name = format!("--{}", field.def().name);
        assert!(err.starts_with(&name), "{name} {bad:?}: {err}");
    }
    let mut form = Form::default();
    form.set(Field::Cert, "/tmp/c.pem");
    let err = form.to_options().check_combinations().expect_err("no key");
    assert!(err.starts_with("--cert and --key"), "{err}");
}

#[test]
fn every_field_is_in_exactly_one_group() {
    use super::fields::Group;
    for def in &FIELDS {
        let groups = Group::ALL
            .iter()
            .filter(|g| g.fields().contains(&def.field))
            .count();
        assert_eq!(groups, 1, "{}", def.name);
    }
}

/// Hints read as hints: never a bare value such as "/" a user could take for the field's value.
#[test]
fn hints_do_not_look_like_values() {
    for def in FIELDS.iter().filter(|d| d.kind != Kind::Flag) {
        assert!(
            def.hint.contains(' ') || def.hint.chars().all(|c| c.is_ascii_alphabetic()),
            "{}: {:?}",
            def.name,
            def.hint
        );
    }
}

#[test]
fn errors_in_the_app_name_options_by_their_labels() {
    use super::fields::in_app_words;
    assert_eq!(
        in_app_words("--sndbuf: \"x\" is bad"),
        "SO_SNDBUF: \"x\" is bad"
    );
    assert_eq!(
        in_app_words("--tls-min 1.3 is above --tls-max 1.2"),
        "TLS min 1.3 is above TLS max 1.2"
    );
    assert_eq!(
        in_app_words("--sni: the name is empty (use --no-sni to send none)"),
        "SNI: the name is empty (use No SNI to send none)"
    );
    assert_eq!(
        in_app_words("--then-send needs --read-for: it is sent"),
        "Then send needs Read for: it is sent"
    );
    // Not an option, or no name at all: kept as written.
    assert_eq!(in_app_words("--format -- x--"), "--format -- x--");
    assert_eq!(
        in_app_words("cannot read CA file /a--b"),
        "cannot read CA file /a--b"
    );
    // Every value error the form can produce reads in the app's words.
    for (field, bad) in [(Field::Sndbuf, "lots"), (Field::ReadFor, "soon")] {
        let mut form = Form::default();
        form.set(field, bad);
        let mut spec = ConnectSpec::new(Target::parse("localhost:1").expect("target"));
        let err = form.to_options().apply(&mut spec).expect_err("a bad value");
        let words = in_app_words(&err);
        assert!(words.starts_with(field.def().label), "{words}");
        assert!(!words.contains("--"), "{words}");
    }
}

#[test]
fn count_set_counts_text_and_flags_that_are_set() {
    let mut form = Form::default();
    assert_eq!(form.count_set(), 0);
    form.set(Field::Alpn, "h2");
    form.set(Field::Sndbuf, "   ");
    form.set(Field::Insecure, "on");
    assert_eq!(form.count_set(), 2);
    form.set(Field::Insecure, "");
    assert_eq!(form.count_set(), 1);
}

/// Options typed for a HOST:PORT target stay there: a lab scenario starts from its own
/// settings, and each scenario keeps what was set for it.
#[test]
fn each_kind_of_target_keeps_its_own_options() {
    use super::per_target::{FormKey, Forms};
    use crate::lab::Scenario;
    assert_eq!(FormKey::of("example.com:443"), FormKey::Plain);
    assert_eq!(FormKey::of(" lab:nosuch"), FormKey::Plain);
    assert_eq!(
        FormKey::of(" lab:slow-reader "),
        FormKey::Lab(Scenario::from_name("slow-reader").expect("a scenario"))
    );
    let mut forms = Forms::default();
    forms.form_mut("example.com:443").set(Field::HttpGet, "/x");
    forms.form_mut("example.com:443").set(Field::Sndbuf, "4K");
    assert_eq!(
        forms.count("other.example:8443"),
        2,
        "one form for HOST:PORT"
    );
    assert_eq!(forms.options("lab:slow-reader"), ConnectOptions::default());
    assert_eq!(forms.count("lab:slow-reader"), 0);
    forms.form_mut("lab:slow-reader").set(Field::Rcvbuf, "8K");
    assert_eq!(
        forms.options("lab:slow-reader").rcvbuf.as_deref(),
        Some("8K")
    );
    assert_eq!(forms.options("lab:ok"), ConnectOptions::default());
    assert_eq!(forms.options("example.com:443").rcvbuf, None);
    forms.reset("example.com:443");
    assert_eq!(forms.count("example.com:443"), 0);
    assert_eq!(
        forms.count("lab:slow-reader"),
        1,
        "reset clears one target's options"
    );
    let given = ConnectOptions {
        insecure: true,
        ..Default::default()
    };
    forms.set("lab:ok", &given);
    assert_eq!(forms.options("lab:ok"), given);
}

/// A negative number (or size) reaches the option's own check ("seconds must be between 0 and …") rather
/// than clap's "unexpected argument '-1'", which reads as if the option took no value.
#[test]
fn a_negative_number_is_the_options_value() {
    use clap::FromArgMatches;
    for (name, value) in [
        ("--timeout", "-1"),
        ("--connect-timeout", "-2.5"),
        ("--read-for", "-1"),
        ("--upload", "-5"),
        ("--upload", "-1K"),
        ("--rcvbuf", "-16K"),
        ("--sndbuf", "-1"),
        ("--reconnect", "-3"),
    ] {
        let matches = clap_command()
            .try_get_matches_from(["options", name, value])
            .unwrap_or_else(|e| panic!("{name} {value}: {e}"));
        let options = ConnectOptions::from_arg_matches(&matches).expect("options");
        let mut spec = ConnectSpec::new(Target::parse("localhost:1").expect("target"));
        let err = options.apply(&mut spec).expect_err("a negative value");
        assert!(err.starts_with(name), "{name} {value}: {err}");
    }
}
