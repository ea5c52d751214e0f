package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/exporter-toolkit/web"
)

// shutdownTimeout bounds the requests still running when serving ends.
const shutdownTimeout = 5 * time.Second

// OnSIGHUP calls reload on every SIGHUP until ctx ends or the returned
// stop is called.
func OnSIGHUP(ctx context.Context, reload func()) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				reload()
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		cancel()
	}
}

// ListenAndServe serves srv on the flags' addresses with exporter-toolkit
// (TLS and basic auth of the web configuration) until ctx ends, then
// calls stopping (when not nil) and shuts srv down, giving the requests
// under way shutdownTimeout to finish.
func ListenAndServe(ctx context.Context, srv *http.Server, flags *web.FlagConfig, logger *slog.Logger, stopping func()) error {
	errc := make(chan error, 1)
	go func() { errc <- web.ListenAndServe(srv, flags, logger) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve HTTP: %w", err)
	case <-ctx.Done():
		if stopping != nil {
			stopping()
		}
		shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("shut down HTTP server: %w", err)
		}
		return nil
	}
}
