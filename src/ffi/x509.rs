//! Certificate and OCSP details rust-openssl does not expose: the key usage bits and a basic
//! OCSP response's producedAt and responder id.

use foreign_types::ForeignTypeRef;
use openssl::asn1::Asn1GeneralizedTimeRef;
use openssl::ocsp::OcspBasicResponseRef;
use openssl::x509::{X509NameRef, X509Ref};
use openssl_sys::{ASN1_GENERALIZEDTIME, ASN1_OCTET_STRING, OCSP_BASICRESP, X509_NAME};
use std::ffi::c_int;

// EXFLAG_KUSAGE / EXFLAG_XKUSAGE of x509v3.h: the extension is present.
const EXFLAG_KUSAGE: u32 = 0x2;
const EXFLAG_XKUSAGE: u32 = 0x4;

extern "C" {
    fn OCSP_resp_get0_produced_at(bs: *const OCSP_BASICRESP) -> *const ASN1_GENERALIZEDTIME;
    fn OCSP_resp_get0_id(
        bs: *const OCSP_BASICRESP,
        pid: *mut *const ASN1_OCTET_STRING,
        pname: *mut *const X509_NAME,
    ) -> c_int;
}

/// The keyUsage and extendedKeyUsage bits (`KU_*`, `XKU_*`), each `None` when the certificate
/// has no such extension.
pub fn key_usage(cert: &X509Ref) -> (Option<u32>, Option<u32>) {
    let ptr = cert.as_ptr();
    // SAFETY: `ptr` is a valid X509 for the borrow of `cert`. These getters only read the
    // certificate (they fill OpenSSL's cached extension data under its own lock on first use).
    let (flags, ku, xku) = unsafe {
        (
            openssl_sys::X509_get_extension_flags(ptr),
            openssl_sys::X509_get_key_usage(ptr),
            openssl_sys::X509_get_extended_key_usage(ptr),
        )
    };
    (
        (flags & EXFLAG_KUSAGE != 0).then_some(ku),
        (flags & EXFLAG_XKUSAGE != 0).then_some(xku),
    )
}

/// When the responder produced the response, as OpenSSL prints times.
pub fn ocsp_produced_at(basic: &OcspBasicResponseRef) -> Option<String> {
    // SAFETY: `basic` is a valid OCSP_BASICRESP; the returned time is owned by it (get0) and is
    // only borrowed for the conversion below, while `basic` is borrowed.
    unsafe {
        let t = OCSP_resp_get0_produced_at(basic.as_ptr());
        (!t.is_null()).then(|| Asn1GeneralizedTimeRef::from_ptr(t as *mut _).to_string())
    }
}

/// The responder id: its name, or its key hash (`key SHA-1 AB:CD:…`).
pub fn ocsp_responder(
    basic: &OcspBasicResponseRef,
    name: impl Fn(&X509NameRef) -> String,
) -> Option<String> {
    let mut id: *const ASN1_OCTET_STRING = std::ptr::null();
    let mut by_name: *const X509_NAME = std::ptr::null();
    // SAFETY: `basic` is valid; OpenSSL sets at most one of the two out pointers to data owned
    // by `basic` (get0), read here while `basic` is borrowed.
    unsafe {
        if OCSP_resp_get0_id(basic.as_ptr(), &mut id, &mut by_name) != 1 {
            return None;
        }
        if !by_name.is_null() {
            return Some(name(X509NameRef::from_ptr(by_name as *mut _)));
        }
        if id.is_null() {
            return None;
        }
        let id = id as *const openssl_sys::ASN1_STRING;
        let len = usize::try_from(openssl_sys::ASN1_STRING_length(id)).ok()?;
        let data = openssl_sys::ASN1_STRING_get0_data(id);
        if data.is_null() {
            return None;
        }
        let bytes = std::slice::from_raw_parts(data, len);
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
        Some(format!("key SHA-1 {}", hex.join(":")))
    }
}
