package libpq

import (
	//lint:ignore SA1019 DSA keys in certificates are judged, never used
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"math"
)

// DefaultSecurityLevel is OpenSSL's level on Debian 12 (openssl.cnf
// CipherString DEFAULT@SECLEVEL=2), which libpq's connections get.
const DefaultSecurityLevel = 2

// minBits is the security each level asks of keys and signatures
// (minbits_table in x509_vfy.c).
var minBits = [...]int{80, 112, 128, 192, 256}

// levelBits is what a level asks; 0 for level 0 (no checks).
func levelBits(level int) int {
	switch {
	case level <= 0:
		return 0
	case level > len(minBits):
		return minBits[len(minBits)-1]
	}
	return minBits[level-1]
}

// keyBits is EVP_PKEY_get_security_bits for the certificate's key. A key
// crypto/x509 cannot read (Ed448, RSA-PSS) counts as strong enough: the
// verdict is marked undecided instead (see Verdict.Undecided).
func keyBits(x *x509.Certificate) int {
	switch k := x.PublicKey.(type) {
	case *rsa.PublicKey:
		return ifcBits(k.N.BitLen())
	case *ecdsa.PublicKey:
		return k.Curve.Params().N.BitLen() / 2
	case *dsa.PublicKey:
		return min(ifcBits(k.P.BitLen()), k.Q.BitLen()/2)
	}
	if x.PublicKeyAlgorithm == x509.Ed25519 {
		return 128
	}
	return math.MaxInt
}

// ifcBits is ossl_ifc_ffc_compute_security_bits: the canonical values of
// the standards for common sizes, else the formula of SP 800-56B rounded
// up to a multiple of 8.
func ifcBits(n int) int {
	switch n {
	case 2048:
		return 112
	case 3072:
		return 128
	case 4096:
		return 152
	case 6144:
		return 176
	case 7680:
		return 192
	case 8192:
		return 200
	case 15360:
		return 256
	}
	if n >= 687737 {
		return 1200
	}
	if n < 8 {
		return 0
	}
	limit := 1200
	switch {
	case n <= 7680:
		limit = 192
	case n <= 15360:
		limit = 256
	}
	x := float64(n) * math.Ln2
	lx := math.Log(x)
	y := int((1.923*math.Cbrt(x*lx*lx) - 4.69) / math.Ln2)
	y = (y + 4) &^ 7
	return min(y, limit)
}

// signatureBits is the security of the certificate's signature
// (X509_get_signature_info): half the digest's bits, 63 for SHA-1 and 39
// for MD5, which OpenSSL 3.0 counts as broken. An algorithm crypto/x509
// does not know counts as strong enough, and the verdict is undecided.
func signatureBits(x *x509.Certificate) int {
	switch x.SignatureAlgorithm {
	case x509.MD5WithRSA:
		return 39
	case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
		return 63
	case x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256, x509.DSAWithSHA256, x509.PureEd25519:
		return 128
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		return 192
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		return 256
	}
	return math.MaxInt
}
