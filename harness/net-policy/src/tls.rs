//! TLS for every HTTP client the harness builds: one rustls configuration per process, whose
//! certificate verifier loads the platform's root certificates at the first https handshake
//! rather than when a client is built.
//!
//! Why: `reqwest` reads the system CA store (≈2 ms of parsing) for every client it builds, even
//! one that only ever speaks plain http to loopback — and a `run` builds hundreds (one per client
//! flow, one per server started). Sharing one configuration makes that one load per process, and
//! none at all for a process that never meets https. Verification is unchanged: the same
//! platform verifier (`rustls-platform-verifier`, as `reqwest` uses) does it, built on first use.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, Error, SignatureScheme};
use rustls_platform_verifier::Verifier;
use std::sync::{Arc, OnceLock};

/// A `reqwest::ClientBuilder` using the shared TLS configuration; every other setting is the
/// caller's. Building a client from it loads no certificates.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().tls_backend_preconfigured(client_config())
}

/// The process-wide rustls client configuration (ALPN h2 and http/1.1, as `reqwest` would set).
pub fn client_config() -> rustls::ClientConfig {
    static CONFIG: OnceLock<rustls::ClientConfig> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = CryptoProvider::get_default()
                .cloned()
                .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
            let verifier = Arc::new(LazyRoots { provider: provider.clone(), verifier: OnceLock::new() });
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("the default provider supports the default TLS versions")
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth();
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            config
        })
        .clone()
}

/// Whether the platform roots have been loaded in this process (tests: plain http loads none).
pub fn roots_loaded() -> bool {
    LOADED.get().is_some()
}

static LOADED: OnceLock<()> = OnceLock::new();

/// The platform verifier, built (and the roots read) at the first certificate to verify.
#[derive(Debug)]
struct LazyRoots {
    provider: Arc<CryptoProvider>,
    verifier: OnceLock<Result<Arc<Verifier>, Error>>,
}

impl LazyRoots {
    fn verifier(&self) -> Result<&Verifier, Error> {
        self.verifier
            .get_or_init(|| {
                let _ = LOADED.set(());
                Verifier::new(self.provider.clone()).map(Arc::new)
            })
            .as_ref()
            .map(|v| v.as_ref())
            .map_err(Clone::clone)
    }
}

impl ServerCertVerifier for LazyRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        self.verifier()?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    // Signature checks need no roots: the provider's algorithms, as the platform verifier uses.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    /// Building clients and talking plain http loads no roots; the verifier is only built for
    /// https. (A plain-http round trip to a loopback listener; nothing timed.)
    #[tokio::test]
    async fn plain_http_clients_load_no_roots() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
            }
        });
        for _ in 0..3 {
            let c = super::client_builder().no_proxy().build().unwrap();
            let body = c.get(format!("http://{addr}/")).send().await.unwrap().text().await.unwrap();
            assert_eq!(body, "ok");
        }
        assert!(!super::roots_loaded());
    }
}
