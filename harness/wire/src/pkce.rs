//! PKCE on the client side (RFC 7636): a 43-character verifier from the OS CSPRNG and its S256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A verifier and its challenge.
#[derive(Debug, Clone)]
pub struct Pkce {
    /// `code_verifier`.
    pub verifier: String,
    /// `code_challenge` (S256).
    pub challenge: String,
}

/// 32 random bytes → a 43-character base64url verifier (RFC 7636 §4.1's recommendation).
pub fn generate() -> Pkce {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let verifier = URL_SAFE_NO_PAD.encode(b);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce { verifier, challenge }
}

/// Random lower-case hex.
pub fn hex(chars: usize) -> String {
    let mut b = vec![0u8; chars.div_ceil(2)];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect::<String>()[..chars].to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn verifier_shape_and_uniqueness() {
        let a = super::generate();
        let b = super::generate();
        assert_eq!(a.verifier.len(), 43);
        assert_eq!(a.challenge.len(), 43);
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(super::hex(32).len(), 32);
    }
}
