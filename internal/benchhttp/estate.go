package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// estate is the exporter started over n generated entries, in a folder
// of their own.
type estate struct {
	dir, cfg string
	base     string    // http://127.0.0.1:PORT
	begin    time.Time // when the exporter was started
	exp      *process
	port     *testenv.Port
}

// startEstate writes n entries and their configuration under a new
// folder and starts the exporter over them, waiting until it answers
// /-/healthy; close stops it and removes the folder.
func startEstate(ctx context.Context, bin string, n int) (*estate, error) {
	dir, err := os.MkdirTemp("", "pgtls-benchhttp-")
	if err != nil {
		return nil, err
	}
	e := &estate{dir: dir}
	if e.cfg, err = writeConfig(dir, n); err != nil {
		e.close()
		return nil, err
	}
	if e.port, err = testenv.ReservePort(); err != nil {
		e.close()
		return nil, err
	}
	e.base = fmt.Sprintf("http://127.0.0.1:%d", e.port.Number)
	e.begin = time.Now()
	if e.exp, err = start(ctx, "pgtls_exporter", e.base, "/-/healthy", bin, "--config.file="+e.cfg,
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", e.port.Number), "--log.level=warn"); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// close stops the exporter and removes the folder.
func (e *estate) close() {
	if e.exp != nil {
		e.exp.stop()
	}
	e.port.Release()
	_ = os.RemoveAll(e.dir)
}
