// Command gosimtwin runs real-Go twins of gosim workloads, to validate the simulator.
//
// Usage:
//
//	gosimtwin MODE [flags]      (gosimtwin MODE -h lists the flags and their defaults)
//
// Modes (all but idle are presets over two engines, workers.go and server.go):
//
//	steady    goroutines allocating at a fixed rate; the last ring-live-bytes stay live
//	server    open-loop (Poisson) requests: compute, allocate, I/O wait; latency recorded
//	idle      a large heap, then nothing: only the two-minute periodic GCs run
//	memlimit  a cache near GOMEMLIMIT (set by the caller) plus a steady garbage allocator
//	leak      a slow leak (bytes/s kept for ever) on top of a garbage allocator
//	pool      the server with a per-request buffer from sync.Pool (-use-pool) or make()
//
// Every flag maps onto one gosim workload field (see validation/README.md and
// validation/workloads.py). GOMAXPROCS, GOGC and GOMEMLIMIT come from the environment, as in
// any Go program.
//
// A run has three phases:
//
//  1. setup: build the long-lived heap (the cache, which is gosim's BaselineHeap, and the
//     steady ring's slot arrays), then runtime.GC(), so that the run starts the way gosim's
//     warm start does: right after a cycle that marked exactly that heap;
//  2. the run, duration-ms long. gosim's t=0 is its start (t_run_start_s in the output). The
//     "window" is the run without its first warmup-ms: window figures are deltas of
//     runtime/metrics between its two ends, and only requests scheduled inside it count;
//  3. the report: ONE JSON line on stdout (the config, the metrics, the latency histogram).
//
// GODEBUG=gctrace=1 output goes to stderr as usual; the program writes nothing else there
// unless it fails. Times in the output are seconds since the program's package init (within
// a millisecond of the runtime's init, which is gctrace's @T origin).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/trace"
	"syscall"
	"time"
)

// procStart is gctrace's time origin, as near as a program can get to it.
var procStart = time.Now()

func sinceStart(t time.Time) float64 { return t.Sub(procStart).Seconds() }

const (
	kib = 1 << 10
	mib = 1 << 20
)

// config holds every flag. Field comments give the gosim field each one maps onto.
type config struct {
	mode string

	// Common to every mode.
	durationMs int64  // SimConfig.duration_ns / 1e6
	warmupMs   int64  // SimConfig.warmup_ns / 1e6
	seed       uint64 // SimConfig.seed (the streams differ; only the distributions match)
	sampleMs   int64  // metrics sampler period (0 = off); no gosim field
	traceFile  string // runtime/trace execution trace of the run after setup ("" = none)
	lateLog    string // the workers' tick lateness, one line per sleep ("" = none); no gosim field
	// The cache: Workload.baseline_heap.
	cacheLiveBytes         int64   // live_bytes
	cacheObjectBytes       int     // object_bytes
	cacheScannableFraction float64 // scannable_fraction
	cacheChurnBytesPerS    float64 // churn_bytes_per_s
	idleGoroutines         int     // Workload.idle_goroutines

	// The workers engine (steady, memlimit, leak): Workload.workers[0].
	goroutines        int     // WorkerGroup.count
	allocBytesPerS    float64 // Allocate.bytes = alloc-bytes-per-s * tick / goroutines
	objectBytes       int     // Allocate.object_sizes = (ObjectSize(object-bytes),); also server
	scannableFraction float64 // Allocate.scannable_fraction; also server
	ringLiveBytes     int64   // Allocate.lifetime TTL, ttl_ns = ring-live-bytes / alloc rate
	leakBytesPerS     float64 // a second Allocate with lifetime FOREVER
	tickNs            int64   // IOWait between the worker's allocation batches

	// The server engine (server, pool): Workload.open_loop and Workload.request.
	ratePerS    float64 // OpenLoop.rate_per_s
	arrival     string  // OpenLoop.process: poisson | constant
	computeNs   int64   // Compute.duration_ns (mean)
	computeDist string  // its Distribution kind: constant | exponential
	allocBytes  int64   // Allocate.bytes per request (lifetime REQUEST)
	ioNs        int64   // IOWait.duration_ns (mean)
	ioDist      string  // constant | exponential
	bufBytes    int     // PoolGet.object_bytes (with -use-pool) or an Allocate of that size
	bufScan     bool    // PoolGet.scannable
	usePool     bool    // PoolGet/PoolPut steps instead of an Allocate step
	timer       string  // timerfd | sleep: how pacing, arrivals and I/O waits sleep; no gosim field
	spinNs      int64   // generator busy-waits this last stretch before an arrival
	drainMs     int64   // how long to wait for in-flight requests at the end
}

