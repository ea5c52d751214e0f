package renewstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/magflow/pgtls_exporter/internal/regfile"
)

// RotationFile is the CA rotation's state in the state folder; absent
// before the first rotation.
const RotationFile = "ca-rotation.json"

// RotationVersion is the rotation state file format version.
const RotationVersion = 1

// Phases of a CA rotation, as exported by pgtls_ca_rotation_phase.
const (
	// PhaseNone: no rotation was ever started (no state file).
	PhaseNone = "none"
	// PhasePrepared: the new CA exists and every server and client that
	// reads the configured CA file trusts both CAs (the bundle); the
	// servers still serve certificates of the old CA.
	PhasePrepared = "prepared"
	// PhaseSwitched: every server certificate is issued by the new CA;
	// the servers still trust both.
	PhaseSwitched = "switched"
	// PhaseFinished: only the new CA is trusted; it is the configured CA.
	PhaseFinished = "finished"
)

// Phases lists every phase in their order.
func Phases() []string { return []string{PhaseNone, PhasePrepared, PhaseSwitched, PhaseFinished} }

// Rotation is the content of the rotation state file: the phase reached
// and the two CAs. It holds no key material.
type Rotation struct {
	Version int    `json:"version"`
	Phase   string `json:"phase"`
	// Started is when the prepare phase ran; Since when Phase was reached.
	Started time.Time `json:"started"`
	Since   time.Time `json:"since"`
	OldCA   CAInfo    `json:"old_ca"`
	NewCA   CAInfo    `json:"new_ca"`
	// NewCert and NewKey are where prepare wrote the new CA (absolute);
	// finish installs it as the configured CA and removes them.
	NewCert string `json:"new_cert"`
	NewKey  string `json:"new_key"`
	// Bundle is where the trust bundle (old and new CA) was written.
	Bundle string `json:"bundle"`
	// RetiredKey is the backup holding the old CA key after finish.
	RetiredKey string `json:"retired_key,omitempty"`
}

// CAInfo identifies a CA certificate.
type CAInfo struct {
	Subject  string    `json:"subject"`
	Serial   string    `json:"serial"`
	NotAfter time.Time `json:"not_after"`
	// SHA256 is the fingerprint of the DER certificate, lowercase hex.
	SHA256 string `json:"sha256"`
}

// RotationPath is the rotation state file in a state folder.
func RotationPath(stateDir string) string { return filepath.Join(stateDir, RotationFile) }

// ReadRotation reads and decodes the rotation state file. A missing file
// is an error wrapping fs.ErrNotExist: no rotation was ever started.
func ReadRotation(path string) (*Rotation, error) {
	data, err := regfile.Read(path, maxSize)
	if err != nil {
		return nil, fmt.Errorf("read CA rotation state: %w", err)
	}
	return DecodeRotation(data)
}

// DecodeRotation parses rotation state file bytes.
func DecodeRotation(data []byte) (*Rotation, error) {
	var r Rotation
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("CA rotation state: %w", err)
	}
	switch {
	case r.Version != RotationVersion:
		return nil, fmt.Errorf("CA rotation state: version %d, want %d", r.Version, RotationVersion)
	case r.Phase == PhaseNone || !slices.Contains(Phases(), r.Phase):
		return nil, fmt.Errorf("CA rotation state: unknown phase %q", r.Phase)
	case r.Since.IsZero():
		return nil, errors.New("CA rotation state: since is missing")
	case r.NewCA.SHA256 == "":
		return nil, errors.New("CA rotation state: new_ca is missing")
	}
	return &r, nil
}

// EncodeRotation renders the rotation state file (written by renew in its
// transaction, like the certificate files).
func EncodeRotation(r *Rotation) ([]byte, error) {
	r.Version = RotationVersion
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode CA rotation state: %w", err)
	}
	return append(data, '\n'), nil
}
