package main

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// The server engine: server and pool. gosim: Workload.open_loop (rate-per-s, arrival) with
// Workload.request, a Program of these steps, each only if its size is non-zero:
//
//	PoolGet("buf", buf-bytes, buf-scannable)   or, without -use-pool, Allocate(buf-bytes)
//	Compute(compute-ns, compute-dist)
//	Allocate(alloc-bytes in object-bytes objects, scannable-fraction, lifetime REQUEST)
//	Allocate(8 bytes per object: the slice holding them, one scannable object)
//	IOWait(io-ns, io-dist)
//	PoolPut("buf")                             (with -use-pool)
//
// One generator goroutine draws the arrival times (Poisson or evenly spaced) and each
// request's compute and I/O samples from a seeded PCG stream, waits for each arrival with
// the fine timer (timer_linux.go) and starts a goroutine for it, as gosim spawns one per
// request. A request's latency runs from its *scheduled* arrival time to its end, so a late
// generator counts against the server, as it would for real clients (no coordinated
// omission). Only requests scheduled in the window [warmup, duration) are recorded.
//
// Compute is a calibrated xorshift loop: CPU work, not wall time, so a request that is
// preempted or waits for a P takes longer, as in gosim. The loop does no pointer writes
// (gosim's write-barrier slowdown does not apply to it in reality).
type server struct {
	cfg       *config
	nsPerIter float64
	nobj      int
	pool      sync.Pool
	timer     *sleeper
	runStart  time.Time
	warmup    time.Duration
	lat, lag  *hist

	inflight              sync.WaitGroup
	arrived, completed    atomic.Int64
	recorded, poolMisses  atomic.Int64
	computeWall, computeN atomic.Int64
	sink                  atomic.Uint64
}

func newServer(c *config) *server {
	s := &server{cfg: c, lat: newHist(), lag: newHist(), timer: newSleeper(c.timer),
		warmup: time.Duration(c.warmupMs) * time.Millisecond}
	s.nobj = int(c.allocBytes / int64(c.objectBytes))
	s.nsPerIter = calibrate()
	return s
}

//go:noinline
func spin(n int64) uint64 {
	x := uint64(n) | 1
	for i := int64(0); i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// calibrate returns the loop's ns per iteration: the fastest of 30 short trials, i.e. the
// speed of an uncontended core (other processes only ever make trials slower).
func calibrate() float64 {
	const n = 1 << 18
	best := math.Inf(1)
	var sink uint64
	for range 30 {
		t := time.Now()
		sink += spin(n)
		best = min(best, float64(time.Since(t).Nanoseconds())/n)
	}
	if sink == 42 {
		println()
	}
	return best
}

func (s *server) sample(rng *rand.Rand, mean int64, dist string) int64 {
	if mean <= 0 {
		return 0
	}
	if dist == "exponential" {
		return int64(rng.ExpFloat64() * float64(mean))
	}
	return mean
}

func (s *server) run(r *run) {
	c := s.cfg
	s.runStart = r.runStart
	dur := time.Duration(c.durationMs) * time.Millisecond
	spinD := time.Duration(c.spinNs)
	rng := rand.New(rand.NewPCG(c.seed, 0x9e3779b97f4a7c15))
	var schedS float64
	for c.ratePerS > 0 && r.ctx.Err() == nil {
		if c.arrival == "poisson" {
			schedS += rng.ExpFloat64() / c.ratePerS
		} else {
			schedS += 1 / c.ratePerS
		}
		sched := time.Duration(schedS * 1e9)
		if sched >= dur {
			break
		}
		deadline := r.runStart.Add(sched)
		if d := time.Until(deadline); d > spinD {
			s.timer.sleep(d - spinD)
		}
		for spinD > 0 && time.Now().Before(deadline) {
		}
		if sched >= s.warmup {
			s.lag.record(int64(time.Since(r.runStart) - sched))
		}
		comp := s.sample(rng, c.computeNs, c.computeDist)
		io := s.sample(rng, c.ioNs, c.ioDist)
		s.arrived.Add(1)
		s.inflight.Add(1)
		go s.handle(sched, comp, io)
	}
	select {
	case <-time.After(time.Until(r.runEnd())):
	case <-r.ctx.Done():
	}
	r.closeWindow()
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Duration(c.drainMs) * time.Millisecond):
	}
	out := map[string]any{
		"latency": s.lat.report(), "generator_lag": s.lag.report(),
		"arrived": s.arrived.Load(), "completed": s.completed.Load(),
		"recorded": s.recorded.Load(), "unfinished": s.arrived.Load() - s.completed.Load(),
		"achieved_rate_per_s": float64(s.arrived.Load()) / dur.Seconds(),
		"compute_ns_per_iter": s.nsPerIter, "timer": s.timer.note,
		"objects_per_request": s.nobj, "holder_bytes": 8 * s.nobj,
		"pool_misses": s.poolMisses.Load(),
	}
	if n := s.computeN.Load(); n > 0 {
		// Wall time of the compute step over what was asked: > 1 when preempted/contended.
		out["compute_wall_mean_ns"] = float64(s.computeWall.Load()) / float64(n)
	}
	r.out["server"] = out
}

func (s *server) handle(sched time.Duration, computeNs, ioNs int64) {
	defer s.inflight.Done()
	c := s.cfg
	var buf unsafe.Pointer
	if c.bufBytes > 0 {
		if c.usePool {
			buf, _ = s.pool.Get().(unsafe.Pointer)
			if buf == nil {
				s.poolMisses.Add(1)
				buf = newObject(c.bufBytes, c.bufScan)
			}
		} else {
			buf = newObject(c.bufBytes, c.bufScan)
		}
	}
	if computeNs > 0 {
		t := time.Now()
		s.sink.Add(spin(int64(float64(computeNs) / s.nsPerIter)))
		s.computeWall.Add(int64(time.Since(t)))
		s.computeN.Add(1)
	}
	var holder []unsafe.Pointer
	if s.nobj > 0 {
		holder = make([]unsafe.Pointer, s.nobj)
		for i := range holder {
			holder[i] = newObject(c.objectBytes, scanAt(i, c.scannableFraction))
		}
	}
	s.timer.sleep(time.Duration(ioNs))
	runtime.KeepAlive(holder)
	if buf != nil && c.usePool {
		s.pool.Put(buf)
	}
	runtime.KeepAlive(buf)
	if sched >= s.warmup {
		s.lat.record(int64(time.Since(s.runStart) - sched))
		s.recorded.Add(1)
	}
	s.completed.Add(1)
}
