package ciphers

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DefaultLevel is the OpenSSL security level of a cipher string that sets
// none, on Debian and Ubuntu: their openssl.cnf sets
// CipherString = DEFAULT:@SECLEVEL=2 (OpenSSL's own default is 1).
const DefaultLevel = 2

// defaultList is what OpenSSL 3.0 reads a leading DEFAULT as
// (OSSL_default_cipher_list).
const defaultList = "ALL:!COMPLEMENTOFDEFAULT:!eNULL"

// ErrNoCipherMatch is OpenSSL's "no cipher match": the string enables no
// TLS 1.2 or older suite, and the server refuses it.
var ErrNoCipherMatch = errors.New("no cipher match: the string enables no suite, and OpenSSL refuses it")

// Setting is what an OpenSSL cipher string enables on a server: the TLS
// 1.2 and older suites a client can get (TLS 1.3's are set apart), at the
// security level in force.
type Setting struct {
	Suites []Suite
	Level  int
}

// Parse reads a cipher string as OpenSSL 3.0's SSL_CTX_set_cipher_list
// does and returns the suites it enables on a server without PSK or SRP,
// at its @SECLEVEL or defaultLevel. Elements are separated by ':', ',',
// ' ' or ';'; a bare element adds suites not yet added, "-" removes them
// (they may be added again), "!" removes them for good, "+" only reorders;
// "A+B" selects the suites both select; a leading DEFAULT stands for
// OpenSSL's default list; unknown names select nothing.
func Parse(spec string, defaultLevel int) (Setting, error) {
	const (
		inactive = iota
		active
		killed
	)
	suites := opensslSuites()
	state := make([]int, len(suites))
	known := aliases()
	level := defaultLevel
	if rest, ok := strings.CutPrefix(spec, "DEFAULT"); ok {
		spec = defaultList + ":" + strings.TrimPrefix(rest, ":")
	}
	for _, elem := range strings.FieldsFunc(spec, func(r rune) bool { return strings.ContainsRune(":, ;", r) }) {
		op := elem[0]
		if op == '!' || op == '-' || op == '+' {
			elem = elem[1:]
		} else {
			op = 0
		}
		if l, ok := strings.CutPrefix(elem, "@SECLEVEL="); ok {
			n, err := strconv.Atoi(l)
			if err != nil || n < 0 || n > 5 {
				return Setting{}, fmt.Errorf("%q: @SECLEVEL must be 0 to 5", elem)
			}
			level = n
			continue
		}
		if strings.HasPrefix(elem, "@") || op == '+' {
			continue // @STRENGTH and "+" only reorder
		}
		m, ok := keyword(elem, known)
		if !ok {
			continue
		}
		for i, s := range suites {
			if s.TLS13() || state[i] == killed || !m(s) {
				continue
			}
			switch op {
			case '!':
				state[i] = killed
			case '-':
				state[i] = inactive
			default:
				state[i] = active
			}
		}
	}
	out := Setting{Level: level}
	listed := false
	for i, s := range suites {
		if state[i] != active {
			continue
		}
		listed = true
		if s.Level >= level {
			out.Suites = append(out.Suites, s)
		}
	}
	if !listed {
		return out, ErrNoCipherMatch
	}
	return out, nil
}