func defaults(mode string) config {
	c := config{
		mode: mode, durationMs: 10_000, warmupMs: 1_000, seed: 1, sampleMs: 10,
		cacheObjectBytes: 256, cacheScannableFraction: 0.5,
		goroutines: 2, allocBytesPerS: 64 * mib, objectBytes: 64, scannableFraction: 0.5,
		tickNs:   1_000_000,
		ratePerS: 2000, arrival: "poisson", computeNs: 100_000, computeDist: "exponential",
		allocBytes: 16 * kib, ioNs: 1_000_000, ioDist: "exponential", timer: "timerfd",
		drainMs: 2_000,
	}
	switch mode {
	case "steady":
		c.ringLiveBytes = 32 * mib
	case "server":
		c.objectBytes = 128
		c.cacheLiveBytes = 64 * mib
		c.cacheChurnBytesPerS = 1 * mib
	case "idle":
		c.durationMs = 330_000 // > 5 min: two periodic GCs, at ~120 s and ~241 s
		c.warmupMs = 0
		c.sampleMs = 0 // a ticking sampler would keep sysmon awake
		c.cacheLiveBytes = 256 * mib
	case "memlimit":
		c.cacheLiveBytes = 96 * mib // the caller sets GOMEMLIMIT a little above this
		c.allocBytesPerS = 64 * mib
	case "leak":
		c.goroutines = 1
		c.allocBytesPerS = 32 * mib
		c.leakBytesPerS = 4 * mib
		c.cacheLiveBytes = 32 * mib
	case "pool":
		c.ratePerS = 2000
		c.computeNs = 50_000
		c.allocBytes = 2 * kib
		c.ioNs = 0
		c.bufBytes = 32 * kib
		c.usePool = true
	}
	return c
}

func (c *config) register(fs *flag.FlagSet) {
	fs.Int64Var(&c.durationMs, "duration-ms", c.durationMs, "run length after setup (gosim duration_ns)")
	fs.Int64Var(&c.warmupMs, "warmup-ms", c.warmupMs, "start of the measurement window (gosim warmup_ns)")
	fs.Uint64Var(&c.seed, "seed", c.seed, "random seed (arrivals, compute and I/O samples)")
	fs.Int64Var(&c.sampleMs, "sample-ms", c.sampleMs, "metrics sampler period in ms, 0 = off")
	fs.StringVar(&c.traceFile, "trace", c.traceFile, "write a runtime/trace execution trace of the run after setup to this file (diagnosis; perturbs the run)")
	fs.StringVar(&c.lateLog, "late-log", c.lateLog, "workers only: write each sleep's wake-up time (s since the program started, gctrace's origin) and lateness (s) to this file, one 'T LATE' line each (diagnosis)")
	fs.Int64Var(&c.cacheLiveBytes, "cache-live-bytes", c.cacheLiveBytes, "long-lived cache (baseline_heap.live_bytes)")
	fs.IntVar(&c.cacheObjectBytes, "cache-object-bytes", c.cacheObjectBytes, "cache entry size (baseline_heap.object_bytes)")
	fs.Float64Var(&c.cacheScannableFraction, "cache-scannable-fraction", c.cacheScannableFraction, "fraction of cache entries with pointers")
	fs.Float64Var(&c.cacheChurnBytesPerS, "cache-churn-bytes-per-s", c.cacheChurnBytesPerS, "cache bytes replaced per second (baseline_heap.churn_bytes_per_s)")
	fs.IntVar(&c.idleGoroutines, "idle-goroutines", c.idleGoroutines, "parked goroutines (idle_goroutines)")
	switch c.mode {
	case "steady", "memlimit", "leak":
		fs.IntVar(&c.goroutines, "goroutines", c.goroutines, "allocating goroutines (workers[0].count)")
		fs.Float64Var(&c.allocBytesPerS, "alloc-bytes-per-s", c.allocBytesPerS, "allocation rate, all goroutines together")
		fs.IntVar(&c.objectBytes, "object-bytes", c.objectBytes, "object size")
		fs.Float64Var(&c.scannableFraction, "scannable-fraction", c.scannableFraction, "fraction of objects with pointers")
		fs.Int64Var(&c.ringLiveBytes, "ring-live-bytes", c.ringLiveBytes, "the newest objects kept live in a ring (0: garbage at once)")
		fs.Float64Var(&c.leakBytesPerS, "leak-bytes-per-s", c.leakBytesPerS, "bytes per second kept for ever")
		fs.Int64Var(&c.tickNs, "tick-ns", c.tickNs, "pacing period of each goroutine")
		fs.StringVar(&c.timer, "timer", c.timer, "timerfd (netpoller, us precision) | sleep (time.Sleep)")
	case "server", "pool":
		fs.Float64Var(&c.ratePerS, "rate-per-s", c.ratePerS, "request arrival rate (open_loop.rate_per_s)")
		fs.StringVar(&c.arrival, "arrival", c.arrival, "arrival process: poisson | constant")
		fs.Int64Var(&c.computeNs, "compute-ns", c.computeNs, "CPU work per request, mean ns")
		fs.StringVar(&c.computeDist, "compute-dist", c.computeDist, "constant | exponential")
		fs.Int64Var(&c.allocBytes, "alloc-bytes", c.allocBytes, "bytes allocated per request (held until it ends)")
		fs.IntVar(&c.objectBytes, "object-bytes", c.objectBytes, "object size of the request's allocation")
		fs.Float64Var(&c.scannableFraction, "scannable-fraction", c.scannableFraction, "fraction of those objects with pointers")
		fs.Int64Var(&c.ioNs, "io-ns", c.ioNs, "off-CPU wait per request, mean ns (0 = none)")
		fs.StringVar(&c.ioDist, "io-dist", c.ioDist, "constant | exponential")
		fs.IntVar(&c.bufBytes, "buf-bytes", c.bufBytes, "per-request buffer size (0 = none)")
		fs.BoolVar(&c.bufScan, "buf-scannable", c.bufScan, "the buffer holds pointers")
		fs.BoolVar(&c.usePool, "use-pool", c.usePool, "take the buffer from a sync.Pool instead of allocating it")
		fs.StringVar(&c.timer, "timer", c.timer, "timerfd (netpoller, us precision) | sleep (time.Sleep)")
		fs.Int64Var(&c.spinNs, "spin-ns", c.spinNs, "generator busy-waits the last spin-ns before each arrival")
		fs.Int64Var(&c.drainMs, "drain-ms", c.drainMs, "wait for in-flight requests at the end")
	}
}

