// Package libpq decides verify-full as a libpq client on OpenSSL 3.0 does:
// psql, psycopg, PgBouncer's server_tls_sslmode and most drivers.
//
// libpq hands the served chain to OpenSSL's X509_verify_cert with the
// sslrootcert file loaded into the store (SSL_CTX_load_verify_locations),
// purpose "sslserver", the security level of the SSL context (2 on Debian 12)
// as the authentication level, and without X509_V_FLAG_PARTIAL_CHAIN; then it
// matches the host itself (pgtls_verify_peer_name_matches_certificate_guts in
// fe-secure-openssl.c, pq_verify_peer_name_matches_certificate_name and _ip in
// fe-secure-common.c). Verify follows OpenSSL 3.0's x509_vfy.c in that order,
// and reports the first error with OpenSSL's code, depth and text:
//
//  1. the leaf key's security bits (X509_V_ERR_EE_KEY_TOO_SMALL);
//  2. build_chain, trusted first: an issuer from the trust file is preferred,
//     and once one is found the served certificates are no longer used; the
//     chain must end at a self-signed certificate of the trust file, so an
//     intermediate there is no anchor ("unable to get issuer certificate");
//  3. check_extensions: unhandled critical extensions, CA flags
//     (X509_check_ca), purpose sslserver (extended key usage serverAuth on
//     every certificate that has one, and a leaf key usage allowing
//     digitalSignature, keyEncipherment or keyAgreement), path lengths;
//  4. check_auth_level: issuer keys, and the signature digest of every
//     certificate but the anchor (SHA-1 counts 63 bits, MD5 39);
//  5. internal_verify: signatures and validity periods, from the anchor down;
//  6. check_name_constraints, with the leaf's common name checked against DNS
//     constraints when the leaf has no DNS name in its SANs.
//
// crypto/x509 parses the certificates and checks the signatures; its own
// Verify, whose rules differ (any pool member is an anchor, key usage is not
// checked, the common name is ignored), is not used.
package libpq
