package libpq

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// opensslVerdict is what `openssl verify` said about a case: ok, or the
// first "error N at D depth lookup: TEXT" line.
type opensslVerdict struct {
	ok    bool
	code  int
	depth int
	text  string
	raw   string // stdout and stderr, for reports
}

var errorLine = regexp.MustCompile(`(?m)^error (\d+) at (\d+) depth lookup: (.*)$`)

// runOpenSSL verifies the case with the openssl binary as libpq's OpenSSL
// would: the trust file as CAfile, the whole served chain as untrusted,
// purpose sslserver, the case's security level as auth level.
func runOpenSSL(dir string, c tcase) (opensslVerdict, error) {
	write := func(name string, list []*x509.Certificate) (string, error) {
		var buf bytes.Buffer
		for _, x := range list {
			if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: x.Raw}); err != nil {
				return "", err
			}
		}
		path := filepath.Join(dir, name)
		return path, os.WriteFile(path, buf.Bytes(), 0o644)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return opensslVerdict{}, err
	}
	trust, err := write("trust.pem", c.trust)
	if err != nil {
		return opensslVerdict{}, err
	}
	untrusted, err := write("untrusted.pem", c.chain)
	if err != nil {
		return opensslVerdict{}, err
	}
	if _, err := write("leaf.pem", c.chain[:1]); err != nil {
		return opensslVerdict{}, err
	}
	cmd := exec.Command("openssl", "verify", "-auth_level", strconv.Itoa(c.level), "-purpose", "sslserver",
		"-attime", strconv.FormatInt(diffNow.Unix(), 10), "-CAfile", trust, "-untrusted", untrusted, "leaf.pem")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	v := opensslVerdict{raw: strings.TrimSpace(stdout.String() + stderr.String())}
	if runErr == nil && strings.TrimSpace(stdout.String()) == "leaf.pem: OK" {
		v.ok = true
		return v, nil
	}
	m := errorLine.FindStringSubmatch(stderr.String())
	if m == nil {
		return v, fmt.Errorf("openssl verify failed without an error line: %v: %s", runErr, v.raw)
	}
	v.code, _ = strconv.Atoi(m[1])
	v.depth, _ = strconv.Atoi(m[2])
	v.text = m[3]
	return v, nil
}

// compare returns the disagreements between Verify and the oracles for c.
func compare(c tcase, o opensslVerdict) []string {
	v := Verify(Input{Chain: c.chain, Trust: c.trust, Host: c.host, SecurityLevel: c.level, Now: diffNow})
	var out []string
	if v.Undecided != "" {
		out = append(out, "undecided: "+v.Undecided)
	}
	switch {
	case o.ok && v.Err != nil:
		out = append(out, fmt.Sprintf("openssl OK, Verify: error %d at %d: %s", v.Err.Code, v.Err.Depth, v.Err.Code))
	case !o.ok && v.Err == nil:
		out = append(out, fmt.Sprintf("openssl error %d at %d: %s; Verify: OK", o.code, o.depth, o.text))
	case !o.ok && (int(v.Err.Code) != o.code || v.Err.Depth != o.depth || v.Err.Code.String() != o.text):
		out = append(out, fmt.Sprintf("openssl error %d at %d: %s; Verify: error %d at %d: %s",
			o.code, o.depth, o.text, v.Err.Code, v.Err.Depth, v.Err.Code))
	}
	if !o.ok || v.Err != nil {
		return out
	}
	wantOK, wantMsg := libpqHostOracle(c.chain[0], c.host)
	switch {
	case wantOK != v.OK():
		out = append(out, fmt.Sprintf("host %q: libpq matches %v, Verify.OK() %v (%v)", c.host, wantOK, v.OK(), v.NameErr))
	case !wantOK && v.NameErr.Error() != wantMsg:
		out = append(out, fmt.Sprintf("host %q: libpq says %q, Verify %q", c.host, wantMsg, v.NameErr.Error()))
	}
	return out
}

