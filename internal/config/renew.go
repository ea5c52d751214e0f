package config

import (
	"time"

	"github.com/prometheus/common/model"

	"github.com/magflow/pgtls_exporter/internal/keytype"
	"github.com/magflow/pgtls_exporter/internal/rules/defaults"
)

// Defaults of the renew section.
const (
	DefaultRenewStateDir      = "renew-state"
	DefaultRenewKeepBackups   = 5
	DefaultRenewVerifyTimeout = 30 * time.Second
	DefaultRenewStepTimeout   = 30 * time.Second
	DefaultRenewCACommonName  = "pgtls_exporter CA"
)

// Service kinds: they pick the reload statement and the default reload
// command inside a container.
const (
	KindPostgres  = "postgres"
	KindPgBouncer = "pgbouncer"
)

// Files of an entry that a docker compose copy step can copy.
const (
	FileCert     = "cert"
	FileKey      = "key"
	FileCombined = "combined"
	FileCA       = "ca"
)

// Renew configures the renew command: how certificates are issued, where
// its state lives, and how each service gets and loads new files.
type Renew struct {
	// StateDir holds the lock, the transaction journal, the state file the
	// exporter reads, and backups. Default "renew-state" beside the config.
	StateDir string `yaml:"state_dir"`
	// RenewBefore: an entry expiring within this is renewed (default:
	// thresholds.warn_before, 30d).
	RenewBefore model.Duration `yaml:"renew_before"`
	// Validity of a new server certificate (default 365d; never past the CA).
	Validity model.Duration `yaml:"validity"`
	// KeyType of new server keys (default ecdsa-p256).
	KeyType keytype.KeyType `yaml:"key_type"`
	// KeepBackups is how many backup folders to keep (default 5, at least 1).
	KeepBackups int `yaml:"keep_backups"`
	// VerifyTimeout bounds the wait for servers to serve the new (or, on
	// rollback, the old) certificates (default 30s).
	VerifyTimeout model.Duration `yaml:"verify_timeout"`
	// CA is used only by `renew --init`, when no CA exists.
	CA RenewCA `yaml:"ca"`
	// DockerCompose is how docker compose is called for services that use it.
	DockerCompose DockerCompose `yaml:"docker_compose"`
	// Services install and reload the renewed files.
	Services []Service `yaml:"services"`
	// CARotation configures `renew --rotate-ca`.
	CARotation CARotation `yaml:"ca_rotation"`
}

// RenewCA describes a CA created by `renew --init`.
type RenewCA struct {
	CommonName string          `yaml:"common_name"`
	Validity   model.Duration  `yaml:"validity"` // default 3650d
	KeyType    keytype.KeyType `yaml:"key_type"` // default ecdsa-p256
}

// DockerCompose is the docker compose invocation shared by services.
type DockerCompose struct {
	// Command is the argv prefix, default [docker, compose].
	Command []string `yaml:"command"`
	// ProjectDir is where compose runs (--project-directory and the working
	// folder); relative to the config file.
	ProjectDir string `yaml:"project_dir"`
	// Files are passed as -f, in order.
	Files []string `yaml:"files"`
	// ProjectName is passed as -p.
	ProjectName string `yaml:"project_name"`
}

// Service is a server that reads one or more certificate entries.
type Service struct {
	Name string `yaml:"name"`
	// Kind is "postgres" or "pgbouncer".
	Kind string `yaml:"kind"`
	// Certificates names the certificates entries this server reads.
	Certificates []string `yaml:"certificates"`
	// DockerCompose, when set, installs with `docker compose cp` and, unless
	// Reload says otherwise, reloads with `docker compose exec`. Without it
	// the server reads the files where renew writes them.
	DockerCompose *ComposeService `yaml:"docker_compose"`
	// Reload makes the server load the new files.
	Reload Reload `yaml:"reload"`
	// Timeout bounds each install and reload step (default 30s).
	Timeout model.Duration `yaml:"timeout"`
}

// ComposeService is the docker compose flow of one service.
type ComposeService struct {
	// Service is the compose service name (e.g. "db").
	Service string `yaml:"service"`
	// Copy lists the files copied into the container, in order.
	Copy []ComposeCopy `yaml:"copy"`
	// ReloadCommand runs via `docker compose exec SERVICE ...`; default
	// [pgbouncer, -R, /etc/pgbouncer/pgbouncer.ini] or [pg_ctl, reload] by kind.
	ReloadCommand []string `yaml:"reload_command"`
	// User is passed to exec as --user (e.g. postgres: pg_ctl refuses root).
	User string `yaml:"user"`
	// Archive copies with -a (keep the files' uid/gid, e.g. key_owner).
	Archive bool `yaml:"archive"`
}

// ComposeCopy copies one file of an entry into the container.
type ComposeCopy struct {
	// Certificate names the entry; default: the service's only entry.
	Certificate string `yaml:"certificate"`
	// File is cert, key, combined or ca.
	File string `yaml:"file"`
	// To is the absolute path inside the container.
	To string `yaml:"to"`
}

