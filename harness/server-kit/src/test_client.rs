//! The HTTP client the servers' end-to-end tests use: no redirects followed (a redirect is an
//! answer to assert), no proxy (the servers are on loopback), and a timeout so a hung server fails
//! the test instead of hanging it.

/// A no-redirect, no-proxy client with a 10 s timeout.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .no_proxy()
        .build()
        .expect("a reqwest client with these options always builds")
}
