// Command generate writes the dashboard, the alert rules and the runbook
// in dashboards/ from the typed dashboard and the rules table.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/magflow/pgtls_exporter/dashboards"
)

func main() {
	dir := "dashboards"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := generate(dir); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func generate(dir string) error {
	dashboard, err := dashboards.JSON()
	if err != nil {
		return err
	}
	alerts, err := dashboards.AlertsYAML()
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"pgtls.json": dashboard, "alerts.yml": alerts, "RUNBOOK.md": dashboards.Runbook()} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}
