package renew

import (
	"log/slog"
	"testing"
	"time"
)

// BenchmarkStackRenew is a full renew of both services on the local stack
// (ECDSA P-256): plan, issue, journal, back up, install, reload PostgreSQL
// and PgBouncer over SQL, and probe until both serve the new serials with
// verify-full. Target: under 2 seconds per run.
//
//	go test ./internal/renew/ -run '^$' -bench StackRenew -benchtime 20x
func BenchmarkStackRenew(b *testing.B) {
	sf := newStackFixture(b, time.Now().Add(300*24*time.Hour))
	var worst time.Duration
	for b.Loop() {
		start := time.Now()
		if code, out := sf.run(b, Options{Force: true, Logger: slog.New(slog.DiscardHandler)}); code != ExitOK {
			b.Fatalf("exit %d\n%s", code, out)
		}
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
	if worst > 2*time.Second {
		b.Errorf("slowest renew took %s, target under 2s", worst)
	}
}
