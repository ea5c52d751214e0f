// Command generate writes dashboards/pgtls.json from the typed dashboard.
package main

import (
	"fmt"
	"os"

	"github.com/magflow/pgtls_exporter/dashboards"
)

func main() {
	out := "dashboards/pgtls.json"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	data, err := dashboards.JSON()
	if err == nil {
		err = os.WriteFile(out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}
