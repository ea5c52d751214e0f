package renew

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/sources"
)

// Exit codes of a renew run.
const (
	// ExitOK: renewed and verified, or nothing to do.
	ExitOK = 0
	// ExitRolledBack: failed; nothing changed, or the change was undone and
	// the old certificates are served again.
	ExitRolledBack = 1
	// ExitBroken: failed and could not be undone; a person must act now.
	ExitBroken = 2
	// ExitRefused: refused to start, nothing was attempted: the plan was
	// refused (no usable CA, an entry nothing would load, ...), a CA
	// rotation step cannot be taken now, or another renew holds the lock.
	// (3 is a command line that does not parse, as for every command.)
	ExitRefused = 4
)

// Options configure one renew run.
type Options struct {
	ConfigFile string
	// Init creates a CA when neither its certificate nor its key exists.
	Init bool
	// DryRun prints the plan and stops.
	DryRun bool
	// Force renews every (selected) entry, due or not.
	Force bool
	// Only selects entries by name; empty means all.
	Only []string
	// NoReload installs files only: no service install step, no reload,
	// no verification (first issuance, before the servers run), so a
	// running server keeps its old certificate until it is reloaded. An
	// entry that no service reloads and no target serves is renewed only
	// with it.
	NoReload bool
	// Wait waits for a running renew to finish instead of refusing.
	Wait bool
	// RotateCA runs the next step of a CA rotation (prepare, switch,
	// finish) instead of renewing, or every step up to Until.
	RotateCA bool
	// Until is the last rotation step to run: prepare, switch or finish.
	Until string
	// Finish allows the finish step: the rotation stops trusting the old CA.
	Finish bool

	// Out receives the plan and the outcome; nil means io.Discard.
	Out    io.Writer
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Checkpoint, if set, is called after each durable step with its name
	// (tests end the process there to check recovery).
	Checkpoint func(step string)
	// BeforeReload, if set, runs after the new files are in place and
	// before the services are reloaded (tests inject faults there).
	BeforeReload func(ctx context.Context) error
	// Renewed, if set, receives the entries this run renewed (installed,
	// reloaded and verified, or written with --no-reload) when it records
	// its outcome; an entry it found not due is not among them.
	Renewed func(entries []string)
}

// Check refuses options that do not go together.
func (o Options) Check() error {
	switch {
	case !o.RotateCA && (o.Until != "" || o.Finish):
		return errors.New("--until and --finish belong to --rotate-ca")
	case o.RotateCA && (o.Init || o.Force || len(o.Only) > 0 || o.NoReload):
		return errors.New("--rotate-ca goes with neither --init, --force, --only nor --no-reload: a rotation reissues every entry and reloads every service")
	case o.Until != "" && !slices.Contains(rotation.Steps(), o.Until):
		return fmt.Errorf("--until %s: not one of %s", o.Until, strings.Join(rotation.Steps(), ", "))
	}
	return nil
}

// runner is one renew run.
type runner struct {
	opts     Options
	cfg      *config.Config
	log      *slog.Logger
	out      io.Writer
	stateDir string
	start    time.Time
	// results collects what happened to each entry during this run.
	results map[string]renewstate.Entry
	// leftovers is cleanup that could not be done, with every configured
	// file as it should be.
	leftovers []string
	// refusal is why the run refused to start (ExitRefused).
	refusal string
}

// Run performs one renew run and returns its exit code.
func Run(ctx context.Context, opts Options) int {
	r := &runner{opts: opts, log: opts.Logger, out: opts.Out, start: time.Now(), results: map[string]renewstate.Entry{}}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.out == nil {
		r.out = io.Discard
	}
	if r.opts.Now == nil {
		r.opts.Now = time.Now
	}
	if r.opts.Checkpoint == nil {
		r.opts.Checkpoint = func(string) {}
	}
	cfg, err := rules.Load(opts.ConfigFile)
	if err != nil {
		r.log.Error("renew refused to start; nothing was attempted", "reason", err)
		fmt.Fprintf(r.out, "renew: %s: %v\n", closingWords(ExitRefused), err)
		return ExitRefused
	}
	r.cfg, r.stateDir = cfg, cfg.RenewStateDir()
	if opts.DryRun && opts.RotateCA {
		return r.rotationDryRun(ctx)
	}
	if opts.DryRun {
		return r.dryRun()
	}
	if err := os.MkdirAll(r.stateDir, 0o700); err != nil {
		r.log.Error("renew refused to start; nothing was attempted", "reason", err)
		fmt.Fprintf(r.out, "renew: %s: state folder: %v\n", closingWords(ExitRefused), err)
		return ExitRefused
	}
	lk, err := acquireLock(ctx, r.stateDir, opts.Wait)
	if errors.Is(err, ErrBusy) {
		// The state file is the running renew's to write.
		r.log.Error("renew refused to start; nothing was attempted", "reason", err)
		fmt.Fprintf(r.out, "renew: %s: %v\n", closingWords(ExitRefused), err)
		return ExitRefused
	}
	if err != nil { // waiting for the lock ended (--wait): nothing was attempted
		r.log.Error("renew refused to start; nothing was attempted", "reason", err)
		fmt.Fprintf(r.out, "renew: %s: %v\n", closingWords(ExitRefused), err)
		return ExitRefused
	}
	defer lk.release()
	r.checkpoint("locked")
	if code, stop := r.recover(ctx); stop {
		return code
	}
	if opts.RotateCA {
		return r.rotate(ctx)
	}
	return r.renew(ctx)
}

