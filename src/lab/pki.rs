//! Certificates for the lab, generated at runtime (nothing secret is committed).
//!
//! One small CA ("tlsscope lab CA", EC P-256) signs the server certificate for `localhost`,
//! `127.0.0.1` and `::1`, a client certificate, and a long client chain (about 100 intermediate
//! CAs, ~35 KB) for the post-handshake-auth scenario. The bad-certificate scenarios use an expired
//! leaf, a leaf for another host name, a self-signed leaf, and a leaf signed by a second CA that
//! the client does not trust.
//!
//! EC keys keep generation fast (a few milliseconds for everything); [`Pki::shared`] generates the
//! set once per process.

use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509Name, X509NameRef, X509Ref, X509};

use crate::probe::ClientIdentity;

/// Number of intermediate CAs in the long client chain (post-handshake-auth).
pub const LONG_CHAIN_INTERMEDIATES: usize = 100;

/// The host name every lab leaf (except the wrong-host one) is issued for.
pub const LAB_HOST: &str = "localhost";

/// The host name the wrong-host leaf is issued for.
pub const WRONG_HOST: &str = "wrong-host.tlsscope.invalid";

/// A certificate chain (leaf first, without the root) and the leaf's private key.
#[derive(Clone)]
pub struct Identity {
    pub chain: Vec<X509>,
    pub key: PKey<Private>,
}

impl Identity {
    /// The leaf certificate.
    pub fn leaf(&self) -> Option<&X509Ref> {
        self.chain.first().map(|c| c.as_ref())
    }

    /// The chain (leaf first) as concatenated PEM.
    pub fn chain_pem(&self) -> Result<Vec<u8>, ErrorStack> {
        let mut out = Vec::new();
        for cert in &self.chain {
            out.extend_from_slice(&cert.to_pem()?);
        }
        Ok(out)
    }

    /// The private key as PKCS#8 PEM.
    pub fn key_pem(&self) -> Result<Vec<u8>, ErrorStack> {
        self.key.private_key_to_pem_pkcs8()
    }

    /// The chain and key in the form the probe's client takes.
    pub fn to_client_identity(&self) -> Result<ClientIdentity, ErrorStack> {
        Ok(ClientIdentity {
            chain_pem: self.chain_pem()?,
            key_pem: self.key_pem()?,
        })
    }

    /// Total DER size of the chain, in bytes.
    pub fn chain_der_len(&self) -> usize {
        self.chain
            .iter()
            .map(|c| c.to_der().map(|d| d.len()).unwrap_or(0))
            .sum()
    }
}

/// Every certificate and key the lab uses.
pub struct Pki {
    /// The lab CA the client side trusts.
    pub ca: X509,
    ca_key: PKey<Private>,
    /// Leaf for `localhost`, `127.0.0.1`, `::1`, signed by the lab CA.
    pub server: Identity,
    /// Valid for `localhost` but expired yesterday.
    pub expired: Identity,
    /// Signed by the lab CA for another host name only.
    pub wrong_host: Identity,
    /// Self-signed leaf for `localhost`.
    pub self_signed: Identity,
    /// Leaf for `localhost` signed by a second CA nobody trusts; the chain includes that CA.
    pub untrusted: Identity,
    /// Client certificate signed by the lab CA.
    pub client: Identity,
    /// Client certificate under [`LONG_CHAIN_INTERMEDIATES`] intermediate CAs (leaf first).
    pub long_client: Identity,
    /// The encodings clients take, made once when the set is generated (so an encoding error
    /// fails generation instead of turning into an empty PEM later).
    ca_pem: Vec<u8>,
    client_identity: ClientIdentity,
    long_client_identity: ClientIdentity,
}

static SHARED: OnceLock<Arc<Pki>> = OnceLock::new();