func (c *config) check() error {
	bad := func(f string, a ...any) error { return fmt.Errorf(f, a...) }
	switch {
	case c.durationMs <= 0:
		return bad("-duration-ms must be > 0")
	case c.warmupMs < 0 || c.warmupMs >= c.durationMs:
		return bad("-warmup-ms must be in [0, duration-ms)")
	case c.cacheLiveBytes > 0 && c.cacheObjectBytes <= 0:
		return bad("-cache-object-bytes must be > 0")
	case c.objectBytes <= 0:
		return bad("-object-bytes must be > 0")
	case c.scannableFraction < 0 || c.scannableFraction > 1 || c.cacheScannableFraction < 0 || c.cacheScannableFraction > 1:
		return bad("scannable fractions must be in [0, 1]")
	case c.goroutines < 1:
		return bad("-goroutines must be >= 1")
	case c.tickNs <= 0:
		return bad("-tick-ns must be > 0")
	case c.ratePerS < 0:
		return bad("-rate-per-s must be >= 0")
	case c.arrival != "poisson" && c.arrival != "constant":
		return bad("-arrival must be poisson or constant")
	case !validDist(c.computeDist) || !validDist(c.ioDist):
		return bad("-compute-dist and -io-dist must be constant or exponential")
	case c.timer != "timerfd" && c.timer != "sleep":
		return bad("-timer must be timerfd or sleep")
	}
	return nil
}

func validDist(s string) bool { return s == "constant" || s == "exponential" }

// flagValues is every flag of the mode with its typed value, for the report.
func flagValues(fs *flag.FlagSet) map[string]any {
	m := map[string]any{}
	fs.VisitAll(func(f *flag.Flag) { m[f.Name] = f.Value.(flag.Getter).Get() })
	return m
}