func (r *runner) checkpoint(step string) {
	r.log.Debug("renew step done", "step", step)
	r.opts.Checkpoint(step)
}

// dryRun prints the plan without locking or writing anything.
func (r *runner) dryRun() int {
	if j, err := loadJournal(r.stateDir); err != nil || j != nil {
		fmt.Fprintf(r.out, "An interrupted renew is pending (%s): the next run finishes or undoes it first.\n",
			journalPath(r.stateDir))
	}
	plan, _ := r.plan()
	writePlan(r.out, r.cfg, plan, r.stateDir)
	fmt.Fprintln(r.out, "Dry run: nothing was written.")
	if plan.Err != nil {
		return ExitRefused
	}
	return ExitOK
}

// plan inspects the files and the CA and decides. The signer is the
// existing CA when it is usable; while a CA rotation is switched, the new
// CA.
func (r *runner) plan() (*Plan, *signer) {
	now := r.opts.Now()
	set := sources.New(r.cfg, sources.Options{})
	defer set.Close()
	report := set.Inspector.Inspect(now)
	caPlan, ca := loadCA(r.cfg, r.opts.Init, now)
	switch st, err := rotation.Read(r.stateDir); {
	case err != nil:
		caPlan, ca = CAPlan{CertPath: r.cfg.CA.Cert, KeyPath: r.cfg.CA.Key,
			Err: fmt.Errorf("%w: which CA signs depends on the CA rotation", err)}, nil
	case st != nil && st.Phase == renewstate.PhaseSwitched:
		caPlan, ca = rotationSigner(st, now)
	}
	return makePlan(planInput{cfg: r.cfg, report: report, ca: caPlan, now: now, force: r.opts.Force,
		only: r.opts.Only, reload: !r.opts.NoReload, created: caPlan.Create}), ca
}

// renew plans, issues and runs the transaction.
func (r *runner) renew(ctx context.Context) int {
	plan, ca := r.plan()
	now := plan.Now
	writePlan(r.out, r.cfg, plan, r.stateDir)
	for _, w := range plan.Warnings {
		r.log.Warn("renew plan", "caveat", w)
	}
	r.checkpoint("planned")
	for _, e := range plan.Entries {
		if _, seen := r.results[e.Entry.Name]; !seen && !e.Skipped && !e.Renew {
			r.results[e.Entry.Name] = renewstate.Entry{Result: renewstate.ResultUnchanged}
		}
	}
	renewing := plan.Renewing()
	if plan.Err != nil {
		// The plan printed the reason: the closing line refers to it.
		return r.refuse(renewing, plan.Err, "the plan was refused (see above)")
	}
	if len(renewing) == 0 {
		return r.done(ExitOK, "nothing to do")
	}
	var extra []newFile
	if plan.CA.Create {
		var err error
		if ca, err = createCA(r.cfg, now); err != nil {
			return r.notRenewed(renewing, err)
		}
		if extra, err = caFiles(r.cfg, ca); err != nil {
			return r.notRenewed(renewing, err)
		}
		r.log.Info("created a new CA (in memory, installed with the certificates)", "subject", ca.cert.Subject.String(),
			"not_after", ca.cert.NotAfter, "cert", r.cfg.CA.Cert, "key", r.cfg.CA.Key)
	}
	entries, err := issueEntries(r.cfg, plan, ca, now)
	if err != nil {
		return r.notRenewed(renewing, err)
	}
	r.logIssued(entries)
	r.checkpoint("issued")
	if err := ctx.Err(); err != nil {
		return r.notRenewed(renewing, fmt.Errorf("interrupted before changing anything: %w", context.Cause(ctx)))
	}
	t := r.newTxn()
	id := txnID(now)
	if err := begin(t, id, now, plan.Reload, entries, extra, nil); err != nil {
		return r.notRenewed(renewing, err)
	}
	return r.complete(ctx, t)
}

// logIssued logs the certificates issued for a transaction.
func (r *runner) logIssued(entries []issued) {
	for _, is := range entries {
		r.log.Info("issued certificate", "entry", is.plan.Entry.Name, "serial", certs.Serial(is.cert), "issuer", is.cert.Issuer.String(),
			"not_after", is.cert.NotAfter, "names", strings.Join(is.plan.Entry.ExpectedNames, ","))
	}
}