// oracleKey identifies what openssl is given: the chain, the trust file
// and the level.
func oracleKey(c tcase) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d;", c.level)
	for _, list := range [][]*x509.Certificate{c.chain, c.trust} {
		for _, x := range list {
			fmt.Fprintf(h, "%d:%x;", len(x.Raw), sha256.Sum256(x.Raw))
		}
		h.Write([]byte{'|'})
	}
	return string(h.Sum(nil))
}

// allCases generates every shape.
func allCases(t *testing.T) []tcase {
	g := newGen(t)
	var l caseList
	for _, shape := range []func(*gen, *caseList){anchorCases, usageCases, ncCases, keyCases, validityCases, hostCases, extensionCases, otherNameCases} {
		shape(g, &l)
	}
	return l.cases
}

// TestDifferentialOpenSSL checks Verify against `openssl verify` and
// libpq's host rule on generated chains. Without openssl it is skipped,
// unless CI=true.
func TestDifferentialOpenSSL(t *testing.T) {
	out, err := exec.Command("openssl", "version").Output()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl is needed: %v", err)
		}
		t.Skipf("openssl not available: %v", err)
	}
	if !strings.HasPrefix(string(out), "OpenSSL 3.0.") {
		t.Logf("oracle is %s; Verify follows OpenSSL 3.0", strings.TrimSpace(string(out)))
	}
	start := time.Now()
	cases := allCases(t)
	genTime := time.Since(start)
	dir := t.TempDir()
	type result struct {
		problems []string
		err      error
		raw      string
		outcome  string
	}
	// Cases that differ only in the host share one openssl run.
	unique, keyIndex := []int{}, map[string]int{}
	caseRun := make([]int, len(cases))
	for i, c := range cases {
		k := oracleKey(c)
		if _, ok := keyIndex[k]; !ok {
			keyIndex[k] = len(unique)
			unique = append(unique, i)
		}
		caseRun[i] = keyIndex[k]
	}
	verdicts := make([]opensslVerdict, len(unique))
	runErrs := make([]error, len(unique))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range jobs {
				verdicts[u], runErrs[u] = runOpenSSL(filepath.Join(dir, strconv.Itoa(u)), cases[unique[u]])
			}
		}()
	}
	for u := range unique {
		jobs <- u
	}
	close(jobs)
	wg.Wait()
	results := make([]result, len(cases))
	for i, c := range cases {
		o, err := verdicts[caseRun[i]], runErrs[caseRun[i]]
		results[i] = result{err: err, raw: o.raw, outcome: "OK"}
		if !o.ok {
			results[i].outcome = fmt.Sprintf("error %d at %d", o.code, o.depth)
		}
		if err == nil {
			results[i].problems = compare(c, o)
		}
	}
	perShape, outcomes := map[string]int{}, map[string]int{}
	failed := 0
	for i, c := range cases {
		perShape[c.shape]++
		r := results[i]
		outcomes[r.outcome]++
		if r.err != nil {
			t.Errorf("case %d [%s] %s: %v", i, c.shape, c.desc, r.err)
			failed++
			continue
		}
		if len(r.problems) > 0 {
			failed++
			t.Errorf("case %d [%s] %s (level %d):\n\t%s\n\topenssl: %s", i, c.shape, c.desc, c.level,
				strings.Join(r.problems, "\n\t"), strings.ReplaceAll(r.raw, "\n", " | "))
		}
	}
	t.Logf("%d cases (%s), %d openssl runs, %d disagreements; generated in %v, total %v", len(cases), counts(perShape),
		len(unique), failed, genTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	t.Logf("openssl verdicts: %s", counts(outcomes))
}

// counts lists a histogram, sorted by key.
func counts(m map[string]int) string {
	list := make([]string, 0, len(m))
	for k, n := range m {
		list = append(list, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(list)
	return strings.Join(list, ", ")
}
