// Package config defines pgtls_exporter's YAML configuration: its types,
// defaults, strict loading (unknown keys are errors) and validation whose
// errors name the offending field path.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/magflow/pgtls_exporter/internal/regfile"
)

// CAName is the name under which the configured CA appears in metrics and findings.
const CAName = "ca"

// Config is the whole configuration file.
type Config struct {
	CA           CA            `yaml:"ca"`
	Certificates []Certificate `yaml:"certificates"`
	Targets      []Target      `yaml:"targets"`
	Probe        ProbeSettings `yaml:"probe"`
	Sessions     Sessions      `yaml:"sessions"`
	Renew        Renew         `yaml:"renew"`
	Thresholds   Thresholds    `yaml:"thresholds"`
	Audit        Audit         `yaml:"audit"`
	Verify       Verify        `yaml:"verify"`
	Scan         Scan          `yaml:"scan"`
	Webhook      Webhook       `yaml:"webhook"`

	// baseDir is the folder relative paths are resolved against.
	baseDir string
	// written maps the path of each duration key to its text in the YAML,
	// so that messages echo it as the user wrote it.
	written map[string]string
}

// CA is the certificate authority that signs the server certificates.
type CA struct {
	// Cert is the CA certificate (PEM or DER); chains are verified to it.
	Cert string `yaml:"cert"`
	// Key is the CA private key. It is never read by the exporter.
	Key string `yaml:"key"`
}

// Certificate is one set of certificate files for a service.
type Certificate struct {
	// Name identifies the entry in metrics and findings.
	Name string `yaml:"name"`
	// Cert is the certificate file (PEM with one or more certificates, or DER).
	Cert string `yaml:"cert"`
	// Key is the private key file; optional.
	Key string `yaml:"key"`
	// Combined is a PEM holding the certificate followed by its key; optional.
	Combined string `yaml:"combined"`
	// ExpectedNames are DNS names or IP addresses the certificate must cover.
	ExpectedNames []string `yaml:"expected_names"`
	// KeyOwner is the OS user of the server that reads the key (PostgreSQL's
	// rule is applied for that user); empty means the file's own owner.
	KeyOwner string `yaml:"key_owner"`
}

// Load reads and validates the configuration file at path. Relative file
// paths inside it are resolved against the file's folder.
func Load(path string) (*Config, error) {
	data, err := regfile.Read(path, regfile.MaxConfig)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config file path %q: %w", path, err)
	}
	cfg, err := Parse(data, filepath.Dir(abs))
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes and validates configuration bytes; baseDir resolves
// relative paths.
func Parse(data []byte, baseDir string) (*Config, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("config is empty")
		}
		return nil, fmt.Errorf("parse YAML: %w", syntaxError(data, err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("parse YAML: more than one document")
	}
	cfg := &Config{baseDir: baseDir}
	if len(doc.Content) == 0 {
		return nil, errors.New("config is empty")
	}
	root := doc.Content[0]
	var errs []error
	c := newTreeChecker(root, func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
	})
	c.checkNode(root, reflect.TypeFor[Config](), "", 0)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := root.Decode(cfg); err != nil {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	cfg.written = c.durations
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Resolve turns a configured path into one usable for IO: absolute paths
// stay, relative ones are joined to the config file's folder.
func (c *Config) Resolve(path string) string {
	if path == "" || filepath.IsAbs(path) || c.baseDir == "" {
		return path
	}
	return filepath.Join(c.baseDir, path)
}

// CertificateByName returns the certificate entry with that name.
func (c *Config) CertificateByName(name string) (Certificate, bool) {
	for _, e := range c.Certificates {
		if e.Name == name {
			return e, true
		}
	}
	return Certificate{}, false
}
