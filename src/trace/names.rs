//! Names for the numbers TLS and OpenSSL use: content types, handshake messages, alerts, info
//! callback flags, errno values. Kept as tables so recording stores only the number.

/// Record content type name, as used in JSONL `msg.content`.
pub fn content_name(content: u8) -> &'static str {
    match content {
        20 => "change_cipher_spec",
        21 => "alert",
        22 => "handshake",
        23 => "application_data",
        24 => "heartbeat",
        _ => "unknown",
    }
}

/// Handshake message type name (RFC 8446 / 5246 numbering).
pub fn handshake_name(msg_type: u8) -> &'static str {
    match msg_type {
        0 => "HelloRequest",
        1 => "ClientHello",
        2 => "ServerHello",
        3 => "HelloVerifyRequest",
        4 => "NewSessionTicket",
        5 => "EndOfEarlyData",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        21 => "CertificateUrl",
        22 => "CertificateStatus",
        24 => "KeyUpdate",
        25 => "CompressedCertificate",
        254 => "MessageHash",
        _ => "UnknownHandshake",
    }
}

/// Alert description name (RFC 8446 section 6).
pub fn alert_name(desc: u8) -> &'static str {
    match desc {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown_alert",
    }
}

/// The message type name shown for a TLS message: handshake type, alert description, or the
/// content type itself.
pub fn msg_type_name(content: u8, msg_type: u8) -> &'static str {
    match content {
        22 => handshake_name(msg_type),
        21 => alert_name(msg_type),
        20 => "ChangeCipherSpec",
        23 => "ApplicationData",
        _ => "unknown",
    }
}

/// OpenSSL info callback `where` bits (`SSL_CB_*`), in the order they are listed.
pub const WHERE_FLAGS: [(u32, &str); 10] = [
    (0x01, "LOOP"),
    (0x02, "EXIT"),
    (0x04, "READ"),
    (0x08, "WRITE"),
    (0x10, "HANDSHAKE_START"),
    (0x20, "HANDSHAKE_DONE"),
    (0x1000, "CONNECT"),
    (0x2000, "ACCEPT"),
    (0x4000, "ALERT"),
    (0x80, "UNKNOWN_0x80"),
];

pub const WHERE_HANDSHAKE_START: u32 = 0x10;
pub const WHERE_HANDSHAKE_DONE: u32 = 0x20;
pub const WHERE_ALERT: u32 = 0x4000;
pub const WHERE_EXIT: u32 = 0x02;

/// The names of the bits set in an info callback's `where`.
pub fn where_flags(where_: u32) -> impl Iterator<Item = &'static str> {
    WHERE_FLAGS
        .into_iter()
        .filter(move |(bit, _)| where_ & bit != 0)
        .map(|(_, name)| name)
}

/// Symbolic name of an errno value, for the errors a socket typically reports.
pub fn errno_name(errno: i32) -> String {
    let name = match errno {
        libc_consts::ECONNRESET => "ECONNRESET",
        libc_consts::EPIPE => "EPIPE",
        libc_consts::ECONNREFUSED => "ECONNREFUSED",
        libc_consts::ETIMEDOUT => "ETIMEDOUT",
        libc_consts::EHOSTUNREACH => "EHOSTUNREACH",
        libc_consts::ENETUNREACH => "ENETUNREACH",
        libc_consts::EINTR => "EINTR",
        libc_consts::ECONNABORTED => "ECONNABORTED",
        libc_consts::ENOTCONN => "ENOTCONN",
        _ => return format!("errno {errno}"),
    };
    name.to_string()
}

/// Linux errno values, written out so this module stays free of a libc dependency.
mod libc_consts {
    pub(super) const EINTR: i32 = 4;
    pub(super) const EPIPE: i32 = 32;
    pub(super) const ENETUNREACH: i32 = 101;
    pub(super) const ECONNABORTED: i32 = 103;
    pub(super) const ECONNRESET: i32 = 104;
    pub(super) const ENOTCONN: i32 = 107;
    pub(super) const ETIMEDOUT: i32 = 110;
    pub(super) const ECONNREFUSED: i32 = 111;
    pub(super) const EHOSTUNREACH: i32 = 113;
}

/// Maps an errno name back to its value (for reading JSONL).
pub fn errno_from_name(name: &str) -> Option<i32> {
    if let Some(n) = name.strip_prefix("errno ") {
        return n.parse().ok();
    }
    (1..=133).find(|&e| errno_name(e) == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_flags_lists_set_bits() {
        let names: Vec<_> = where_flags(0x1000 | 0x01).collect();
        assert_eq!(names, ["LOOP", "CONNECT"]);
    }

    #[test]
    fn message_names() {
        assert_eq!(msg_type_name(22, 1), "ClientHello");
        assert_eq!(msg_type_name(22, 24), "KeyUpdate");
        assert_eq!(msg_type_name(21, 40), "handshake_failure");
        assert_eq!(content_name(23), "application_data");
    }

    #[test]
    fn errno_names_round_trip() {
        assert_eq!(errno_from_name(&errno_name(104)), Some(104));
        assert_eq!(errno_from_name(&errno_name(5)), Some(5));
    }
}
