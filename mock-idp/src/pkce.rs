//! PKCE (RFC 7636) on the authorization server's side.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// `BASE64URL(SHA256(ASCII(verifier)))` (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `v` is a syntactically valid verifier or challenge: 43–128 characters of
/// `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"` (RFC 7636 §4.1, §4.2).
pub fn well_formed(v: &str) -> bool {
    (43..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Checks a verifier against the stored challenge; `method` is what the authorization request named.
pub fn verify(verifier: &str, challenge: &str, method: &str) -> Result<(), &'static str> {
    if !well_formed(verifier) {
        return Err("code_verifier must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)");
    }
    let computed = match method {
        "S256" => s256(verifier),
        "plain" => verifier.to_owned(),
        _ => return Err("unsupported code_challenge_method"),
    };
    if computed == challenge { Ok(()) } else { Err("code_verifier does not match the code_challenge") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(
            verify(
                "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "S256"
            )
            .is_ok()
        );
    }

    #[test]
    fn wrong_or_malformed_verifiers_fail() {
        let challenge = s256(&"a".repeat(43));
        assert!(verify(&"b".repeat(43), &challenge, "S256").is_err());
        assert!(verify("short", &s256("short"), "S256").is_err());
        assert!(verify(&format!("{}!", "a".repeat(43)), &challenge, "S256").is_err());
        assert!(verify(&"a".repeat(129), &challenge, "S256").is_err());
    }
}