func (r *runner) newTxn() *txn {
	return &txn{stateDir: r.stateDir, log: r.log, checkpoint: r.checkpoint, leftover: func(what string) {
		r.log.Warn("renew could not clean up; every configured file is as it should be", "left", what)
		r.leftovers = append(r.leftovers, what)
	}}
}

// complete applies a prepared or installed transaction: renames, then (with
// reload) install, reload and verify; rolls back on any failure.
func (r *runner) complete(ctx context.Context, t *txn) int {
	if t.j.Phase == phasePrepared {
		if err := t.apply(ctx); err != nil {
			return r.rollback(ctx, t, err)
		}
		r.log.Info("new files in place", "files", len(t.j.Files))
	}
	if err := ctx.Err(); err != nil {
		return r.rollback(ctx, t, fmt.Errorf("interrupted before reloading: %w", context.Cause(ctx)))
	}
	if t.j.Reload {
		if err := r.reloadAndVerify(ctx, t.j); err != nil {
			return r.rollback(ctx, t, err)
		}
	}
	if err := t.finish(); err != nil {
		return r.broken(t, err, err)
	}
	r.pruneBackups()
	now := r.opts.Now()
	var names []string
	for _, e := range t.j.Entries {
		r.results[e.Name] = renewstate.Entry{Result: renewstate.ResultRenewed, Reason: e.Reason, LastRenewed: now}
		names = append(names, e.Name)
	}
	msg := "renewed " + strings.Join(names, ", ")
	if t.j.Rotation != nil {
		msg = rotationSummary(t.j)
	}
	if !t.j.Reload {
		msg += " (--no-reload: not installed into services, not reloaded, not verified; " + keepsServingOld + ")"
	}
	return r.done(ExitOK, msg)
}

// rollback undoes a failed transaction: restore, reload, confirm. It runs
// to its end even when ctx was ended by a signal (each of its steps has its
// own timeout), since stopping half way would leave servers on new files.
func (r *runner) rollback(ctx context.Context, t *txn, cause error) int {
	ctx = context.WithoutCancel(ctx)
	r.log.Error("renew failed; rolling back", "err", cause, "backup", t.j.BackupDir)
	fmt.Fprintf(r.out, "renew failed: %v\nRolling back from %s.\n", cause, t.j.BackupDir)
	if err := t.restore(cause); err != nil {
		return r.broken(t, cause, err)
	}
	if t.j.Reload {
		if err := r.reloadOld(ctx, t.j); err != nil {
			return r.broken(t, cause, err)
		}
	}
	if err := t.finish(); err != nil {
		return r.broken(t, cause, err)
	}
	r.pruneBackups()
	for _, e := range t.j.Entries {
		r.results[e.Name] = renewstate.Entry{Result: renewstate.ResultRolledBack, Reason: e.Reason, Error: cause.Error()}
	}
	if t.j.Rotation != nil {
		st, _ := rotation.Read(r.stateDir)
		return r.done(ExitRolledBack, fmt.Sprintf("CA rotation rolled back, it stays %s: %v", rotation.PhaseOf(st), cause))
	}
	return r.done(ExitRolledBack, "rolled back: "+cause.Error())
}

// broken ends a run whose rollback failed: the journal stays so the next
// run tries again, and a person is told what to do.
func (r *runner) broken(t *txn, cause, err error) int {
	r.log.Error("ROLLBACK FAILED: a person must act now", "cause", cause, "err", err,
		"journal", journalPath(r.stateDir), "backup", t.j.BackupDir)
	fmt.Fprintf(r.out, `renew FAILED and could NOT roll back: %v
cause: %v
A person must act now:
  - the journal %s lists every file, its backup and its checksum;
  - the backup folder %s holds the old files (manifest.json says where each belongs, with mode and owner);
  - fix what blocks (server down? permissions?), then run renew again: it finishes the rollback first.
`, err, cause, journalPath(r.stateDir), t.j.BackupDir)
	for _, e := range t.j.Entries {
		r.results[e.Name] = renewstate.Entry{Result: renewstate.ResultRollbackFailed, Reason: e.Reason,
			Error: fmt.Sprintf("%v; rollback: %v", cause, err)}
	}
	return r.done(ExitBroken, "rollback failed: "+err.Error())
}

func (r *runner) pruneBackups() {
	removed, err := pruneBackups(r.stateDir, r.cfg.Renew.KeepBackupsOrDefault())
	if err != nil {
		r.log.Warn("old backups not pruned", "err", err)
	}
	if len(removed) > 0 {
		r.log.Info("pruned old backups", "removed", strings.Join(removed, ","))
	}
}
