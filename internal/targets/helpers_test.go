package targets_test

import (
	"errors"

	"github.com/magflow/pgtls_exporter/probe"
)

func asVerifyError(err error, target **probe.VerifyError) bool { return errors.As(err, target) }