impl Pki {
    /// Generates a fresh CA and all certificates.
    pub fn generate() -> Result<Pki, ErrorStack> {
        let now = unix_now();
        let day = 86_400;
        let valid_from = now - day;
        let valid_to = now + 3650 * day;

        let ca_key = ec_key()?;
        let ca = issue(
            &Template::ca("tlsscope lab CA"),
            &ca_key,
            None,
            valid_from,
            valid_to,
        )?;

        let leaf = |tpl: Template, from: i64, to: i64| -> Result<Identity, ErrorStack> {
            let key = ec_key()?;
            let cert = issue(&tpl, &key, Some((&ca, &ca_key)), from, to)?;
            Ok(Identity {
                chain: vec![cert],
                key,
            })
        };

        let server = leaf(Template::server(LAB_HOST), valid_from, valid_to)?;
        let expired = leaf(
            Template::server(LAB_HOST).named("tlsscope lab expired"),
            now - 60 * day,
            now - day,
        )?;
        let wrong_host = leaf(Template::server(WRONG_HOST), valid_from, valid_to)?;
        let client = leaf(
            Template::client("tlsscope lab client"),
            valid_from,
            valid_to,
        )?;

        let self_signed = {
            let key = ec_key()?;
            let cert = issue(
                &Template::server(LAB_HOST).named("tlsscope lab self-signed"),
                &key,
                None,
                valid_from,
                valid_to,
            )?;
            Identity {
                chain: vec![cert],
                key,
            }
        };

        let untrusted = {
            let other_key = ec_key()?;
            let other_ca = issue(
                &Template::ca("tlsscope untrusted CA"),
                &other_key,
                None,
                valid_from,
                valid_to,
            )?;
            let key = ec_key()?;
            let cert = issue(
                &Template::server(LAB_HOST).named("tlsscope lab untrusted"),
                &key,
                Some((&other_ca, &other_key)),
                valid_from,
                valid_to,
            )?;
            Identity {
                chain: vec![cert, other_ca],
                key,
            }
        };

        let long_client = {
            // root -> intermediate 1 -> ... -> intermediate N -> leaf
            let mut intermediates: Vec<X509> = Vec::with_capacity(LONG_CHAIN_INTERMEDIATES);
            let mut issuer_key = ca_key.clone();
            let mut issuer_cert = ca.clone();
            for i in 1..=LONG_CHAIN_INTERMEDIATES {
                let key = ec_key()?;
                let cert = issue(
                    &Template::ca(&format!("tlsscope lab intermediate {i:03}")),
                    &key,
                    Some((&issuer_cert, &issuer_key)),
                    valid_from,
                    valid_to,
                )?;
                intermediates.push(cert.clone());
                issuer_cert = cert;
                issuer_key = key;
            }
            let key = ec_key()?;
            let cert = issue(
                &Template::client("tlsscope lab client (long chain)"),
                &key,
                Some((&issuer_cert, &issuer_key)),
                valid_from,
                valid_to,
            )?;
            let mut chain = vec![cert];
            chain.extend(intermediates.into_iter().rev());
            Identity { chain, key }
        };

        Ok(Pki {
            ca_pem: ca.to_pem()?,
            client_identity: client.to_client_identity()?,
            long_client_identity: long_client.to_client_identity()?,
            ca,
            ca_key,
            server,
            expired,
            wrong_host,
            self_signed,
            untrusted,
            client,
            long_client,
        })
    }

    /// One set per process, generated on first use.
    pub fn shared() -> Result<Arc<Pki>, ErrorStack> {
        if let Some(pki) = SHARED.get() {
            return Ok(pki.clone());
        }
        let fresh = Arc::new(Pki::generate()?);
        // Another thread may have won the race; everybody uses the stored one.
        let _ = SHARED.set(fresh.clone());
        Ok(SHARED.get().cloned().unwrap_or(fresh))
    }

    /// The lab CA certificate, PEM: what a client must trust.
    pub fn ca_pem(&self) -> Vec<u8> {
        self.ca_pem.clone()
    }

    /// The lab's client certificate and key (signed by the lab CA).
    pub fn client_identity(&self) -> ClientIdentity {
        self.client_identity.clone()
    }

    /// The client certificate under a long chain of intermediates (~35 KB), for
    /// post-handshake authentication under back-pressure.
    pub fn long_client_identity(&self) -> ClientIdentity {
        self.long_client_identity.clone()
    }

    /// The CA's private key (to issue more certificates in tests).
    pub fn ca_key(&self) -> &PKey<Private> {
        &self.ca_key
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(1_700_000_000)
}

fn ec_key() -> Result<PKey<Private>, ErrorStack> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    PKey::from_ec_key(EcKey::generate(&group)?)
}

enum Kind {
    Ca,
    Server { host: String },
    Client,
}

struct Template {
    cn: String,
    kind: Kind,
}

impl Template {
    fn ca(cn: &str) -> Template {
        Template {
            cn: cn.to_string(),
            kind: Kind::Ca,
        }
    }

    fn server(host: &str) -> Template {
        Template {
            cn: host.to_string(),
            kind: Kind::Server {
                host: host.to_string(),
            },
        }
    }

    fn client(cn: &str) -> Template {
        Template {
            cn: cn.to_string(),
            kind: Kind::Client,
        }
    }

    fn named(mut self, cn: &str) -> Template {
        self.cn = cn.to_string();
        self
    }
}

fn name(cn: &str) -> Result<X509Name, ErrorStack> {
    let mut b = X509Name::builder()?;
    b.append_entry_by_nid(Nid::ORGANIZATIONNAME, "tlsscope lab")?;
    b.append_entry_by_nid(Nid::COMMONNAME, cn)?;
    Ok(b.build())
}

fn serial() -> Result<Asn1Integer, ErrorStack> {
    let mut bn = BigNum::new()?;
    bn.rand(63, MsbOption::MAYBE_ZERO, false)?;
    bn.to_asn1_integer()
}

