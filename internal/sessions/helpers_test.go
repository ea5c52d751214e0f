package sessions_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// TLS details the test servers negotiate with pgx: both the Debian
// OpenSSL 3.0 and the npm package's OpenSSL 1.1 prefer this TLS 1.3 suite.
const (
	tls13      = "TLSv1.3"
	aes256     = "TLS_AES_256_GCM_SHA384"
	waitExacts = 15 * time.Second
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// eventually retries f until it succeeds: a closed session's backend
// leaves pg_stat_activity a moment after the client has gone.
func eventually(t testing.TB, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(waitExacts)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// diff describes how got differs from want.
func diff[T any](got, want []T) error {
	if reflect.DeepEqual(got, want) {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "got %d groups:\n", len(got))
	for _, g := range got {
		fmt.Fprintf(&b, "  %+v\n", g)
	}
	fmt.Fprintf(&b, "want %d:\n", len(want))
	for _, g := range want {
		fmt.Fprintf(&b, "  %+v\n", g)
	}
	return fmt.Errorf("%s", b.String())
}

// withoutPassword removes the password the test stack writes into its DSNs.
func withoutPassword(s *testenv.Stack, dsn, user string) string {
	return strings.Replace(dsn, "password="+s.Password(user)+" ", "", 1)
}

// postgres17 returns the bin folder of PostgreSQL 17, installing it first
// if needed; it skips (fails in CI) when that is impossible.
func postgres17(t *testing.T) string {
	t.Helper()
	bin, err := testenv.EnsurePostgres17(ctxT(t), "")
	if err != nil {
		testenv.SkipOrFatal(t, "PostgreSQL 17 unavailable: %v", err)
	}
	return bin
}

// certPaths returns a file name under a fresh temp folder.
func tempFile(t *testing.T, name string) string { return filepath.Join(t.TempDir(), name) }
