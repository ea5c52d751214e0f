package rules

import (
	"errors"
	"fmt"
	"slices"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/suggest"
)

// Load reads and validates the configuration file at path (config.Load),
// then what only the rules table can judge: that every
// audit.acknowledge[].code is one of the audit's codes.
func Load(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := CheckConfig(cfg); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return cfg, nil
}

// CheckConfig validates what of cfg the rules table decides: the codes an
// audit.acknowledge entry may name are the table's audit codes.
func CheckConfig(cfg *config.Config) error {
	codes := AcknowledgeableCodes()
	var errs []error
	for i, a := range cfg.Audit.Acknowledge {
		if a.Code == "" || slices.Contains(codes, a.Code) {
			continue
		}
		msg := fmt.Sprintf("%q is not a code of the audit", a.Code)
		if s := suggest.Closest(a.Code, codes); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		errs = append(errs, &config.FieldError{Path: fmt.Sprintf("audit.acknowledge[%d].code", i), Message: msg})
	}
	return errors.Join(errs...)
}

// AcknowledgeableCodes are the codes an audit.acknowledge entry may name:
// the rows of the table whose source is the audit.
func AcknowledgeableCodes() []string {
	var out []string
	for _, r := range table {
		if slices.Contains(r.Sources, SourceAudit) {
			out = append(out, string(r.Code))
		}
	}
	return out
}