// Reload is one way to make a server load new files; set exactly one.
type Reload struct {
	// SQL runs SELECT pg_reload_conf() (postgres) or RELOAD; on the admin
	// console (pgbouncer).
	SQL *SQLReload `yaml:"sql"`
	// Signal sends a signal to the pid in a pid file.
	Signal *SignalReload `yaml:"signal"`
	// Command runs an argv list (no shell).
	Command []string `yaml:"command"`
}

// SQLReload connects with a libpq-style DSN.
type SQLReload struct {
	// DSN must not hold a password; use PasswordFile. Paths inside it
	// (sslrootcert, host=/socket/dir) are used as written.
	DSN string `yaml:"dsn"`
	// PasswordFile holds the password, read by certs.ReadPasswordFile (a
	// trailing newline is ignored, an empty file is refused).
	PasswordFile string `yaml:"password_file"`
}

// SignalReload signals the process named by a pid file.
type SignalReload struct {
	// PIDFile: its first line is the pid (postmaster.pid, pgbouncer.pid).
	PIDFile string `yaml:"pid_file"`
	// Signal is HUP (default), USR1 or USR2.
	Signal string `yaml:"signal"`
}

// Configured reports whether any reload way is set.
func (r Reload) Configured() bool { return r.SQL != nil || r.Signal != nil || len(r.Command) > 0 }

// ValidityDuration is validity with its default.
func (r Renew) ValidityDuration() time.Duration {
	if r.Validity > 0 {
		return time.Duration(r.Validity)
	}
	return defaults.ServerValidity
}

// KeyTypeOrDefault is key_type with its default.
func (r Renew) KeyTypeOrDefault() keytype.KeyType {
	if r.KeyType != "" {
		return r.KeyType
	}
	return keytype.ECDSAP256
}

// KeepBackupsOrDefault is keep_backups with its default.
func (r Renew) KeepBackupsOrDefault() int {
	if r.KeepBackups > 0 {
		return r.KeepBackups
	}
	return DefaultRenewKeepBackups
}

// VerifyTimeoutDuration is verify_timeout with its default.
func (r Renew) VerifyTimeoutDuration() time.Duration {
	if r.VerifyTimeout > 0 {
		return time.Duration(r.VerifyTimeout)
	}
	return DefaultRenewVerifyTimeout
}

// ComposeCommand is docker_compose.command with its default.
func (r Renew) ComposeCommand() []string {
	if len(r.DockerCompose.Command) > 0 {
		return r.DockerCompose.Command
	}
	return []string{"docker", "compose"}
}

// RenewStateDir is the resolved state folder.
func (c *Config) RenewStateDir() string {
	if c.Renew.StateDir == "" {
		return c.Resolve(DefaultRenewStateDir)
	}
	return c.Resolve(c.Renew.StateDir)
}

// ComposeProjectDir is the folder docker compose runs in, and resolves
// docker_compose.files against: project_dir, or the configuration file's
// folder.
func (c *Config) ComposeProjectDir() string {
	if d := c.Renew.DockerCompose.ProjectDir; d != "" {
		return c.Resolve(d)
	}
	return c.Resolve(".")
}

// CAValidityDuration is ca.validity with its default.
func (r RenewCA) CAValidityDuration() time.Duration {
	if r.Validity > 0 {
		return time.Duration(r.Validity)
	}
	return defaults.CAValidity
}

// CommonNameOrDefault is ca.common_name with its default.
func (r RenewCA) CommonNameOrDefault() string {
	if r.CommonName != "" {
		return r.CommonName
	}
	return DefaultRenewCACommonName
}

// KeyTypeOrDefault is ca.key_type with its default.
func (r RenewCA) KeyTypeOrDefault() keytype.KeyType {
	if r.KeyType != "" {
		return r.KeyType
	}
	return keytype.ECDSAP256
}

// TimeoutDuration is the service's step timeout with its default.
func (s Service) TimeoutDuration() time.Duration {
	if s.Timeout > 0 {
		return time.Duration(s.Timeout)
	}
	return DefaultRenewStepTimeout
}

// ReloadCommandOrDefault is the command run inside the container.
func (c ComposeService) ReloadCommandOrDefault(kind string) []string {
	if len(c.ReloadCommand) > 0 {
		return c.ReloadCommand
	}
	if kind == KindPgBouncer {
		return []string{"pgbouncer", "-R", "/etc/pgbouncer/pgbouncer.ini"}
	}
	return []string{"pg_ctl", "reload"}
}

// CopyEntry is the entry a copy step names, with the service's default.
func (s Service) CopyEntry(cp ComposeCopy) string {
	if cp.Certificate == "" && len(s.Certificates) == 1 {
		return s.Certificates[0]
	}
	return cp.Certificate
}
