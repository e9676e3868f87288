//! Entry points for the fuzz targets (`fuzz/`) and their regression test: the registry's
//! parsers of response bytes, which are otherwise private to the client.

use std::collections::HashMap;

/// A `WWW-Authenticate` challenge: its scheme and parameters.
pub fn challenge(header: &str) -> (String, HashMap<String, String>) {
    super::auth::parse_challenge(header)
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(header: &str) -> Option<String> {
    super::api::next_link(header)
}

/// The bearer token in a token service's JSON answer.
pub fn token(body: &[u8]) -> Option<String> {
    super::auth::token_of(body)
}

/// The user stored in a Docker `config.json` for `registry` (its `auths` only; credential
/// helpers are programs, not parsers, and are not run).
pub fn docker_config_user(config_json: &[u8], registry: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(config_json).ok()?;
    let keys = super::credentials::auth_keys(registry);
    super::credentials::stored_auth(&v, &keys).map(|c| c.user)
}
