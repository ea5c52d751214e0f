// Package renew is the `pgtls_exporter renew` command: the documented
// generation and reload flow, automated and made safe to run unattended.
//
// A run takes an exclusive lock in the state folder, finishes or undoes a
// transaction an earlier run left behind, then plans: an entry is renewed
// when it expires within renew_before or fails a check (unusable file,
// missing SAN, key mismatch, wrong CA), or with --force. It issues new keys
// and certificates natively (package issue), journals the transaction,
// backs up the files it replaces, writes the new ones beside them and
// renames them into place, runs each affected service's install and reload
// steps, and probes the affected targets until they serve the new serials
// with verify-full. If anything fails it restores the backup, reloads
// again and confirms the old certificates are served where a target
// serves them. A run that cannot start (a refused plan, another run
// holding the lock, a rotation step not to be taken now) attempts nothing
// and exits ExitRefused. The journal makes every step restartable: a run
// killed at any point is finished (or undone) by the next one. The
// outcome goes to a state file the exporter exports.
package renew
