package libpq

import "time"

// maxDepth is OpenSSL's default verify depth (X509_VERIFY_PARAM depth 100):
// the most issuers above the leaf.
const maxDepth = 100

// chain is the chain build_chain makes: certificates from the leaf up, and
// how many of them, from the bottom, came from the server rather than the
// trust file.
type chain struct {
	certs     []*cert
	untrusted int
}

// buildChain is x509_vfy.c's build_chain with OpenSSL's defaults (trusted
// first, no partial chains, no DANE): the issuer of the top certificate is
// looked for in the trust file first, then among the served certificates;
// once a certificate of the trust file is in the chain, served ones are no
// longer used. The chain is trusted when it ends at a self-signed
// certificate of the trust file; otherwise the error says why not.
func buildChain(leaf *cert, served, trust []*cert, now time.Time) (*chain, *ChainError) {
	ch := &chain{certs: []*cert{leaf}, untrusted: 1}
	pool := append([]*cert(nil), served...)
	searchServed := true
	for {
		top := ch.certs[len(ch.certs)-1]
		if len(ch.certs) > maxDepth+1 {
			break
		}
		if issuer := findIssuer(top, trust, ch, now, true); issuer != nil {
			if top.selfSigned {
				if !sameCert(top, issuer) {
					break // a self-signed mimic of a trusted certificate
				}
				ch.certs[len(ch.certs)-1] = issuer
				ch.untrusted--
				return ch, nil
			}
			ch.certs = append(ch.certs, issuer)
			searchServed = false
			if issuer.selfSigned {
				return ch, nil
			}
			continue
		}
		if !searchServed || top.selfSigned {
			break
		}
		issuer := findIssuer(top, pool, ch, now, false)
		if issuer == nil {
			break
		}
		pool = removeCert(pool, issuer)
		ch.certs = append(ch.certs, issuer)
		ch.untrusted++
	}
	num := len(ch.certs)
	top := ch.certs[num-1]
	switch {
	case num > maxDepth+1:
		return ch, &ChainError{Code: ErrCertChainTooLong, Depth: num - 1, Cert: top.x}
	case top.selfSigned && num == 1:
		return ch, &ChainError{Code: ErrDepthZeroSelfSignedCert, Depth: 0, Cert: top.x}
	case top.selfSigned:
		return ch, &ChainError{Code: ErrSelfSignedCertInChain, Depth: num - 1, Cert: top.x}
	case ch.untrusted < num:
		return ch, &ChainError{Code: ErrUnableToGetIssuerCert, Depth: num - 1, Cert: top.x}
	}
	return ch, &ChainError{Code: ErrUnableToGetIssuerCertLocally, Depth: num - 1, Cert: top.x}
}

// findIssuer is find_issuer and X509_STORE_CTX_get1_issuer: among the
// candidates that likely issued x and are not in the chain yet, the first
// valid now, else the one that expires last. A self-signed certificate
// looked up in the trust file may find its own copy.
func findIssuer(x *cert, candidates []*cert, ch *chain, now time.Time, fromTrust bool) *cert {
	var best *cert
	for _, c := range candidates {
		if !likelyIssued(c, x) {
			continue
		}
		if !(fromTrust && x.selfSigned) && ch.contains(c) {
			continue
		}
		if validAt(c, now) {
			return c
		}
		if best == nil || c.x.NotAfter.After(best.x.NotAfter) {
			best = c
		}
	}
	return best
}

func (ch *chain) contains(c *cert) bool {
	for _, x := range ch.certs {
		if sameCert(x, c) {
			return true
		}
	}
	return false
}

func sameCert(a, b *cert) bool { return a.x.Equal(b.x) }

func removeCert(list []*cert, c *cert) []*cert {
	for i, x := range list {
		if x == c {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

// validAt is OpenSSL's time check: notBefore <= now < notAfter.
func validAt(c *cert, now time.Time) bool {
	return !now.Before(c.x.NotBefore) && now.Before(c.x.NotAfter)
}
