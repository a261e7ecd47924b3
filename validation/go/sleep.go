package main

import "time"

// sleeper is how the generator, the request I/O waits and the workers' pacing sleep:
// -timer=timerfd (the default) uses fine timers (timer_linux.go) from a free list, one per
// concurrent sleeper; -timer=sleep uses time.Sleep. note says which was used (and why not
// timerfd if it could not be created).
type sleeper struct {
	timerfd bool
	note    string
	free    chan *fineTimer
}

func newSleeper(kind string) *sleeper {
	s := &sleeper{note: kind, free: make(chan *fineTimer, 1<<14)}
	if kind == "timerfd" {
		if t, err := newFineTimer(); err != nil {
			s.note = "sleep (timerfd failed: " + err.Error() + ")"
		} else {
			s.timerfd = true
			s.free <- t
		}
	}
	return s
}

func (s *sleeper) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	if !s.timerfd {
		time.Sleep(d)
		return
	}
	var t *fineTimer
	select {
	case t = <-s.free:
	default:
		var err error
		if t, err = newFineTimer(); err != nil {
			time.Sleep(d)
			return
		}
	}
	if t.sleep(d) != nil {
		t.close()
		time.Sleep(d)
		return
	}
	select {
	case s.free <- t:
	default:
		t.close()
	}
}
