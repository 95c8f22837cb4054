//! The one `unsafe` of zookeeper-client's API: TLS without checking the server's host name.
//! The crate marks it `unsafe` as its word for "a man in the middle is possible", not for
//! memory: the call touches no pointer.

use zookeeper_client::TlsOptions;

/// `options` with the server's host name left unchecked (`--no-hostname-verification`):
/// asked for by the user, and warned about on every run (security/mod.rs).
pub fn without_hostname_verification(options: TlsOptions) -> TlsOptions {
    // SAFETY: nothing of memory: the crate's marker of a weaker TLS check (above).
    unsafe { options.with_no_hostname_verification() }
}