/// Issues a certificate for `key` from `tpl`, signed by `issuer` (or self-signed).
fn issue(
    tpl: &Template,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    not_before: i64,
    not_after: i64,
) -> Result<X509, ErrorStack> {
    let subject = name(&tpl.cn)?;
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let serial = serial()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&subject)?;
    let issuer_name: &X509NameRef = match issuer {
        Some((cert, _)) => cert.subject_name(),
        None => &subject,
    };
    b.set_issuer_name(issuer_name)?;
    b.set_pubkey(key)?;
    let not_before = Asn1Time::from_unix(not_before as _)?;
    let not_after = Asn1Time::from_unix(not_after as _)?;
    b.set_not_before(&not_before)?;
    b.set_not_after(&not_after)?;

    match &tpl.kind {
        Kind::Ca => {
            b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()?,
            )?;
        }
        Kind::Server { host } => {
            b.append_extension(BasicConstraints::new().critical().build()?)?;
            b.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
            b.append_extension(ExtendedKeyUsage::new().server_auth().build()?)?;
            let san = {
                let ctx = b.x509v3_context(issuer.map(|(c, _)| c.as_ref()), None);
                let mut san = SubjectAlternativeName::new();
                san.dns(host);
                if host == LAB_HOST {
                    san.ip("127.0.0.1").ip("::1");
                }
                san.build(&ctx)?
            };
            b.append_extension(san)?;
        }
        Kind::Client => {
            b.append_extension(BasicConstraints::new().critical().build()?)?;
            b.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
            b.append_extension(ExtendedKeyUsage::new().client_auth().build()?)?;
        }
    }
    let skid = {
        let ctx = b.x509v3_context(issuer.map(|(c, _)| c.as_ref()), None);
        SubjectKeyIdentifier::new().build(&ctx)?
    };
    b.append_extension(skid)?;
    if issuer.is_some() {
        let akid = {
            let ctx = b.x509v3_context(issuer.map(|(c, _)| c.as_ref()), None);
            AuthorityKeyIdentifier::new().keyid(false).build(&ctx)?
        };
        b.append_extension(akid)?;
    }
    let signing_key = match issuer {
        Some((_, k)) => k,
        None => key,
    };
    b.sign(signing_key, MessageDigest::sha256())?;
    Ok(b.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::stack::Stack;
    use openssl::x509::store::X509StoreBuilder;
    use openssl::x509::{X509StoreContext, X509VerifyResult};

    fn verify(pki: &Pki, id: &Identity, depth: u32) -> X509VerifyResult {
        let mut store = X509StoreBuilder::new().unwrap();
        store.add_cert(pki.ca.clone()).unwrap();
        let mut param = openssl::x509::verify::X509VerifyParam::new().unwrap();
        param.set_depth(depth as i32);
        store.set_param(&param).unwrap();
        let store = store.build();
        let mut chain = Stack::new().unwrap();
        for c in id.chain.iter().skip(1) {
            chain.push(c.clone()).unwrap();
        }
        let mut ctx = X509StoreContext::new().unwrap();
        ctx.init(&store, id.leaf().unwrap(), &chain, |c| {
            c.verify_cert()?;
            Ok(c.error())
        })
        .unwrap()
    }

    #[test]
    fn generates_quickly_and_chains_verify() {
        let start = std::time::Instant::now();
        let pki = Pki::generate().unwrap();
        let took = start.elapsed();
        assert!(took < std::time::Duration::from_secs(5), "{took:?}");
        assert_eq!(verify(&pki, &pki.server, 10), X509VerifyResult::OK);
        assert_eq!(verify(&pki, &pki.client, 10), X509VerifyResult::OK);
        assert_eq!(verify(&pki, &pki.wrong_host, 10), X509VerifyResult::OK);
        assert_eq!(verify(&pki, &pki.long_client, 200), X509VerifyResult::OK);
        assert_eq!(pki.long_client.chain.len(), LONG_CHAIN_INTERMEDIATES + 1);
        let len = pki.long_client.chain_der_len();
        assert!((25_000..60_000).contains(&len), "{len}");
        assert_eq!(verify(&pki, &pki.expired, 10).as_raw(), 10); // certificate has expired
        assert_eq!(verify(&pki, &pki.self_signed, 10).as_raw(), 18); // self-signed
        assert_eq!(verify(&pki, &pki.untrusted, 10).as_raw(), 19); // self-signed in chain
    }

    #[test]
    fn pem_round_trips() {
        let pki = Pki::shared().unwrap();
        let ca = X509::stack_from_pem(&pki.ca_pem()).unwrap();
        assert_eq!(ca.len(), 1);
        let id = pki.long_client_identity();
        assert_eq!(
            X509::stack_from_pem(&id.chain_pem).unwrap().len(),
            LONG_CHAIN_INTERMEDIATES + 1
        );
        assert!(PKey::private_key_from_pem(&id.key_pem).is_ok());
        assert!(Arc::ptr_eq(&pki, &Pki::shared().unwrap()));
    }
}
