package rotation

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// ClientCAJudge judges the CAs a server names for client certificates
// after a rotation's prepare or finish. PostgreSQL names the certificates
// of its ssl_ca_file, so a server that names the old CA read the CA file
// before prepare and must name the new CA too once it loaded the bundle;
// one that names the new CA after finish must name the old one no more.
// A server that names neither reads another CA file (or, as PgBouncer,
// names none) and is not judged.
func ClientCAJudge(phase string, st *renewstate.Rotation) func([][]byte) string {
	return func(names [][]byte) string {
		hasOld, hasNew := false, false
		for _, der := range names {
			var rdn pkix.RDNSequence
			if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) > 0 {
				continue
			}
			var n pkix.Name
			n.FillFromRDNSequence(&rdn)
			hasOld = hasOld || n.String() == st.OldCA.Subject
			hasNew = hasNew || n.String() == st.NewCA.Subject
		}
		switch {
		case phase == renewstate.PhasePrepared && hasOld && !hasNew:
			return fmt.Sprintf("accepts client certificates of the old CA %q but not of the new one: its CA file (ssl_ca_file) was not reloaded with both", st.OldCA.Subject)
		case phase == renewstate.PhaseFinished && hasNew && hasOld:
			return fmt.Sprintf("still accepts client certificates of the old CA %q: its CA file (ssl_ca_file) was not reloaded with the new CA alone", st.OldCA.Subject)
		}
		return ""
	}
}
