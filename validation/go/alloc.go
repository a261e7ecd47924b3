package main

import (
	"time"
	"unsafe"
)

// Objects. gosim describes an allocation by its size and whether it is scannable (holds
// pointers). Here a scannable object of n bytes is a []unsafe.Pointer of n/8 words, every
// word pointing at one shared sentinel (so the GC follows real pointers, not nils, and no
// object keeps any other one alive); a pointer-free object is a []byte. Either way only the
// backing array is allocated: the caller keeps its address as an unsafe.Pointer. Go adds an
// 8-byte malloc header to scannable objects over 512 bytes, and rounds every size up to its
// size class; gosim's sizeclasses module does the same, so sizes are passed through as is.

// sentinel is what every pointer word of every scannable object points at.
var sentinel = unsafe.Pointer(unsafe.SliceData(make([]byte, 16)))

// newObject allocates one object of size bytes (rounded up to whole words if scannable).
func newObject(size int, scan bool) unsafe.Pointer {
	if scan {
		s := make([]unsafe.Pointer, (size+7)/8)
		for i := range s {
			s[i] = sentinel
		}
		return unsafe.Pointer(unsafe.SliceData(s))
	}
	return unsafe.Pointer(unsafe.SliceData(make([]byte, size)))
}

// mix spreads scannable objects evenly: of every run of objects, the fraction f is
// scannable (objects i with floor((i+1)f) > floor(i f)), with no randomness, like gosim's
// fractional carry.
type mix struct {
	f   float64
	acc float64
}

func (m *mix) next() bool {
	m.acc += m.f
	if m.acc >= 1-1e-12 {
		m.acc -= 1
		return true
	}
	return false
}

// scanAt reports whether object i of a fixed-size batch is scannable (the same rule for a
// batch allocated by one request, with no shared state).
func scanAt(i int, f float64) bool {
	return int(float64(i+1)*f+1e-9) > int(float64(i)*f+1e-9)
}

// cache is the long-lived heap present from the start: gosim's BaselineHeap. Its entries
// are held in one []unsafe.Pointer index (a single scannable object of 8 bytes per entry,
// which workloads.py folds into the baseline heap). Churn replaces the oldest entries.
type cache struct {
	entries  []unsafe.Pointer
	size     int
	mix      mix
	next     int   // the oldest entry, replaced next
	replaced int64 // bytes replaced by churn
}

func newCache(liveBytes int64, objBytes int, scanFraction float64) *cache {
	c := &cache{size: objBytes, mix: mix{f: scanFraction}}
	if liveBytes <= 0 || objBytes <= 0 {
		return c
	}
	c.entries = make([]unsafe.Pointer, liveBytes/int64(objBytes))
	for i := range c.entries {
		c.entries[i] = newObject(objBytes, c.mix.next())
	}
	return c
}

// churnTick is gosim's CHURN_TICK_NS: churn happens in batches every 10 ms.
const churnTick = 10 * time.Millisecond

// churn replaces bytesPerS of the cache per second, in 10 ms batches, catching up if a tick
// comes late, until the run ends. (In gosim churn costs no P time; here it is a goroutine
// like any other, a small difference at the rates used.)
func (c *cache) churn(r *run, bytesPerS float64) {
	if len(c.entries) == 0 {
		return
	}
	end := r.runEnd()
	for {
		now := time.Now()
		if !now.Before(end) || r.ctx.Err() != nil {
			return
		}
		owed := int64(bytesPerS*now.Sub(r.runStart).Seconds()) - c.replaced
		for ; owed >= int64(c.size); owed -= int64(c.size) {
			c.entries[c.next] = newObject(c.size, c.mix.next())
			c.next++
			if c.next == len(c.entries) {
				c.next = 0
			}
			c.replaced += int64(c.size)
		}
		el := now.Sub(r.runStart)
		time.Sleep((el/churnTick+1)*churnTick - el)
	}
}

func (c *cache) report() map[string]any {
	return map[string]any{
		"entries": len(c.entries), "object_bytes": c.size,
		"index_bytes": 8 * len(c.entries), "churned_bytes": c.replaced,
	}
}
