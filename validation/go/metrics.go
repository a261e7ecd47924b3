package main

import (
	"math"
	"runtime/metrics"
	"strings"
	"sync"
	"time"
)

// snapshot is every runtime/metrics value at one moment.
type snapshot struct {
	samples []metrics.Sample
	cum     map[string]bool // cumulative metrics (counters): the window reports their deltas
}

var (
	descsOnce sync.Once
	descs     []metrics.Description
)

func readAll() snapshot {
	descsOnce.Do(func() { descs = metrics.All() })
	s := snapshot{samples: make([]metrics.Sample, len(descs)), cum: map[string]bool{}}
	for i, d := range descs {
		s.samples[i].Name = d.Name
		s.cum[d.Name] = d.Cumulative
	}
	metrics.Read(s.samples)
	return s
}

func scalar(v metrics.Value) (float64, bool) {
	switch v.Kind() {
	case metrics.KindUint64:
		return float64(v.Uint64()), true
	case metrics.KindFloat64:
		return v.Float64(), true
	}
	return 0, false
}

// scalars is every scalar metric by name (uint64 values as exact integers).
func (s snapshot) scalars() map[string]any {
	m := map[string]any{}
	for _, x := range s.samples {
		switch x.Value.Kind() {
		case metrics.KindUint64:
			m[x.Name] = x.Value.Uint64()
		case metrics.KindFloat64:
			if f := x.Value.Float64(); !math.IsInf(f, 0) && !math.IsNaN(f) {
				m[x.Name] = f
			}
		}
	}
	return m
}

func (s snapshot) get(name string) float64 {
	for _, x := range s.samples {
		if x.Name == name {
			f, _ := scalar(x.Value)
			return f
		}
	}
	return math.NaN()
}

// bound turns a histogram boundary into JSON (nil for the infinities).
func bound(f float64) any {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil
	}
	return f
}

// windowReport: the deltas of every cumulative scalar and histogram between two snapshots
// (histograms as their non-empty buckets [lo, hi, count], lo/hi in the metric's unit, null
// for -Inf/+Inf), plus a few derived figures.
func windowReport(a, b snapshot, wall time.Duration) map[string]any {
	deltas := map[string]any{}
	hists := map[string]any{}
	for i, y := range b.samples {
		x := a.samples[i]
		if !b.cum[y.Name] {
			continue
		}
		switch y.Value.Kind() {
		case metrics.KindUint64:
			deltas[y.Name] = y.Value.Uint64() - x.Value.Uint64()
		case metrics.KindFloat64:
			deltas[y.Name] = y.Value.Float64() - x.Value.Float64()
		case metrics.KindFloat64Histogram:
			hy, hx := y.Value.Float64Histogram(), x.Value.Float64Histogram()
			var buckets [][3]any
			var n uint64
			for j, c := range hy.Counts {
				if d := c - hx.Counts[j]; d != 0 {
					buckets = append(buckets, [3]any{bound(hy.Buckets[j]), bound(hy.Buckets[j+1]), d})
					n += d
				}
			}
			if n > 0 {
				hists[y.Name] = map[string]any{"count": n, "buckets": buckets}
			}
		}
	}
	d := func(name string) float64 {
		v, ok := deltas[name]
		if !ok {
			return math.NaN()
		}
		switch v := v.(type) {
		case uint64:
			return float64(v)
		case float64:
			return v
		}
		return math.NaN()
	}
	derived := map[string]any{}
	put := func(k string, v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			derived[k] = v
		}
	}
	total := d("/cpu/classes/total:cpu-seconds")
	gc := d("/cpu/classes/gc/total:cpu-seconds")
	idle := d("/cpu/classes/gc/mark/idle:cpu-seconds")
	put("gc_cpu_fraction", (gc-idle)/total) // gctrace's U% and gosim's gc_cpu_fraction exclude idle marking
	put("gc_cpu_fraction_with_idle", gc/total)
	put("gc_cycles_per_s", d("/gc/cycles/total:gc-cycles")/wall.Seconds())
	put("alloc_bytes_per_s", d("/gc/heap/allocs:bytes")/wall.Seconds())
	put("alloc_objects_per_s", d("/gc/heap/allocs:objects")/wall.Seconds())
	return map[string]any{"deltas": deltas, "histograms": hists, "derived": derived}
}

// sampler polls a few gauges: peaks over the run, and the (goal, live) pair after each GC
// cycle it sees (it misses cycles shorter than its period; gctrace has them all).
//
// It sleeps on the same timer as the workload (-timer, a timerfd by default), at fixed
// times every period from its start. Not on a time.Ticker: Go runs its own timers only
// when a P schedules, so during a mark (idle and fractional workers running for ms) a
// ticker's tick waits and fires as the world restarts after mark termination, and the
// first sample after a cycle then lands before the sweeper has begun. With a memory limit
// and stranded garbage the goal falls by tens of MB in the ~5 ms of that sweep, so such a
// sample reads the goal before the fall far more often than a sample at an even phase
// would. A timerfd wakes the sampler through the netpoller, which idle mark workers poll
// (pollWork), so its samples keep their phase through marks.
type sampler struct {
	done   chan struct{}
	result chan map[string]any
}

var sampled = []string{
	"/gc/cycles/total:gc-cycles", "/gc/heap/goal:bytes", "/gc/heap/live:bytes",
	"/memory/classes/heap/objects:bytes", "/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes",
}

func startSampler(every time.Duration, timer *sleeper) *sampler {
	s := &sampler{done: make(chan struct{}), result: make(chan map[string]any, 1)}
	go func() {
		xs := make([]metrics.Sample, len(sampled))
		for i, n := range sampled {
			xs[i].Name = n
		}
		v := func(i int) float64 { f, _ := scalar(xs[i].Value); return f }
		var peakObj, peakMapped, peakGoal float64
		lastCycle := -1.0
		var cycles [][5]float64
		n := 0
		start := time.Now()
		for {
			metrics.Read(xs)
			n++
			peakObj = max(peakObj, v(3))
			peakMapped = max(peakMapped, v(4)-v(5))
			peakGoal = max(peakGoal, v(1))
			if c := v(0); c != lastCycle {
				lastCycle = c
				if len(cycles) < 100_000 {
					cycles = append(cycles, [5]float64{c, sinceStart(time.Now()), v(1), v(2), v(6) + v(7)})
				}
			}
			select {
			case <-s.done:
				s.result <- map[string]any{
					"period_s": every.Seconds(), "samples": n,
					"peak_heap_objects_bytes": peakObj, "peak_memory_minus_released_bytes": peakMapped,
					"peak_heap_goal_bytes": peakGoal, "timer": timer.note,
					"cycles_columns": strings.Split("cycle t_s goal_bytes live_bytes stack_plus_globals_bytes", " "),
					"cycles":         cycles,
				}
				return
			default:
			}
			el := time.Since(start)
			timer.sleep((el/every+1)*every - el)
		}
	}()
	return s
}

func (s *sampler) stop() map[string]any {
	close(s.done)
	return <-s.result
}
