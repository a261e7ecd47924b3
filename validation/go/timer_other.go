//go:build !linux

package main

import (
	"errors"
	"time"
)

// fineTimer exists only on Linux (timerfd); elsewhere -timer=timerfd falls back to sleep.
type fineTimer struct{}

func newFineTimer() (*fineTimer, error) { return nil, errors.New("timerfd needs Linux") }

func (*fineTimer) sleep(d time.Duration) error { time.Sleep(d); return nil }
func (*fineTimer) close()                      {}
