// Package certs parses and judges certificate and key material: PEM and DER
// bundles, private keys (public half for judging, the signer for signing),
// SAN coverage, chain verification to a CA, key/certificate match and
// PostgreSQL's key-file permission rule. It is the one reader of key files
// for every command, so check and renew give a file the same verdict.
//
// Apart from ReadPasswordFile, the one reader of password files, it does
// no IO: callers read files and stat them, and pass bytes and ownership
// facts in. Parse failures are *ParseError values with a Reason
// from a fixed list; nothing here panics on outside input.
package certs
