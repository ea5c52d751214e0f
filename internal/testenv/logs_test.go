package testenv

import "testing"

func TestRoutineLogLine(t *testing.T) {
	for line, want := range map[string]bool{
		"2026-12-01 21:00:00.000 UTC [123] LOG:  connection received: host=127.0.0.1 port=40000":                        true,
		"2026-12-01 21:00:00.000 UTC [9] LOG stats: 0 xacts/s, 0 queries/s, in 0 B/s, out 0 B/s, xact 0 us, query 0 us": true,
		"2026-12-01 21:00:00.000 UTC [9] LOG C-0x55: pgbouncer/stats@127.0.0.1:40000 login attempt: db=pgbouncer":       true,
		"2026-12-01 21:00:00.000 UTC [123] LOG:  could not receive data from client: Connection reset by peer":          false,
		"2026-12-01 21:00:00.000 UTC [9] WARNING C-0x55: (nodb)/(nouser)@127.0.0.1:40000 unexpected eof while reading":  false,
		"2026-12-01 21:00:00.000 UTC [123] LOG:  invalid length of startup packet":                                      false,
	} {
		if got := RoutineLogLine(line); got != want {
			t.Errorf("RoutineLogLine(%q) = %v, want %v", line, got, want)
		}
	}
}
