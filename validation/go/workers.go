package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// The workers engine: steady, memlimit and leak. gosim: one WorkerGroup of `goroutines`
// goroutines, each looping over
//
//	Allocate(alloc-bytes-per-s*tick/goroutines, TTL ring-live-bytes/alloc-bytes-per-s,
//	         or REQUEST when there is no ring)
//	Allocate(leak-bytes-per-s*tick/goroutines, FOREVER)      (leak only)
//	IOWait(tick)
//
// Each goroutine paces itself against the clock: at every tick it allocates what it owes
// at its rate since the run started, so a late wake-up changes batch sizes, not the rate.
// It sleeps to the next tick boundary with the -timer sleeper (timerfd by default: with
// time.Sleep a 1 ms tick becomes ~2 ms in a mostly idle program, see timer_linux.go).
//
// The ring: each goroutine keeps its newest ring-live-bytes/goroutines of objects in a
// []unsafe.Pointer of slots allocated at setup (scannable, 8 bytes per slot: workloads.py
// adds them to the baseline heap). A new object overwrites the oldest slot, so every object
// lives exactly ring-live-bytes/alloc-bytes-per-s seconds: gosim's TTL lifetime. Without a
// ring an object is garbage as soon as the next one is allocated.
//
// The leak: leaked objects go into chunks of leakChunkSlots pointers, each chunk's slot 0
// pointing at the previous chunk, so nothing but the chunks themselves (8 bytes per leaked
// object, scannable, also leaked: workloads.py leaks them too) is added.
const leakChunkSlots = 1024

type worker struct {
	ring     []unsafe.Pointer
	ri       int
	chunk    []unsafe.Pointer
	ci       int
	sink     unsafe.Pointer
	mix      mix
	leakMix  mix
	garbage  int64 // bytes allocated for the ring / as garbage
	leaked   int64
	nsleeps  int64
	lateness time.Duration // total time woken after the tick boundary
	late     []lateTick    // each sleep's wake-up and lateness, with -late-log
}

// lateTick is one sleep of a worker: when it woke (s since procStart, gctrace's origin) and
// how long after its tick boundary.
type lateTick struct {
	wokeS float64
	late  time.Duration
}

type workers struct {
	cfg   *config
	ws    []*worker
	timer *sleeper
}

func newWorkers(c *config) *workers {
	w := &workers{cfg: c, timer: newSleeper(c.timer)}
	slots := c.ringLiveBytes / int64(c.objectBytes) / int64(c.goroutines)
	for range c.goroutines {
		wk := &worker{mix: mix{f: c.scannableFraction}, leakMix: mix{f: c.scannableFraction}}
		if slots > 0 {
			wk.ring = make([]unsafe.Pointer, slots)
		}
		w.ws = append(w.ws, wk)
	}
	return w
}

func (w *workers) run(r *run) {
	var wg sync.WaitGroup
	c := w.cfg
	rate := c.allocBytesPerS / float64(c.goroutines)
	leak := c.leakBytesPerS / float64(c.goroutines)
	for _, wk := range w.ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk.loop(r, w.timer, rate, leak, c.objectBytes, time.Duration(c.tickNs))
		}()
	}
	wg.Wait()
	r.closeWindow()
	if c.lateLog != "" {
		w.writeLateLog(c.lateLog)
	}
	var garbage, leaked, sleeps int64
	var late time.Duration
	for _, wk := range w.ws {
		garbage += wk.garbage
		leaked += wk.leaked
		sleeps += wk.nsleeps
		late += wk.lateness
	}
	el := time.Since(r.runStart).Seconds()
	out := map[string]any{
		"allocated_bytes": garbage, "leaked_bytes": leaked,
		"achieved_alloc_bytes_per_s": float64(garbage) / el,
		"achieved_leak_bytes_per_s":  float64(leaked) / el,
		"ring_slots_per_goroutine":   len(w.ws[0].ring),
		"timer":                      w.timer.note,
	}
	if sleeps > 0 {
		out["mean_tick_lateness_s"] = late.Seconds() / float64(sleeps)
	}
	r.out["workers"] = out
	runtime.KeepAlive(w.ws)
}

func (wk *worker) loop(r *run, timer *sleeper, rate, leak float64, size int, tick time.Duration) {
	end := r.runEnd()
	for {
		now := time.Now()
		if !now.Before(end) || r.ctx.Err() != nil {
			return
		}
		el := now.Sub(r.runStart)
		for owed := int64(rate*el.Seconds()) - wk.garbage; owed >= int64(size); owed -= int64(size) {
			p := newObject(size, wk.mix.next())
			if wk.ring != nil {
				wk.ring[wk.ri] = p
				if wk.ri++; wk.ri == len(wk.ring) {
					wk.ri = 0
				}
			} else {
				wk.sink = p
			}
			wk.garbage += int64(size)
		}
		for owed := int64(leak*el.Seconds()) - wk.leaked; owed >= int64(size); owed -= int64(size) {
			if wk.chunk == nil || wk.ci == leakChunkSlots {
				next := make([]unsafe.Pointer, leakChunkSlots)
				if wk.chunk != nil {
					next[0] = unsafe.Pointer(unsafe.SliceData(wk.chunk))
				}
				wk.chunk, wk.ci = next, 1
			}
			wk.chunk[wk.ci] = newObject(size, wk.leakMix.next())
			wk.ci++
			wk.leaked += int64(size)
		}
		el = time.Since(r.runStart)
		next := (el/tick + 1) * tick
		timer.sleep(next - el)
		woke := time.Now()
		wk.nsleeps++
		wk.lateness += woke.Sub(r.runStart) - next
		if r.cfg.lateLog != "" {
			wk.late = append(wk.late, lateTick{sinceStart(woke), woke.Sub(r.runStart) - next})
		}
	}
}

// writeLateLog writes every worker's sleeps, one "T LATE" line each (seconds), for -late-log.
func (w *workers) writeLateLog(path string) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gosimtwin: -late-log:", err)
		return
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	for _, wk := range w.ws {
		for _, t := range wk.late {
			fmt.Fprintf(bw, "%.6f %.6f\n", t.wokeS, t.late.Seconds())
		}
	}
	bw.Flush()
}
