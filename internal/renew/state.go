package renew

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/sources"
)

// notRenewed ends a run that stopped before changing anything.
func (r *runner) notRenewed(entries []EntryPlan, err error) int {
	r.log.Error("renew stopped before changing anything", "err", err)
	r.markNotRenewed(entries, err)
	return r.done(ExitRolledBack, "not renewed: "+err.Error())
}

// refuse ends a run that refused to start: nothing was attempted, and the
// entries that were due (entries) are not renewed. The state file keeps
// the reason; summary is the closing line and log line, which refer to a
// reason the plan printed already rather than repeat it.
func (r *runner) refuse(entries []EntryPlan, reason error, summary string) int {
	r.log.Error("renew refused to start; nothing was attempted", "reason", reason)
	r.markNotRenewed(entries, reason)
	r.refusal = strings.ReplaceAll(reason.Error(), "\n", "; ")
	return r.record(ExitRefused, "refused: "+r.refusal, summary)
}

// markNotRenewed records for each entry why it was not renewed.
func (r *runner) markNotRenewed(entries []EntryPlan, err error) {
	for _, e := range entries {
		r.results[e.Entry.Name] = renewstate.Entry{Result: renewstate.ResultNotRenewed,
			Reason: joinReasons(e.Reasons), Error: err.Error()}
	}
}

// closingWords say how a run with exit code ended, on its closing line.
func closingWords(code int) string {
	switch code {
	case ExitOK:
		return "ok"
	case ExitRolledBack:
		return "failed, nothing changed or rolled back"
	case ExitRefused:
		return "refused, nothing attempted"
	}
	return "FAILED, NOT rolled back"
}

// Outcome is the state file's outcome of a renew exit code: ok,
// rolled_back, refused, or not_rolled_back (exit 2 and any other).
func Outcome(code int) string {
	switch code {
	case ExitOK:
		return renewstate.OutcomeOK
	case ExitRolledBack:
		return renewstate.OutcomeRolledBack
	case ExitRefused:
		return renewstate.OutcomeRefused
	}
	return renewstate.OutcomeNotRolledBack
}

// done records the run in the state file, prints and logs the outcome,
// and returns code.
func (r *runner) done(code int, msg string) int { return r.record(code, msg, msg) }

// record is done with a shorter summary for the closing line and log than
// the message kept in the state file.
func (r *runner) record(code int, msg, summary string) int {
	now := r.opts.Now()
	elapsed := time.Since(r.start)
	if len(r.leftovers) > 0 {
		fmt.Fprintf(r.out, "Every configured file is as it should be, but some cleanup could not be done; remove these by hand when you can:\n")
		for _, l := range r.leftovers {
			fmt.Fprintf(r.out, "  - %s\n", l)
		}
		msg += fmt.Sprintf(" (not cleaned up: %s)", strings.Join(r.leftovers, "; "))
	}
	path := renewstate.Path(r.stateDir)
	prev, _ := renewstate.Read(path) // a missing or unreadable old state is replaced
	st := &renewstate.State{LastRun: now, ExitCode: code, Outcome: Outcome(code), Message: msg, Entries: map[string]renewstate.Entry{}}
	if code == ExitRefused {
		st.Refused = r.refusal
	}
	if code == ExitOK {
		st.LastSuccess = now
	} else if prev != nil {
		st.LastSuccess = prev.LastSuccess
	}
	set := sources.New(r.cfg, sources.Options{})
	defer set.Close()
	report := set.Inspector.Inspect(now)
	for _, c := range r.cfg.Certificates {
		e, ok := r.results[c.Name]
		var before renewstate.Entry
		if prev != nil {
			before = prev.Entries[c.Name]
		}
		if !ok {
			e = before // not looked at in this run (--only): keep what was known
			if e.Result == "" {
				e.Result = renewstate.ResultUnchanged
			}
		}
		if e.LastRenewed.IsZero() {
			e.LastRenewed = before.LastRenewed
		}
		e.Serial, e.NotAfter = "", time.Time{}
		if cf := report.Entry(c.Name).CertFile(); cf != nil && cf.Err == nil && len(cf.Certificates) > 0 {
			e.Serial, e.NotAfter = cf.Certificates[0].Serial, cf.Certificates[0].NotAfter
		}
		st.Entries[c.Name] = e
	}
	if err := renewstate.Write(path, st); err != nil {
		r.log.Error("renew state not written", "file", path, "err", err)
	}
	r.checkpoint("state-written")
	if r.opts.Renewed != nil {
		var renewed []string
		for name, e := range r.results {
			if e.Result == renewstate.ResultRenewed {
				renewed = append(renewed, name)
			}
		}
		slices.Sort(renewed)
		r.opts.Renewed(renewed)
	}
	words := closingWords(code)
	r.log.Info("renew finished", "result", words, "exit_code", code, "summary", summary,
		"duration", elapsed.Round(time.Millisecond))
	if summary != "" {
		fmt.Fprintf(r.out, "renew: %s: %s (%s)\n", words, summary, elapsed.Round(time.Millisecond))
	}
	return code
}
