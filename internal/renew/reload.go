package renew

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/regfile"
)

// action is one install or reload step of a service. What describes it
// without secrets.
type action struct {
	service string
	what    string
	run     func(ctx context.Context) error
}

// serviceActions are the install steps (docker compose cp) followed by the
// reload step of a service.
func serviceActions(cfg *config.Config, s config.Service) ([]action, error) {
	var out []action
	install, err := ComposeInstallCommands(cfg, s)
	if err != nil {
		return nil, err
	}
	dir := composeDir(cfg)
	for _, argv := range install {
		out = append(out, commandAction(s.Name, dir, argv))
	}
	switch r := s.Reload; {
	case r.SQL != nil:
		out = append(out, sqlAction(cfg, s))
	case r.Signal != nil:
		out = append(out, signalAction(cfg, s, r.Signal))
	case len(r.Command) > 0:
		out = append(out, commandAction(s.Name, cfg.Resolve("."), r.Command))
	default:
		if argv := ComposeReloadCommand(cfg, s); argv != nil {
			out = append(out, commandAction(s.Name, dir, argv))
		}
	}
	return out, nil
}

// reloadStatement is what a service's SQL reload runs.
func reloadStatement(kind string) string {
	if kind == config.KindPgBouncer {
		return "RELOAD;"
	}
	return "SELECT pg_reload_conf()"
}

func sqlAction(cfg *config.Config, s config.Service) action {
	r := s.Reload.SQL
	stmt := reloadStatement(s.Kind)
	what := fmt.Sprintf("SQL %q on %q", stmt, r.DSN)
	if r.PasswordFile != "" {
		what += " (password from " + r.PasswordFile + ")"
	}
	passwordFile := ""
	if r.PasswordFile != "" {
		passwordFile = cfg.Resolve(r.PasswordFile)
	}
	return action{service: s.Name, what: what, run: func(ctx context.Context) error {
		return runSQL(ctx, r.DSN, passwordFile, s.Kind)
	}}
}

// connectSimple connects with dsn and the password in passwordFile (if
// any), speaking the simple protocol, as PgBouncer's admin console and
// transaction pooling need.
func connectSimple(ctx context.Context, dsn, passwordFile string) (*pgx.Conn, error) {
	pc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse dsn: %w", err)
	}
	if passwordFile != "" {
		pw, err := certs.ReadPasswordFile(passwordFile)
		if err != nil {
			return nil, err
		}
		pc.Password = pw
	}
	pc.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return conn, nil
}

// runSQL connects and runs the reload statement.
func runSQL(ctx context.Context, dsn, passwordFile, kind string) error {
	conn, err := connectSimple(ctx, dsn, passwordFile)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if kind == config.KindPgBouncer {
		if _, err := conn.Exec(ctx, "RELOAD"); err != nil {
			return fmt.Errorf("RELOAD: %w", err)
		}
		return nil
	}
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_reload_conf()").Scan(&ok); err != nil {
		return fmt.Errorf("pg_reload_conf: %w", err)
	}
	if !ok {
		return errors.New("pg_reload_conf() returned false (the postmaster could not be signalled)")
	}
	return nil
}

func signalAction(cfg *config.Config, s config.Service, r *config.SignalReload) action {
	name := config.CanonicalSignal(r.Signal)
	sig := map[string]syscall.Signal{"HUP": syscall.SIGHUP, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2}[name]
	pidFile := cfg.Resolve(r.PIDFile)
	programs := map[string][]string{config.KindPostgres: {"postgres", "postmaster"}, config.KindPgBouncer: {"pgbouncer"}}[s.Kind]
	return action{service: s.Name, what: fmt.Sprintf("signal %s to the pid in %s", name, r.PIDFile),
		run: func(context.Context) error { return signalPIDFile(pidFile, sig, programs) }}
}

// signalPIDFile sends sig to the pid on the first line of pidFile, after
// checking that the process runs one of programs (a stale pid file may name
// a pid the system has since given to another process); no programs means
// no check.
func signalPIDFile(pidFile string, sig syscall.Signal, programs []string) error {
	data, err := regfile.Read(pidFile, regfile.MaxSmall)
	if err != nil {
		return fmt.Errorf("read pid file: %w", err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.ParseInt(strings.TrimSpace(first), 10, 32) // pid_t: a wider number would wrap
	if err != nil || pid <= 1 {
		return fmt.Errorf("pid file %s holds no usable pid: %q", pidFile, first)
	}
	if len(programs) > 0 {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil {
			return fmt.Errorf("pid %d from %s: no such process (stale pid file?): %w", pid, pidFile, err)
		}
		if name := strings.TrimSpace(string(comm)); !slices.Contains(programs, name) {
			return fmt.Errorf("pid %d from %s is %s, not %s: stale pid file, not signalled", pid, pidFile, name, strings.Join(programs, " or "))
		}
	}
	if err := syscall.Kill(int(pid), sig); err != nil {
		return fmt.Errorf("signal pid %d: %w", pid, err)
	}
	return nil
}

func commandAction(service, dir string, argv []string) action {
	return action{service: service, what: "run " + quoteArgv(argv),
		run: func(ctx context.Context) error { return runCommand(ctx, dir, argv) }}
}

// runCommand runs argv (no shell) in dir; a failure carries the exit
// status and the end of the output.
func runCommand(ctx context.Context, dir string, argv []string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.WaitDelay = 2 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return fmt.Errorf("%s: %w%s", quoteArgv(argv), err, outputTail(out.String()))
	}
	return nil
}

// outputTail returns the last lines of a command's output for an error.
func outputTail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 10 {
		lines = lines[len(lines)-10:]
	}
	return ": " + strings.Join(lines, " | ")
}

// quoteArgv renders an argv list readably, quoting where needed.
func quoteArgv(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`;&|<>*?()[]{}") {
			a = strconv.Quote(a)
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

// runActions runs actions in order, each bounded by timeout.
func runActions(ctx context.Context, acts []action, timeout time.Duration, onDone func(a action, took time.Duration)) error {
	for _, a := range acts {
		start := time.Now()
		actx, cancel := context.WithTimeout(ctx, timeout)
		err := a.run(actx)
		cancel()
		if err != nil {
			return fmt.Errorf("service %s: %s: %w", a.service, a.what, err)
		}
		onDone(a, time.Since(start))
	}
	return nil
}
