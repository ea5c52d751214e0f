package check

import (
	"context"
	"slices"
	"sync"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/scans"
	"github.com/magflow/pgtls_exporter/internal/sources"
)

// AuditFindings audits every subject of set once, all at once, judges the
// facts beside the targets' scans and applies the acknowledgements; an
// acknowledgement that covers nothing is listed too.
func AuditFindings(ctx context.Context, set *sources.Set, scanned []scans.Report) []rules.Finding {
	results := make([][]rules.Finding, len(set.Audit))
	used := make([][]rules.Acknowledged, len(set.Audit))
	var wg sync.WaitGroup
	for i, t := range set.Audit {
		wg.Go(func() { results[i], used[i] = rules.JudgeAudit(t.Collect(ctx), set.Policy, set.Acknowledge, scanned) })
	}
	wg.Wait()
	if len(set.Audit) == 0 {
		return nil
	}
	return append(slices.Concat(results...), rules.UnusedAcknowledgements(set.Acknowledge, slices.Concat(used...))...)
}
