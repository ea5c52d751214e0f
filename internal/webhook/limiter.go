package webhook

import (
	"sync"
	"time"
)

// limiter admits actions on entries: one at a time per entry, one per
// entry every minInterval (from the end of its last attempt), and at most
// maxPerHour in any hour on all entries.
type limiter struct {
	mu sync.Mutex
	// busy holds the entries queued or running.
	busy map[string]bool
	// last is when an action on each entry was admitted or, later, ended.
	last map[string]time.Time
	// taken are the admission times of the last hour, oldest first.
	taken []time.Time
}

func newLimiter() *limiter {
	return &limiter{busy: map[string]bool{}, last: map[string]time.Time{}}
}

// admit decides whether an action on entry may be taken now, and if so
// records it: queued, or why not (duplicate, min_interval, rate_limited).
func (l *limiter) admit(entry string, now time.Time, minInterval time.Duration, maxPerHour int) Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.busy[entry] {
		return ResultDuplicate
	}
	if last, ok := l.last[entry]; ok && now.Sub(last) < minInterval {
		return ResultMinInterval
	}
	keep := 0
	for keep < len(l.taken) && now.Sub(l.taken[keep]) >= time.Hour {
		keep++
	}
	l.taken = l.taken[keep:]
	if len(l.taken) >= maxPerHour {
		return ResultRateLimited
	}
	l.taken = append(l.taken, now)
	l.busy[entry], l.last[entry] = true, now
	return ResultQueued
}

// done records that the action on entry ended at now: min_interval counts
// from there.
func (l *limiter) done(entry string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.busy, entry)
	l.last[entry] = now
}
