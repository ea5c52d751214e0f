// Command pgtls_exporter watches TLS between clients, PgBouncer and
// PostgreSQL: certificate files, served certificates and TLS use of
// sessions, as Prometheus metrics (serve) or a one-shot report (check),
// and renews the certificates (renew), also when Alertmanager reports a
// problem renew fixes (webhook).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/magflow/pgtls_exporter/internal/buildinfo"
	"github.com/magflow/pgtls_exporter/internal/check"
	"github.com/magflow/pgtls_exporter/internal/flaghelp"
	"github.com/magflow/pgtls_exporter/internal/renew"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/server"
	"github.com/magflow/pgtls_exporter/internal/webhook"
)

// defaultListenAddress is the exporter's port.
const defaultListenAddress = ":9871"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	buildinfo.Apply()
	app := kingpin.New("pgtls_exporter", "Watches TLS between clients, PgBouncer and PostgreSQL.")
	// Help and the version go to stdout (pgtls_exporter --help | less),
	// errors to stderr.
	app.UsageWriter(os.Stdout).ErrorWriter(os.Stderr)
	app.UsageFuncs(flaghelp.Funcs())
	app.HelpFlag.Short('h')
	app.Version(version.Print("pgtls_exporter"))
	configFile := app.Flag("config.file", "Configuration file.").Default("pgtls_exporter.yml").String()
	logConfig := &promslog.Config{}
	promslogflag.AddFlags(app, logConfig)

	serveCmd := app.Command("serve", "Serve Prometheus metrics (default).").Default()
	configCheck := serveCmd.Flag("config.check", "Validate the configuration file and exit.").Bool()
	webConfig := kingpinflag.AddFlags(serveCmd, defaultListenAddress)
	scrapeTimeout := serveCmd.Flag("scrape.default-timeout", "Scrape deadline when Prometheus sends none.").Default("10s").Duration()
	timeoutOffset := serveCmd.Flag("scrape.timeout-offset", "Subtracted from Prometheus' scrape timeout.").Default("0.5s").Duration()
	enableLifecycle := serveCmd.Flag("web.enable-lifecycle", "Allow POST /-/reload (SIGHUP always reloads).").Bool()
	maxConnections := serveCmd.Flag("web.max-connections", "Most HTTP connections open at once; 0: half the open-file limit, at most 512.").Default("0").Int()

	checkCmd := app.Command("check", "Check once and exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.")
	warnBefore := durationFlag(checkCmd.Flag("warn-before", "Warn when a server certificate expires within this (default: thresholds.warn_before, 30d).").PlaceHolder("30d"))
	critBefore := durationFlag(checkCmd.Flag("crit-before", "Critical when a server certificate expires within this (default: thresholds.crit_before, 7d).").PlaceHolder("7d"))
	output := checkCmd.Flag("output", "Report format: text or json.").Default("text").Enum("text", "json")

	renewCmd := app.Command("renew", "Renew due certificates, reload the servers, verify, roll back on failure; exit 0 ok, 1 failed and rolled back, 2 failed and not rolled back, 4 refused (nothing attempted).")
	renewOpts := renew.Options{}
	renewCmd.Flag("init", "Create a CA when neither its certificate nor its key exists.").BoolVar(&renewOpts.Init)
	renewCmd.Flag("dry-run", "Print the plan and stop.").BoolVar(&renewOpts.DryRun)
	renewCmd.Flag("force", "Renew every selected entry, due or not.").BoolVar(&renewOpts.Force)
	renewCmd.Flag("only", "Renew only this entry (repeatable).").PlaceHolder("NAME").StringsVar(&renewOpts.Only)
	renewCmd.Flag("no-reload", "Install the files only: no reload, no verification, so a running server keeps its old certificate until it is reloaded (first issuance, or an entry nothing reloads).").BoolVar(&renewOpts.NoReload)
	renewCmd.Flag("wait", "Wait for a running renew instead of refusing.").BoolVar(&renewOpts.Wait)
	renewCmd.Flag("rotate-ca", "Rotate the CA through a trust bundle: the next step (prepare, switch), or up to --until.").BoolVar(&renewOpts.RotateCA)
	renewCmd.Flag("until", "With --rotate-ca: run every step up to this one (prepare, switch, finish).").PlaceHolder("STEP").EnumVar(&renewOpts.Until, rotation.Steps()...)
	renewCmd.Flag("finish", "With --rotate-ca: finish the rotation under way (trust the new CA alone).").BoolVar(&renewOpts.Finish)

	webhookCmd := app.Command("webhook", "Receive Alertmanager's notifications and renew the entries whose problems renew fixes.")
	webhookWeb := kingpinflag.AddFlags(webhookCmd, webhook.DefaultListenAddress)
	allowUnauthenticated := webhookCmd.Flag("webhook.allow-unauthenticated",
		"Serve without authentication; only when every listen address is loopback.").Bool()

	versionCmd := app.Command("version", "Print build information.")

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtls_exporter: %s\n", flaghelp.Explain(app, args, err))
		return 3
	}
	logger := promslog.New(logConfig)
	// SIGINT and SIGTERM end every command at its next safe point: serve
	// shuts down, check stops probing, renew rolls back what it changed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case versionCmd.FullCommand():
		fmt.Println(version.Print("pgtls_exporter"))
		return 0
	case renewCmd.FullCommand():
		if err := renewOpts.Check(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtls_exporter: %v\n", err)
			return 3
		}
		renewOpts.ConfigFile, renewOpts.Out, renewOpts.Logger = *configFile, os.Stdout, logger
		return renew.Run(ctx, renewOpts)
	case webhookCmd.FullCommand():
		return runWebhook(ctx, logger, webhook.Options{ConfigFile: *configFile, WebConfig: webhookWeb,
			AllowUnauthenticated: *allowUnauthenticated, Logger: logger})
	case checkCmd.FullCommand():
		return check.Run(ctx, os.Stdout, check.Options{
			ConfigFile: *configFile,
			Overrides:  check.Overrides{WarnBefore: string(*warnBefore), CritBefore: string(*critBefore)},
			Output:     *output,
		})
	}

	if *configCheck {
		return checkConfig(os.Stdout, os.Stderr, *configFile)
	}
	logger.Info("starting pgtls_exporter", "version", version.Info(), "build_context", version.BuildContext())
	srv, err := server.New(server.Options{ConfigFile: *configFile, WebConfig: webConfig, Logger: logger,
		DefaultScrapeTimeout: *scrapeTimeout, TimeoutOffset: *timeoutOffset,
		EnableLifecycle: *enableLifecycle, MaxConnections: *maxConnections})
	if err != nil {
		logger.Error("cannot start: the configuration is not usable", "file", *configFile, "err", err)
		return 1
	}
	if err := srv.Run(ctx); err != nil {
		logger.Error("exporter stopped", "err", err)
		return 1
	}
	return 0
}

