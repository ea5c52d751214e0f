package renew

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/config"
)

// TestConcurrentRuns: while one renew holds the lock a second one refuses
// with a clear message, or with --wait runs once the first is done.
func TestConcurrentRuns(t *testing.T) {
	f := newFixture(t, "").withCerts(t, time.Now().Add(5*24*time.Hour))
	holding, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	var firstCode int
	wg.Go(func() {
		firstCode, _ = f.run(t, Options{NoReload: true, Checkpoint: func(step string) {
			if step == "journal-prepared" {
				close(holding)
				<-release
			}
		}})
	})
	<-holding
	code, out := f.run(t, Options{NoReload: true})
	if code != ExitRefused || !strings.Contains(out, "another renew is running (pid "+strconv.Itoa(os.Getpid())+" holds") ||
		!strings.Contains(out, "run again later, or with --wait") {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	waited := make(chan string)
	go func() {
		code, out := f.run(t, Options{NoReload: true, Wait: true})
		if code != ExitOK {
			t.Errorf("waiting run: exit %d", code)
		}
		waited <- out
	}()
	select {
	case out := <-waited:
		t.Fatalf("--wait did not wait:\n%s", out)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	wg.Wait()
	if firstCode != ExitOK {
		t.Fatalf("first run: exit %d", firstCode)
	}
	if out := <-waited; !strings.Contains(out, "Nothing to do.") {
		t.Fatalf("waiting run did not see the first one's result:\n%s", out)
	}
	requireConsistent(t, f.config(t))
}

// TestComposeCommands checks the exact argv lists generated for the
// reference docker compose flow (no Docker engine runs here).
func TestComposeCommands(t *testing.T) {
	f := newFixture(t, `renew:
  docker_compose: {project_dir: deploy, files: [docker-compose.yml], project_name: magflow}
  services:
    - name: pgbouncer
      kind: pgbouncer
      certificates: [pgbouncer]
      docker_compose:
        service: pgbouncer
        copy: [{file: combined, to: /etc/pgbouncer/certs/pgbouncer.pem}, {file: ca, to: /etc/pgbouncer/certs/ca.crt}]
    - name: db
      kind: postgres
      certificates: [postgres]
      docker_compose:
        service: db
        user: postgres
        archive: true
        copy:
          - {certificate: postgres, file: cert, to: /var/lib/postgresql/data/server.crt}
          - {certificate: postgres, file: key, to: /var/lib/postgresql/data/server.key}
    - name: db-sql
      kind: postgres
      certificates: [postgres]
      docker_compose: {service: db, copy: [{file: cert, to: /x.crt}]}
      reload: {sql: {dsn: "host=db user=postgres"}}
`)
	cfg := f.config(t)
	abs := func(rel string) string { return filepath.Join(f.dir, rel) }
	pre := []string{"docker", "compose", "-f", "docker-compose.yml", "-p", "magflow"}
	cat := func(parts ...[]string) []string { return slices.Concat(parts...) }
	want := map[string][][]string{
		"pgbouncer": {
			cat(pre, []string{"cp", abs("certs/pgbouncer-combined.pem"), "pgbouncer:/etc/pgbouncer/certs/pgbouncer.pem"}),
			cat(pre, []string{"cp", abs("certs/ca/ca.crt"), "pgbouncer:/etc/pgbouncer/certs/ca.crt"}),
			cat(pre, []string{"exec", "-T", "pgbouncer", "pgbouncer", "-R", "/etc/pgbouncer/pgbouncer.ini"}),
		},
		"db": {
			cat(pre, []string{"cp", "-a", abs("certs/postgres.crt"), "db:/var/lib/postgresql/data/server.crt"}),
			cat(pre, []string{"cp", "-a", abs("certs/postgres.key"), "db:/var/lib/postgresql/data/server.key"}),
			cat(pre, []string{"exec", "-T", "--user", "postgres", "db", "pg_ctl", "reload"}),
		},
		"db-sql": {cat(pre, []string{"cp", abs("certs/postgres.crt"), "db:/x.crt"})},
	}
	for _, s := range cfg.Renew.Services {
		install, err := ComposeInstallCommands(cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		got := install
		if r := ComposeReloadCommand(cfg, s); r != nil {
			got = append(got, r)
		}
		if !slices.EqualFunc(got, want[s.Name], slices.Equal) {
			t.Errorf("service %s:\n got %q\nwant %q", s.Name, got, want[s.Name])
		}
		acts, err := serviceActions(cfg, s)
		if err != nil || len(acts) != len(want[s.Name])+boolInt(s.Name == "db-sql") {
			t.Errorf("service %s: %d actions, %v", s.Name, len(acts), err)
		}
	}
	if d := composeDir(cfg); d != abs("deploy") {
		t.Errorf("compose runs in %s", d)
	}
	if last := mustActions(t, cfg, cfg.Renew.Services[2]); !strings.HasPrefix(last.what, `SQL "SELECT pg_reload_conf()"`) {
		t.Errorf("explicit reload not used: %s", last.what)
	}
}

// mustActions returns the last action of a service.
func mustActions(t *testing.T, cfg *config.Config, s config.Service) action {
	t.Helper()
	acts, err := serviceActions(cfg, s)
	if err != nil || len(acts) == 0 {
		t.Fatalf("service %s: %v", s.Name, err)
	}
	return acts[len(acts)-1]
}

func TestRunCommand(t *testing.T) {
	ctx := context.Background()
	if err := runCommand(ctx, t.TempDir(), []string{"true"}); err != nil {
		t.Fatal(err)
	}
	err := runCommand(ctx, t.TempDir(), []string{"sh", "-c", "echo first; echo reload refused >&2; exit 3"})
	if err == nil || err.Error() != `sh -c "echo first; echo reload refused >&2; exit 3": exit status 3: first | reload refused` {
		t.Fatalf("failure: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := runCommand(short, t.TempDir(), []string{"sleep", "10"}); err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
		t.Fatalf("timeout: %v", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatal("the timeout did not stop the command")
	}
	if err := runCommand(ctx, t.TempDir(), []string{"/no/such/program"}); err == nil {
		t.Fatal("missing program ran")
	}
}

func TestSignalPIDFile(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pidFile := filepath.Join(t.TempDir(), "x.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n/data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A pid that runs another program is not signalled.
	if err := signalPIDFile(pidFile, syscall.SIGUSR1, []string{"postgres", "postmaster"}); err == nil ||
		!strings.Contains(err.Error(), "is sleep, not postgres or postmaster: stale pid file, not signalled") {
		t.Fatalf("stale pid: %v", err)
	}
	if err := signalPIDFile(pidFile, syscall.SIGUSR1, []string{"sleep"}); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGUSR1 {
		t.Fatalf("child did not get SIGUSR1: %v", err)
	}
	for _, content := range []string{"", "1\n", "abc\n"} {
		if err := os.WriteFile(pidFile, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := signalPIDFile(pidFile, syscall.SIGHUP, nil); err == nil || !strings.Contains(err.Error(), "holds no usable pid") {
			t.Errorf("%q: %v", content, err)
		}
	}
}

func TestReloadCommandFailureRollsBack(t *testing.T) {
	f := newFixture(t, `renew:
  services:
    - {name: db, kind: postgres, certificates: [pgbouncer, postgres], reload: {command: ["false"]}}
`).withCerts(t, time.Now().Add(5*24*time.Hour))
	before := snapshot(t, f.path("certs"))
	code, out := f.run(t, Options{})
	// The reload fails again after the restore and no target can confirm
	// the old certificate: a person must look.
	if code != ExitBroken || !strings.Contains(out, "no target can confirm the old certificates are served") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if d := diffSnapshots(before, snapshot(t, f.path("certs"))); d != "" {
		t.Fatalf("files not restored:\n%s", d)
	}
	// Fixed: the next run finishes the rollback, the one after renews.
	f.writeConfig(t, "renew:\n  services:\n    - {name: db, kind: postgres, certificates: [pgbouncer, postgres], reload: {command: [\"true\"]}}\n")
	if code, out := f.run(t, Options{}); code != ExitRolledBack {
		t.Fatalf("finishing the rollback: exit %d\n%s", code, out)
	}
	if code, out := f.run(t, Options{}); code != ExitOK {
		t.Fatalf("renew: exit %d\n%s", code, out)
	}
	requireConsistent(t, f.config(t))
}

// TestExampleComposeFlow: config.example.yml generates the reference
// document's copy and reload commands.
func TestExampleComposeFlow(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "..", "config.example.yml"))
	if err != nil {
		t.Fatal(err)
	}
	certs, _ := filepath.Abs(filepath.Join("..", "..", "certs"))
	want := map[string][][]string{
		"pgbouncer": {
			{"docker", "compose", "cp", certs + "/pgbouncer-combined.pem", "pgbouncer:/etc/pgbouncer/certs/pgbouncer.pem"},
			{"docker", "compose", "exec", "-T", "pgbouncer", "pgbouncer", "-R", "/etc/pgbouncer/pgbouncer.ini"},
		},
		"db": {
			{"docker", "compose", "cp", certs + "/postgres.crt", "db:/var/lib/postgresql/data/server.crt"},
			{"docker", "compose", "cp", certs + "/postgres.key", "db:/var/lib/postgresql/data/server.key"},
			{"docker", "compose", "exec", "-T", "--user", "postgres", "db", "pg_ctl", "reload"},
		},
	}
	for _, s := range cfg.Renew.Services {
		got, err := ComposeInstallCommands(cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ComposeReloadCommand(cfg, s))
		if !slices.EqualFunc(got, want[s.Name], slices.Equal) {
			t.Errorf("service %s:\n got %q\nwant %q", s.Name, got, want[s.Name])
		}
	}
}
