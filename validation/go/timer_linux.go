//go:build linux

package main

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// fineTimer sleeps on a Linux timerfd read through Go's netpoller.
//
// Why: time.Sleep in an otherwise idle Go program wakes ~1 ms late. With every P idle, the
// M that waits for the next timer blocks in epoll_wait, whose timeout is in whole ms
// (runtime/netpoll_epoll.go: delay/1e6, and 1 ms for anything shorter), so a request's
// I/O wait or the generator's next arrival would be late by up to a millisecond. A timerfd
// is a file descriptor that becomes readable at a ns-precision (hrtimer) deadline; read
// through an *os.File opened non-blocking it parks the goroutine in the netpoller like a
// socket, and epoll_wait returns as soon as it fires, so the wake-up is µs-precise and no P
// is held while waiting.
//
// The price: the netpoller is polled by the scheduler only when a P runs out of work (and
// by sysmon every 10 ms, and after every stop-the-world). When every P has a backlog of
// runnable goroutines, a fired timerfd is noticed late, as a real network read would be.
// The generator's lateness is measured (generator_lag in the output). -timer=sleep uses
// time.Sleep instead (checked at every schedule, but ~1 ms coarse when idle).
type fineTimer struct {
	fd  int
	f   *os.File
	buf [8]byte
}

const clockMonotonic = 1

type itimerspec struct {
	interval syscall.Timespec
	value    syscall.Timespec
}

func newFineTimer() (*fineTimer, error) {
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic,
		syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		return nil, os.NewSyscallError("timerfd_create", errno)
	}
	// os.NewFile sees O_NONBLOCK and registers the fd with the netpoller. (Never call
	// f.Fd(): it would switch the fd back to blocking mode.)
	return &fineTimer{fd: int(fd), f: os.NewFile(fd, "timerfd")}, nil
}

// sleep blocks the goroutine (not its P) for d.
func (t *fineTimer) sleep(d time.Duration) error {
	if d <= 0 {
		return nil
	}
	its := itimerspec{value: syscall.NsecToTimespec(int64(d))}
	_, _, errno := syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, uintptr(t.fd), 0,
		uintptr(unsafe.Pointer(&its)), 0, 0, 0)
	if errno != 0 {
		return os.NewSyscallError("timerfd_settime", errno)
	}
	_, err := t.f.Read(t.buf[:]) // the expiration count; returns once the timer fired
	return err
}

func (t *fineTimer) close() { t.f.Close() }
