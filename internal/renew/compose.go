package renew

import (
	"fmt"
	"path/filepath"

	"github.com/magflow/pgtls_exporter/internal/config"
)

// composePrefix is the docker compose invocation with the shared flags.
func composePrefix(cfg *config.Config) []string {
	argv := append([]string{}, cfg.Renew.ComposeCommand()...)
	for _, f := range cfg.Renew.DockerCompose.Files {
		argv = append(argv, "-f", f)
	}
	if p := cfg.Renew.DockerCompose.ProjectName; p != "" {
		argv = append(argv, "-p", p)
	}
	return argv
}

// composeDir is the folder docker compose runs in: project_dir, or the
// configuration file's folder.
func composeDir(cfg *config.Config) string { return cfg.ComposeProjectDir() }

// ComposeInstallCommands returns, for a service with docker_compose, the
// `docker compose cp SRC SERVICE:DEST` argv lists that copy its files into
// the container, in order (the reference flow's copy step).
func ComposeInstallCommands(cfg *config.Config, s config.Service) ([][]string, error) {
	dc := s.DockerCompose
	if dc == nil {
		return nil, nil
	}
	var out [][]string
	for i, cp := range dc.Copy {
		src, err := copySource(cfg, s, cp)
		if err != nil {
			return nil, fmt.Errorf("service %s: docker_compose.copy[%d]: %w", s.Name, i, err)
		}
		argv := append(composePrefix(cfg), "cp")
		if dc.Archive {
			argv = append(argv, "-a")
		}
		out = append(out, append(argv, src, dc.Service+":"+cp.To))
	}
	return out, nil
}

// ComposeReloadCommand returns the `docker compose exec -T SERVICE ...`
// argv list that reloads the server inside its container, or nil when the
// service has no docker_compose or reloads another way. -T: renew runs
// without a terminal.
func ComposeReloadCommand(cfg *config.Config, s config.Service) []string {
	dc := s.DockerCompose
	if dc == nil || s.Reload.Configured() {
		return nil
	}
	argv := append(composePrefix(cfg), "exec", "-T")
	if dc.User != "" {
		argv = append(argv, "--user", dc.User)
	}
	argv = append(argv, dc.Service)
	return append(argv, dc.ReloadCommandOrDefault(s.Kind)...)
}

// copySource is the absolute host path of the file a copy step names.
func copySource(cfg *config.Config, s config.Service, cp config.ComposeCopy) (string, error) {
	var configured string
	if cp.File == config.FileCA {
		configured = cfg.CA.Cert
	} else {
		e, ok := cfg.CertificateByName(s.CopyEntry(cp))
		if !ok {
			return "", fmt.Errorf("no certificates entry %q", s.CopyEntry(cp))
		}
		configured = map[string]string{config.FileCert: e.Cert, config.FileKey: e.Key, config.FileCombined: e.Combined}[cp.File]
	}
	if configured == "" {
		return "", fmt.Errorf("no %s file configured", cp.File)
	}
	return filepath.Abs(cfg.Resolve(configured))
}
