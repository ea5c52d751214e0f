package renew

import (
	"time"

	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// rotationSigner is the CA plain renew signs with while a rotation is
// switched: the new one, since the servers serve its certificates.
func rotationSigner(st *renewstate.Rotation, now time.Time) (CAPlan, *signer) {
	p := CAPlan{CertPath: st.NewCert, KeyPath: st.NewKey, Subject: st.NewCA.Subject, NotAfter: st.NewCA.NotAfter,
		Warnings: []string{"a CA rotation is switched: certificates are signed by the new CA until it finishes"}}
	cert, key, err := rotation.ReadCA(st.NewCert, st.NewKey, st.NewCA.SHA256, now)
	if err != nil {
		p.Err = err
		return p, nil
	}
	return p, &signer{cert: cert, key: key}
}
