package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
	"github.com/magflow/pgtls_exporter/internal/testpeer"
)

// verdictShape is a chain that crypto/x509 and libpq judge differently, and
// what psql with sslmode=verify-full does with it.
type verdictShape struct {
	name string
	// trust is the sslrootcert file (and ca.cert); served the chain the
	// server presents, key its key; host the name psql connects with.
	trust  []*testcerts.Issued
	served []*testcerts.Issued
	host   string
	// goServer serves the chain from a Go TLS server speaking PostgreSQL's
	// SSLRequest, for chains PostgreSQL itself refuses to load (its own
	// OpenSSL security level checks its certificate too).
	goServer bool
	// connects is psql's outcome; psqlSays what its error holds otherwise.
	connects bool
	psqlSays string
	// code is what check (files and probe) and /probe report.
	code rules.Code
}

// TestVerdictsPredictPsql serves each shape, runs a real psql with
// sslmode=verify-full against it, and requires check (the certificate file
// and the live probe) and the real binary's /probe to predict what psql
// did: the code of the refusal, or a warning where psql connects.
func TestVerdictsPredictPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		testenv.SkipOrFatal(t, "psql is not installed (Debian package postgresql-client): %v", err)
	}
	tc := testenv.WriteTestCerts(t, filepath.Join(t.TempDir(), "certs"))
	s := testenv.StartT(t, testenv.Options{Certs: tc.Files})
	root := testcerts.CA(t, "Verdict Root")
	ca := func(parent *testcerts.Issued, name string, shape testcerts.Shape) *testcerts.Issued {
		return testcerts.IssueShaped(t, parent, name, nil, func(c *x509.Certificate) {
			c.IsCA, c.KeyUsage, c.ExtKeyUsage = true, x509.KeyUsageCertSign|x509.KeyUsageCRLSign, nil
			if shape != nil {
				shape(c)
			}
		})
	}
	leaf := func(parent *testcerts.Issued, name string, shape testcerts.Shape) *testcerts.Issued {
		return testcerts.IssueShaped(t, parent, name, nil, func(c *x509.Certificate) {
			c.DNSNames = []string{"localhost"}
			if shape != nil {
				shape(c)
			}
		})
	}
	inter := ca(root, "Verdict Intermediate", nil)
	constrained := ca(nil, "Constrained CA", func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"example.com"} })
	shapes := []verdictShape{
		{name: "intermediate_anchor", trust: []*testcerts.Issued{inter}, served: []*testcerts.Issued{leaf(inter, "db", nil), inter},
			host: "localhost", psqlSays: "certificate verify failed", code: rules.AnchorNotSelfSigned},
		{name: "cert_sign_usage", trust: []*testcerts.Issued{root},
			served: []*testcerts.Issued{leaf(root, "db", func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageCertSign })},
			host:   "localhost", psqlSays: "certificate verify failed", code: rules.LeafKeyUsageRefused},
		{name: "cn_outside_constraint", trust: []*testcerts.Issued{constrained},
			served: []*testcerts.Issued{leaf(constrained, "db.other.org", func(c *x509.Certificate) { c.DNSNames = nil })},
			host:   "db.other.org", psqlSays: "certificate verify failed", code: rules.NameConstraintViolation},
		{name: "rsa_1024", trust: []*testcerts.Issued{root}, goServer: true,
			served: []*testcerts.Issued{testcerts.IssueShaped(t, root, "db", testcerts.WeakRSAKey(t), func(c *x509.Certificate) { c.DNSNames = []string{"localhost"} })},
			host:   "localhost", psqlSays: "certificate verify failed", code: rules.WeakKey},
		{name: "sha1_signature", trust: []*testcerts.Issued{root}, goServer: true,
			served: []*testcerts.Issued{leaf(root, "db", func(c *x509.Certificate) { c.SignatureAlgorithm = x509.ECDSAWithSHA1 })},
			host:   "localhost", psqlSays: "certificate verify failed", code: rules.WeakSignature},
		{name: "ip_as_dns_san", trust: []*testcerts.Issued{root},
			served: []*testcerts.Issued{leaf(root, "db", func(c *x509.Certificate) { c.DNSNames = []string{"127.0.0.1"} })},
			host:   "127.0.0.1", connects: true, code: rules.IPAsDNSSAN},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			dir := t.TempDir()
			address := s.PostgresAddr()
			if sh.goServer {
				address = serveChainFromGo(t, sh.served)
			} else {
				installChain(t, s, tc.Files, sh.served)
			}
			trust := writeChain(t, filepath.Join(dir, "root.crt"), sh.trust)
			certFile := writeChain(t, filepath.Join(dir, "server.crt"), sh.served)
			connected, psqlOut := runPsql(t, psql, address, sh.host, trust, s.Password(testenv.UserApp))
			if connected != sh.connects || !sh.connects && !strings.Contains(psqlOut, sh.psqlSays) {
				t.Fatalf("psql: connected %v, want %v (%q)\n%s", connected, sh.connects, sh.psqlSays, psqlOut)
			}
			t.Logf("psql: connected %v: %s", connected, strings.TrimSpace(psqlOut))

			cfg := testcerts.WriteFile(t, filepath.Join(dir, "config.yml"), []byte(fmt.Sprintf(
				"ca: {cert: %s}\ncertificates: [{name: server, cert: %s, expected_names: [%s]}]\n"+
					"targets: [{name: live, address: %q, server_name: %q, certificate: server}]\n",
				trust, certFile, sh.host, address, sh.host)), 0o644)
			findings := checkJSON(t, cfg)
			want := rules.Critical
			if sh.connects {
				want = rules.Warning
			}
			for _, row := range []string{"server", "live served-verify", "live served-vs-file"} {
				entry, check, _ := strings.Cut(row, " ")
				got := findingsOf(findings, entry, check)
				if check == "served-vs-file" {
					if len(got) != 1 || got[0].Status != rules.OK {
						t.Fatalf("the server does not serve the shape's chain: %+v", got)
					}
					continue
				}
				if !slices.ContainsFunc(got, func(f rules.Finding) bool { return f.Code == sh.code && f.Status == want }) {
					t.Errorf("check %s: %+v, want %s %s", row, got, sh.code, want)
				}
				for _, f := range got {
					if f.Code == sh.code {
						t.Logf("check %s: %s %s: %s", row, f.Status, f.Code, f.Detail)
					}
				}
			}
			if codes := probeCodes(t, cfg, "live"); !slices.Equal(codes, []string{string(sh.code)}) {
				t.Errorf("/probe?target=live: pgtls_problem codes %q, want [%s]", codes, sh.code)
			}
		})
	}
}

