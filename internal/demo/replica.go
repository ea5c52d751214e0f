package main

import (
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/issue"
)

// refaultReplica gives the replica entry its faults back after the CA
// rotation, whose switch step reissued it without them, and says so on w
// before and after: what is rewritten, why, and what check sees next.
func refaultReplica(w io.Writer, dir string, now time.Time) error {
	crt, key := filepath.Join(dir, "replica.crt"), filepath.Join(dir, "replica.key")
	data, err := os.ReadFile(crt)
	if err != nil {
		return fmt.Errorf("read %s: %w", crt, err)
	}
	switched, err := issue.ParseCertificate(data)
	if err != nil {
		return fmt.Errorf("%s: %w", crt, err)
	}
	info, err := os.Stat(key)
	if err != nil {
		return fmt.Errorf("replica key: %w", err)
	}
	fmt.Fprint(w, replicaNotice(switched, info.Mode()))
	cert, err := writeFaultyReplica(dir, now)
	if err != nil {
		return err
	}
	fmt.Fprint(w, replicaRewritten(cert))
	return nil
}

// replicaNotice announces that the demo rewrites the replica's files:
// switched is the certificate the rotation's switch step issued, and
// keyMode the mode of its key.
func replicaNotice(switched *x509.Certificate, keyMode os.FileMode) string {
	return fmt.Sprintf("\n== The demo, not renew, rewrites certs/replica.crt and certs/replica.key now:\n"+
		"   switch reissued the replica under the new CA without its faults (serial %s, SANs %s, expires %s, key %04o);\n"+
		"   the demo signs it again with the new CA and its faults back (%s),\n"+
		"   so that check and the alerts below still have findings to show\n",
		certs.Serial(switched), strings.Join(sans(switched), ", "), switched.NotAfter.UTC().Format(time.RFC3339), keyMode.Perm(),
		replicaFaults)
}

// replicaRewritten says which replica certificate check reports next.
func replicaRewritten(cert *x509.Certificate) string {
	return fmt.Sprintf("   certs/replica.crt is now serial %s, expiring %s: the one check reports below\n",
		certs.Serial(cert), cert.NotAfter.UTC().Format(time.RFC3339))
}

// sans are the certificate's DNS names and IP addresses.
func sans(cert *x509.Certificate) []string {
	out := append([]string(nil), cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}
