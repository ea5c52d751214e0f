package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// exporterBinary is built once by TestMain, with CGO_ENABLED=0 as in the
// Dockerfile.
var exporterBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pgtls-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	exporterBinary = filepath.Join(dir, "pgtls_exporter")
	cmd := exec.Command("go", "build", "-o", exporterBinary, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build (CGO_ENABLED=0, as in the Dockerfile): %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// writeCertSet writes a CA and a healthy entry "pg" into a new folder.
func writeCertSet(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ca := testcerts.CA(t, "Main CA")
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	testcerts.WriteEntry(t, dir, "pg", ca, testcerts.Options{DNSNames: []string{"postgres"}}, 0o600)
	return dir
}

func writeConfig(t *testing.T, dir, entryName string) string {
	t.Helper()
	return testcerts.WriteFile(t, filepath.Join(dir, "config.yml"), []byte(fmt.Sprintf(`
ca: {cert: ca.crt}
certificates:
  - {name: %s, cert: pg.crt, key: pg.key, expected_names: [postgres]}
`, entryName)), 0o644)
}

func TestServeReloadOnSIGHUP(t *testing.T) {
	bin := exporterBinary
	dir := writeCertSet(t)
	cfg := writeConfig(t, dir, "first")
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.PortT(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--config.file="+cfg, "--web.listen-address="+addr)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	// scrape waits until the exporter has read its files (/-/ready), as
	// after start or a reload, then scrapes.
	scrape := func() string {
		for i := 0; i < 200; i++ {
			ready, err := http.Get("http://" + addr + "/-/ready")
			if err == nil {
				ready.Body.Close()
			}
			if err == nil && ready.StatusCode == http.StatusOK {
				if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					return string(body)
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("exporter did not answer\n%s", stderr.String())
		return ""
	}
	if body := scrape(); !strings.Contains(body, `pgtls_cert_verify_success{name="first",path="pg.crt"} 1`) {
		t.Fatalf("first scrape:\n%s", body)
	}
	writeConfig(t, dir, "second")
	resp, err := http.Post("http://"+addr+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || string(body) != "Lifecycle API is not enabled." {
		t.Fatalf("POST /-/reload without --web.enable-lifecycle: %d %q", resp.StatusCode, body)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(scrape(), `name="second"`) {
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP did not reload\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
	}
}

func TestCommands(t *testing.T) {
	bin := exporterBinary
	dir := writeCertSet(t)
	cfg := writeConfig(t, dir, "pg")
	bad := testcerts.WriteFile(t, filepath.Join(dir, "bad.yml"), []byte("ca: {cert: x}\ncertificates: [{name: pg}]\n"), 0o644)
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"check", "--config.file=" + cfg}, 0, "PGTLS OK - 0 critical, 0 warning, 0 unknown, 10 ok | "},
		{[]string{"check", "--config.file=" + cfg, "--warn-before=400d"}, 1, "PGTLS WARNING - 0 critical, 1 warning"},
		{[]string{"check", "--config.file=" + cfg, "--warn-before=500d", "--crit-before=400d"}, 2, "PGTLS CRITICAL - 1 critical"},
		// The flags are validated as the YAML is, with the same message.
		{[]string{"check", "--config.file=" + cfg, "--crit-before=400d"}, 3,
			"thresholds.crit_before: 400d must be shorter than thresholds.warn_before, which defaults to 30d"},
		{[]string{"check", "--config.file=" + cfg, "--warn-before=5d", "--crit-before=10d"}, 3,
			"thresholds.crit_before: 10d must be shorter than thresholds.warn_before (5d)"},
		{[]string{"check", "--config.file=" + cfg, "--output=json"}, 0, `"exit_code": 0`},
		{[]string{"check", "--config.file=" + bad}, 3, "certificates[0].cert: is required"},
		{[]string{"--config.file=" + cfg, "--config.check"}, 0, "configuration is valid"},
		{[]string{"--config.file=" + bad, "--config.check"}, 3, "certificates[0].cert: is required"},
		{[]string{"version"}, 0, "pgtls_exporter, version"},
		{[]string{"check", "--warn-before=soon"}, 3, "not a valid duration"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, err := exec.Command(bin, tc.args...).CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(string(out), tc.out) {
				t.Fatalf("exit %d (want %d), output:\n%s\nwant it to contain %q", code, tc.code, out, tc.out)
			}
		})
	}
}

func TestRenewCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := testcerts.WriteFile(t, filepath.Join(dir, "config.yml"), []byte(`
ca: {cert: certs/ca/ca.crt, key: certs/ca/ca.key}
certificates:
  - {name: pg, cert: certs/pg.crt, key: certs/pg.key, combined: certs/pg-combined.pem, expected_names: [postgres, 127.0.0.1]}
renew: {state_dir: state}
`), 0o644)
	run := func(args ...string) (int, string) {
		out, err := exec.Command(exporterBinary, append([]string{"--config.file=" + cfg}, args...)...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	steps := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"renew"}, 4, "run `pgtls_exporter renew --init` to create one"},
		{[]string{"renew", "--init", "--dry-run"}, 4, "or run with --no-reload to write the files alone"},
		{[]string{"renew", "--init", "--no-reload", "--dry-run"}, 0, "Dry run: nothing was written."},
		{[]string{"renew", "--init", "--no-reload"}, 0, "renew: ok: renewed pg"},
		{[]string{"renew"}, 0, "Nothing to do."},
		{[]string{"check", "--warn-before=30d"}, 0, "PGTLS OK - "},
		{[]string{"renew", "--force", "--only", "pg", "--no-reload"}, 0, "renew pg: forced (--force)"},
		{[]string{"renew", "--only", "nope"}, 4, "--only nope: no certificates entry has that name"},
		{[]string{"check", "--warn-before=30d"}, 1, "renew_refused"},
		{[]string{"renew", "--force"}, 4, "entry pg: no renew.services entry reloads it and no target serves it, so nothing would load a new certificate"},
		{[]string{"renew", "--force", "--no-reload"}, 0, "a running server keeps serving its old certificate until it is reloaded)"},
		{[]string{"check", "--warn-before=30d"}, 0, "PGTLS OK - "},
		{[]string{"renew", "--finish"}, 3, "pgtls_exporter: --until and --finish belong to --rotate-ca"},
		{[]string{"renew", "--rotate-ca", "--force"}, 3, "pgtls_exporter: --rotate-ca goes with neither --init, --force, --only nor --no-reload"},
		{[]string{"renew", "--rotate-ca", "--until", "halfway"}, 3, "enum value must be one of prepare,switch,finish, got 'halfway'"},
		{[]string{"renew", "--rotate-ca", "--dry-run"}, 4, "REFUSED, nothing will be written: renew.services is empty: no server would load the new trust or certificates"},
	}
	for _, s := range steps {
		code, out := run(s.args...)
		if code != s.code || !strings.Contains(out, s.out) {
			t.Fatalf("%v: exit %d (want %d)\n%s\nwant it to contain %q", s.args, code, s.code, out, s.out)
		}
		if strings.Contains(out, "PRIVATE KEY") {
			t.Fatalf("%v printed key material", s.args)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "state.json")); err != nil {
		t.Fatalf("state file: %v", err)
	}
}

