//! The client's private key: loaded without ever letting OpenSSL prompt for a passphrase (its
//! default callback reads the terminal, which would block the command line and hang the app),
//! decrypted with `--key-pass` when one is given, and checked against the certificate before
//! connecting.

use super::files::read_capped;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslContext, SslMethod};
use openssl::x509::X509;
use std::path::Path;

/// The most a passphrase file may hold.
const PASS_FILE_CAP: u64 = 64 << 10;

/// The passphrase `--key-pass` names, in OpenSSL's `-passin` forms: `env:VAR` (an environment
/// variable), `file:PATH` (the file's first line) or `pass:TEXT` (the text itself, visible to
/// other users in the process list: prefer the others).
pub(crate) fn passphrase(source: &str) -> Result<Vec<u8>, String> {
    if let Some(var) = source.strip_prefix("env:") {
        return std::env::var_os(var)
            .map(|v| std::os::unix::ffi::OsStrExt::as_bytes(v.as_os_str()).to_vec())
            .ok_or_else(|| format!("--key-pass env:{var}: the variable {var} is not set"));
    }
    if let Some(path) = source.strip_prefix("file:") {
        let data = read_capped(Path::new(path), PASS_FILE_CAP, "passphrase file")
            .map_err(|e| format!("--key-pass: {e}"))?;
        let line = data.split(|&b| b == b'\n').next().unwrap_or_default();
        return Ok(line.strip_suffix(b"\r").unwrap_or(line).to_vec());
    }
    if let Some(text) = source.strip_prefix("pass:") {
        return Ok(text.as_bytes().to_vec());
    }
    Err("--key-pass: expected env:VAR, file:PATH or pass:TEXT".into())
}

/// The private key in `pem` (read from `path`), as unencrypted PEM for the engine: the file's
/// own bytes when it was not encrypted, the decrypted key re-encoded (PKCS#8, in memory only)
/// when it was and `pass` opened it.
pub(crate) fn load(pem: &[u8], path: &Path, pass: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let mut asked = false;
    // The callback stands in for OpenSSL's terminal prompt: it only notes that a passphrase
    // was needed, and answers with the one given (or none, which fails the load).
    let loaded = PKey::private_key_from_pem_callback(pem, |buf| {
        asked = true;
        match pass {
            Some(p) if p.len() <= buf.len() => {
                buf[..p.len()].copy_from_slice(p);
                Ok(p.len())
            }
            _ => Ok(0),
        }
    });
    match (loaded, asked, pass) {
        (Ok(_), false, _) => Ok(pem.to_vec()),
        (Ok(key), true, _) => key
            .private_key_to_pem_pkcs8()
            .map_err(|e| format!("key file {}: {e}", path.display())),
        (Err(_), true, None) => Err(format!(
            "the key in {} is encrypted; give its passphrase with --key-pass env:VAR, \
             --key-pass file:PATH or --key-pass pass:TEXT",
            path.display()
        )),
        (Err(_), true, Some(_)) => Err(format!(
            "--key-pass: the passphrase does not decrypt the key in {}",
            path.display()
        )),
        (Err(_), false, _) => Err(format!(
            "key file {}: no PEM private key found in it",
            path.display()
        )),
    }
}

/// Checks that the key (unencrypted PEM, as [`load`] gives it) belongs to the first certificate
/// of the chain, on a scratch context, so a mismatch is a usage error before connecting.
pub(crate) fn check_pair(
    chain_pem: &[u8],
    key_pem: &[u8],
    cert: &Path,
    key: &Path,
) -> Result<(), String> {
    let mismatch = || {
        format!(
            "--key {} does not belong to the certificate in --cert {} (its first certificate)",
            key.display(),
            cert.display()
        )
    };
    let leaf = X509::stack_from_pem(chain_pem)
        .ok()
        .and_then(|chain| chain.into_iter().next())
        .ok_or_else(|| {
            format!(
                "certificate file {}: no PEM certificate found in it",
                cert.display()
            )
        })?;
    let pkey: PKey<Private> = PKey::private_key_from_pem_callback(key_pem, |_| Ok(0))
        .map_err(|_| format!("key file {}: no PEM private key found in it", key.display()))?;
    let mut ctx =
        SslContext::builder(SslMethod::tls_client()).map_err(|e| format!("OpenSSL: {e}"))?;
    ctx.set_certificate(&leaf)
        .map_err(|e| format!("--cert {}: {e}", cert.display()))?;
    ctx.set_private_key(&pkey).map_err(|_| mismatch())?;
    ctx.check_private_key().map_err(|_| mismatch())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::symm::Cipher;

    fn keys() -> (PKey<Private>, Vec<u8>) {
        let identity = crate::lab::Pki::shared()
            .expect("lab PKI")
            .client_identity();
        let key = PKey::private_key_from_pem(&identity.key_pem).expect("lab key");
        (key, identity.key_pem)
    }

    #[test]
    fn an_unencrypted_key_is_kept_as_it_is() {
        let (_, pem) = keys();
        assert_eq!(load(&pem, Path::new("k.pem"), None), Ok(pem.clone()));
        assert_eq!(load(&pem, Path::new("k.pem"), Some(b"unused")), Ok(pem));
    }

    /// An encrypted key never prompts: without a passphrase it is refused with how to give
    /// one; with the right one it is decrypted, with a wrong one refused.
    #[test]
    fn an_encrypted_key_needs_key_pass() {
        let (key, _) = keys();
        let encrypted = key
            .private_key_to_pem_pkcs8_passphrase(Cipher::aes_256_cbc(), b"sesame")
            .expect("encrypt");
        let e = load(&encrypted, Path::new("k.pem"), None).unwrap_err();
        assert!(e.starts_with("the key in k.pem is encrypted; give its passphrase with --key-pass"));
        let e = load(&encrypted, Path::new("k.pem"), Some(b"wrong")).unwrap_err();
        assert_eq!(
            e,
            "--key-pass: the passphrase does not decrypt the key in k.pem"
        );
        let plain = load(&encrypted, Path::new("k.pem"), Some(b"sesame")).expect("decrypted");
        let back = PKey::private_key_from_pem(&plain).expect("unencrypted PEM");
        assert!(back.public_eq(&key));
    }

    #[test]
    fn passphrase_sources() {
        assert_eq!(passphrase("pass:x y"), Ok(b"x y".to_vec()));
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("pass");
        std::fs::write(&file, "line one\r\nline two\n").expect("write");
        assert_eq!(
            passphrase(&format!("file:{}", file.display())),
            Ok(b"line one".to_vec())
        );
        assert!(passphrase("file:/dev/zero")
            .unwrap_err()
            .contains("character device"));
        assert_eq!(
            passphrase("env:TLSSCOPE_SURELY_UNSET_VARIABLE"),
            Err("--key-pass env:TLSSCOPE_SURELY_UNSET_VARIABLE: the variable TLSSCOPE_SURELY_UNSET_VARIABLE is not set".into())
        );
        assert!(passphrase("sesame")
            .unwrap_err()
            .contains("expected env:VAR"));
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let pki = crate::lab::Pki::shared().expect("lab PKI");
        let client = pki.client_identity();
        let server_key = pki.server.key_pem().expect("server key");
        let (c, k) = (Path::new("c.pem"), Path::new("k.pem"));
        assert_eq!(check_pair(&client.chain_pem, &client.key_pem, c, k), Ok(()));
        let e = check_pair(&client.chain_pem, &server_key, c, k).unwrap_err();
        assert_eq!(
            e,
            "--key k.pem does not belong to the certificate in --cert c.pem (its first certificate)"
        );
    }
}
