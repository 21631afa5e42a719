//! The TLS context a peer is built on, from its [`Tls`] settings: protocol versions, tickets,
//! certificate, client verification, and the refusals decided on the ClientHello (`alert`,
//! `sni-required`, `alpn-required`, `cipher-mismatch`).

use openssl::error::ErrorStack;
use openssl::ssl::{
    select_next_proto, AlpnError, NameType, SniError, SslAlert, SslContext, SslContextBuilder,
    SslMethod, SslMode, SslVerifyMode, SslVersion,
};
use openssl::x509::store::X509StoreBuilder;

use super::{ClientAuth, HelloCheck, ServerCert, Tls, Versions};
use crate::lab::pki::{Identity, Pki, LONG_CHAIN_INTERMEDIATES};

fn set_identity(b: &mut SslContextBuilder, id: &Identity) -> Result<(), ErrorStack> {
    let mut certs = id.chain.iter();
    if let Some(leaf) = certs.next() {
        b.set_certificate(leaf)?;
    }
    for extra in certs {
        b.add_extra_chain_cert(extra.clone())?;
    }
    b.set_private_key(&id.key)?;
    b.check_private_key()
}

fn trust_lab_ca(b: &mut SslContextBuilder, pki: &Pki) -> Result<(), ErrorStack> {
    let mut store = X509StoreBuilder::new()?;
    store.add_cert(pki.ca.clone())?;
    b.set_verify_cert_store(store.build())?;
    b.add_client_ca(&pki.ca)
}

pub(in crate::lab) fn build_context(tls: &Tls, pki: &Pki) -> Result<SslContext, ErrorStack> {
    let mut b = SslContextBuilder::new(SslMethod::tls_server())?;
    b.set_mode(SslMode::ACCEPT_MOVING_WRITE_BUFFER);
    b.set_session_id_context(b"tlsscope-lab")?;
    b.set_min_proto_version(Some(SslVersion::TLS1_2))?;
    match tls.versions {
        Versions::Both => {}
        Versions::UpTo12 => b.set_max_proto_version(Some(SslVersion::TLS1_2))?,
        Versions::Only13 => b.set_min_proto_version(Some(SslVersion::TLS1_3))?,
    }
    // Session tickets are noise in most traces; `ok` keeps OpenSSL's default (two), and
    // `late-tickets` sends its own later.
    if !tls.tickets {
        b.set_num_tickets(0)?;
    }
    let id = match tls.cert {
        ServerCert::Lab => &pki.server,
        ServerCert::Expired => &pki.expired,
        ServerCert::WrongHost => &pki.wrong_host,
        ServerCert::SelfSigned => &pki.self_signed,
        ServerCert::Untrusted => &pki.untrusted,
    };
    set_identity(&mut b, id)?;
    if let Some(list) = tls.ciphers {
        b.set_cipher_list(list)?;
    }
    match tls.hello_check {
        HelloCheck::None => {}
        HelloCheck::RefuseAll => {
            // Called for every ClientHello (with or without SNI): refuse it.
            b.set_servername_callback(|_ssl, alert| {
                *alert = SslAlert::HANDSHAKE_FAILURE;
                Err(SniError::ALERT_FATAL)
            });
        }
        HelloCheck::RequireSni(name) => {
            b.set_servername_callback(move |ssl, alert| {
                if ssl.servername(NameType::HOST_NAME) == Some(name) {
                    Ok(())
                } else {
                    *alert = SslAlert::UNRECOGNIZED_NAME;
                    Err(SniError::ALERT_FATAL)
                }
            });
        }
    }
    if let Some(accepted) = tls.alpn {
        // Called only when the client offers ALPN; no overlap is fatal (no_application_protocol).
        b.set_alpn_select_callback(move |_ssl, offered| {
            select_next_proto(accepted, offered).ok_or(AlpnError::ALERT_FATAL)
        });
    }
    match tls.client_auth {
        ClientAuth::None => {}
        ClientAuth::Required => {
            trust_lab_ca(&mut b, pki)?;
            b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        }
        ClientAuth::PostHandshake => {
            trust_lab_ca(&mut b, pki)?;
            // SSL_VERIFY_POST_HANDSHAKE (0x08): no request during the handshake itself.
            b.set_verify(
                SslVerifyMode::PEER
                    | SslVerifyMode::FAIL_IF_NO_PEER_CERT
                    | SslVerifyMode::from_bits_retain(0x08),
            );
            b.set_verify_depth(LONG_CHAIN_INTERMEDIATES as u32 + 10);
        }
    }
    Ok(b.build())
}