func TestConfigCheckFiles(t *testing.T) {
	dir := writeCertSet(t)
	write := func(name, yml string) string {
		return testcerts.WriteFile(t, filepath.Join(dir, name), []byte(yml), 0o644)
	}
	valid := write("valid.yml", "ca: {cert: ca.crt}\ncertificates: [{name: pg, cert: pg.crt, key: pg.key}]\n")
	missing := write("missing.yml", `ca: {cert: ca.crt}
certificates: [{name: pg, cert: pg.crt, key: gone.key}, {name: db, cert: /etc/x/db.crt}]
sessions:
  postgres: [{name: pg, dsn: "host=db password=hunter2 sslrootcert=root.crt"}]
`)
	preInit := write("pre-init.yml", "ca: {cert: ca/ca.crt, key: ca/ca.key}\ncertificates: [{name: pg, cert: pg.crt}]\n")
	tests := []struct {
		cfg            string
		code           int
		stdout, stderr string
	}{
		{valid, 0, valid + ": configuration is valid\n", ""},
		{missing, 3, "", "certificates[0].key: gone.key (" + dir + "/gone.key): no such file or directory\n" +
			"certificates[1].cert: /etc/x/db.crt: no such file or directory\n" +
			"sessions.postgres[0].dsn: sslrootcert=root.crt (" + dir + "/root.crt): no such file or directory\n" +
			missing + ": configuration is invalid: 3 of the paths it names cannot be used\n"},
		{preInit, 3, "", "ca.cert: ca/ca.crt (" + dir + "/ca/ca.crt): no such file or directory; " +
			"neither ca.cert nor ca.key exists: `pgtls_exporter renew --init` creates the CA\n" +
			"ca.key: ca/ca.key (" + dir + "/ca/ca.key): no such file or directory\n" +
			preInit + ": configuration is invalid: 2 of the paths it names cannot be used\n"},
	}
	for _, tc := range tests {
		code, stdout, stderr := runStreams(t, "--config.file="+tc.cfg, "--config.check")
		if code != tc.code || stdout != tc.stdout || stderr != tc.stderr {
			t.Errorf("%s: exit %d (want %d)\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s", filepath.Base(tc.cfg), code, tc.code,
				stdout, tc.stdout, stderr, tc.stderr)
		}
	}
}