// run is what every mode shares: the output being assembled and the phase times.
type run struct {
	cfg          *config
	ctx          context.Context // cancelled by SIGINT/SIGTERM: the run ends early and still reports
	out          map[string]any
	cache        *cache
	runStart     time.Time
	winStart     snapshot
	winStartT    time.Time
	haveWinStart chan struct{}
	sampler      *sampler
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" {
		fmt.Fprintln(os.Stderr, "usage: gosimtwin steady|server|idle|memlimit|leak|pool [flags]  (MODE -h for flags)")
		os.Exit(2)
	}
	mode := os.Args[1]
	switch mode {
	case "steady", "server", "idle", "memlimit", "leak", "pool":
	default:
		fmt.Fprintf(os.Stderr, "gosimtwin: unknown mode %q\n", mode)
		os.Exit(2)
	}
	cfg := defaults(mode)
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	cfg.register(fs)
	_ = fs.Parse(os.Args[2:])
	if err := cfg.check(); err != nil {
		fmt.Fprintln(os.Stderr, "gosimtwin:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	r := &run{cfg: &cfg, ctx: ctx, haveWinStart: make(chan struct{})}
	r.out = map[string]any{
		"schema": 1, "program": "gosimtwin", "mode": mode, "config": flagValues(fs),
		"go_version": runtime.Version(), "goos": runtime.GOOS, "goarch": runtime.GOARCH,
		"ncpu": runtime.NumCPU(), "gomaxprocs": runtime.GOMAXPROCS(0),
		"env": map[string]string{"GOGC": os.Getenv("GOGC"), "GOMEMLIMIT": os.Getenv("GOMEMLIMIT"),
			"GODEBUG": os.Getenv("GODEBUG"), "GOMAXPROCS": os.Getenv("GOMAXPROCS")},
		"memory_limit_bytes": debug.SetMemoryLimit(-1),
	}

	// Setup: the long-lived heap, then a cycle that marks it.
	r.cache = newCache(cfg.cacheLiveBytes, cfg.cacheObjectBytes, cfg.cacheScannableFraction)
	parkIdleGoroutines(cfg.idleGoroutines)
	var engine interface{ run(*run) }
	switch mode {
	case "steady", "memlimit", "leak":
		engine = newWorkers(&cfg)
	case "server", "pool":
		engine = newServer(&cfg)
	case "idle":
		engine = idle{}
	}
	runtime.GC()
	r.runStart = time.Now()
	r.out["t_setup_end_s"] = sinceStart(r.runStart)
	r.out["t_run_start_s"] = sinceStart(r.runStart)
	r.out["run_start_metrics"] = readAll().scalars()

	if cfg.sampleMs > 0 {
		r.sampler = startSampler(time.Duration(cfg.sampleMs)*time.Millisecond, newSleeper(cfg.timer))
	}
	if cfg.cacheChurnBytesPerS > 0 {
		go r.cache.churn(r, cfg.cacheChurnBytesPerS)
	}
	if cfg.traceFile != "" {
		f, err := os.Create(cfg.traceFile)
		if err == nil {
			err = trace.Start(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gosimtwin: -trace:", err)
			os.Exit(2)
		}
		defer f.Close()
	}
	go r.openWindow()
	engine.run(r) // returns at the end of the run (or on a signal), after closing the window
	if cfg.traceFile != "" {
		trace.Stop()
	}
	r.report()
}

// openWindow takes the window's first metrics snapshot warmup-ms after the run starts.
func (r *run) openWindow() {
	if d := time.Duration(r.cfg.warmupMs) * time.Millisecond; d > 0 {
		select {
		case <-time.After(time.Until(r.runStart.Add(d))):
		case <-r.ctx.Done():
		}
	}
	r.winStartT = time.Now()
	r.winStart = readAll()
	close(r.haveWinStart)
}

// runEnd is when the run is over: duration-ms after its start.
func (r *run) runEnd() time.Time {
	return r.runStart.Add(time.Duration(r.cfg.durationMs) * time.Millisecond)
}

// closeWindow takes the window's last snapshot; engines call it when the run's time is up,
// before draining whatever is still in flight.
func (r *run) closeWindow() {
	<-r.haveWinStart
	end := readAll()
	now := time.Now()
	r.out["t_window_start_s"] = sinceStart(r.winStartT)
	r.out["t_window_end_s"] = sinceStart(now)
	r.out["window_s"] = now.Sub(r.winStartT).Seconds()
	r.out["metrics"] = windowReport(r.winStart, end, now.Sub(r.winStartT))
	r.out["interrupted"] = r.ctx.Err() != nil
}

func (r *run) report() {
	now := time.Now()
	r.out["t_end_s"] = sinceStart(now)
	r.out["end_metrics"] = readAll().scalars()
	if r.sampler != nil {
		r.out["samples"] = r.sampler.stop()
	}
	r.out["cache"] = r.cache.report()
	b, err := json.Marshal(r.out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gosimtwin: encoding the report:", err)
		os.Exit(1)
	}
	os.Stdout.Write(append(b, '\n'))
}

// idle is the idle mode: after setup, nothing runs until the end of the run, so the only
// GCs are the periodic (two-minute) ones. No sampler, no churn (their defaults are off).
type idle struct{}

func (idle) run(r *run) {
	select {
	case <-time.After(time.Until(r.runEnd())):
	case <-r.ctx.Done():
	}
	r.closeWindow()
}

// parkIdleGoroutines starts n goroutines that block for ever (gosim's idle_goroutines:
// stacks the GC scans, nothing else).
func parkIdleGoroutines(n int) {
	block := make(chan struct{})
	for range n {
		go func() { <-block }()
	}
}