// installChain makes PostgreSQL serve chain (with the leaf's key) and waits
// for the reload.
func installChain(t *testing.T, s *testenv.Stack, files testenv.CertFiles, chain []*testcerts.Issued) {
	t.Helper()
	var pem []byte
	for _, c := range chain {
		pem = append(pem, c.CertPEM...)
	}
	for path, data := range map[string][]byte{files.PostgresKey: chain[0].KeyPEM, files.PostgresCert: pem} {
		if err := os.WriteFile(path, data, 0); err != nil { // keeps the file's owner and mode
			t.Fatal(err)
		}
	}
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// serveChainFromGo serves chain from a Go TLS server after PostgreSQL's
// SSLRequest, and returns its address.
func serveChainFromGo(t *testing.T, chain []*testcerts.Issued) string {
	t.Helper()
	cert := tls.Certificate{PrivateKey: chain[0].Key, Leaf: chain[0].Cert}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Cert.Raw)
	}
	return testpeer.Start(t, testpeer.TLSAfterS(&tls.Config{Certificates: []tls.Certificate{cert}})).Addr
}

func writeChain(t *testing.T, path string, chain []*testcerts.Issued) string {
	t.Helper()
	var pem []byte
	for _, c := range chain {
		pem = append(pem, c.CertPEM...)
	}
	return testcerts.WriteFile(t, path, pem, 0o644)
}

// runPsql connects with sslmode=verify-full to address under host and runs
// one query; it reports whether that worked, and what psql printed.
func runPsql(t *testing.T, psql, address, host, rootCert, password string) (bool, string) {
	t.Helper()
	ip, port, err := net.SplitHostPort(address)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conninfo := fmt.Sprintf("host=%s hostaddr=%s port=%s dbname=magflow user=%s sslmode=verify-full sslrootcert=%s connect_timeout=10",
		host, ip, port, testenv.UserApp, rootCert)
	cmd := exec.CommandContext(ctx, psql, "-X", "-At", "-c", "SELECT 1", conninfo)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	return err == nil && strings.TrimSpace(string(out)) == "1", string(out)
}

// checkJSON runs the real binary's check on cfg and returns its findings.
func checkJSON(t *testing.T, cfg string) []rules.Finding {
	t.Helper()
	out, err := exec.Command(exporterBinary, "check", "--config.file="+cfg, "--output=json").Output()
	var exit *exec.ExitError
	if err != nil && !asExitError(err, &exit) {
		t.Fatal(err)
	}
	var res rules.Result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return res.Findings
}

func asExitError(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*target = e
	return ok
}

func findingsOf(findings []rules.Finding, entry, check string) []rules.Finding {
	var out []rules.Finding
	for _, f := range findings {
		if f.Entry == entry && (check == "" || f.Check == check) && (check != "" || f.Check == "verify" || f.Check == "san") {
			out = append(out, f)
		}
	}
	return out
}

// problemCode reads the code label of a pgtls_problem series.
var problemCode = regexp.MustCompile(`(?m)^pgtls_problem\{[^}]*code="([a-z0-9_]+)"[^}]*\} 1$`)

// probeCodes serves cfg with the real binary and returns the codes of the
// pgtls_problem series /probe?target=target answers with.
func probeCodes(t *testing.T, cfg, target string) []string {
	t.Helper()
	addr := serveExporter(t, cfg)
	resp, err := http.Get("http://" + addr + "/probe?target=" + target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "pgtls_problem{") || strings.HasPrefix(line, "pgtls_probe_verify_success") {
			t.Logf("/probe?target=%s: %s", target, line)
		}
	}
	var codes []string
	for _, m := range problemCode.FindAllStringSubmatch(string(body), -1) {
		codes = append(codes, m[1])
	}
	return codes
}

// serveExporter starts the real binary's serve on cfg, stopped when the
// test ends, and returns its address once it answers /-/healthy.
func serveExporter(t *testing.T, cfg string) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.PortT(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, exporterBinary, "--config.file="+cfg, "--web.listen-address="+addr, "--log.level=warn")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited; cancel() })
	for {
		if resp, err := http.Get("http://" + addr + "/-/healthy"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("serve exited: %v\n%s", err, stderr.String())
		case <-ctx.Done():
			t.Fatalf("serve did not answer /-/healthy\n%s", stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