// runWebhook runs the webhook until ctx ends: exit 1 when it cannot
// start (no usable configuration, no authentication) or stops on an error.
func runWebhook(ctx context.Context, logger *slog.Logger, opts webhook.Options) int {
	logger.Info("starting pgtls_exporter webhook", "version", version.Info())
	wh, err := webhook.New(opts)
	if err != nil {
		logger.Error("webhook cannot start", "file", opts.ConfigFile, "err", err)
		return 1
	}
	if err := wh.Run(ctx); err != nil {
		logger.Error("webhook stopped", "err", err)
		return 1
	}
	return 0
}

// checkConfig validates the configuration file and the files it names,
// printing one line a problem; it exits as check does: 0 valid, 3 invalid.
func checkConfig(stdout, stderr io.Writer, path string) int {
	cfg, err := rules.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 3
	}
	if errs := cfg.CheckFiles(); len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(stderr, e)
		}
		fmt.Fprintf(stderr, "%s: configuration is invalid: %d of the paths it names cannot be used\n", path, len(errs))
		return 3
	}
	fmt.Fprintf(stdout, "%s: configuration is valid\n", path)
	return 0
}

// durationText is a flag holding a Prometheus duration ("30d") as written.
type durationText string

// Set refuses what is not a duration, and keeps the text.
func (d *durationText) Set(s string) error {
	if _, err := model.ParseDuration(s); err != nil {
		return err
	}
	*d = durationText(s)
	return nil
}

func (d *durationText) String() string { return string(*d) }

// durationFlag parses a flag as a Prometheus duration, keeping its text.
func durationFlag(f *kingpin.FlagClause) *durationText {
	d := new(durationText)
	f.SetValue(d)
	return d
}
