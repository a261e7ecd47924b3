package main

import (
	"math"
	"math/bits"
	"sync/atomic"
)

// hist is an HDR histogram of durations in ns with exactly the layout of gosim's
// simcore.histogram.TimeHistogram(sub_bucket_bits=5): Go's runtime timeHistogram
// (minBucketBits 9, maxBucketBits 48) with 32 linear sub-buckets per power of two instead
// of 4, so a bucket is at most 1/32 of its lower edge wide (~3 %). It also keeps the exact
// count, sum, min and max. Safe for concurrent use (atomics only).
const (
	histSubBits  = 5
	histMinBits  = 9
	histMaxBits  = 48
	histShift0   = histMinBits - 1 - histSubBits
	histMask     = 1<<histSubBits - 1
	histAdj      = 1 - (histMinBits-1)<<histSubBits
	histRegular  = (histMaxBits - histMinBits + 1) << histSubBits
	histOverflow = histRegular + 1
)

type hist struct {
	counts [histRegular + 2]atomic.Uint64 // [underflow, regular..., overflow]
	count  atomic.Uint64
	sum    atomic.Int64
	min    atomic.Int64
	max    atomic.Int64
}

func newHist() *hist {
	h := &hist{}
	h.min.Store(math.MaxInt64)
	h.max.Store(math.MinInt64)
	return h
}

func histIndex(d int64) int {
	if d < 0 {
		return 0
	}
	n := bits.Len64(uint64(d))
	if n < histMinBits {
		return 1 + int(d>>histShift0)
	}
	if n >= histMaxBits {
		return histOverflow
	}
	return n<<histSubBits + histAdj + int(d>>(n-1-histSubBits))&histMask
}

// histEdge is the inclusive lower bound (ns) of counts[i] for 1 <= i <= histOverflow.
func histEdge(i int) int64 {
	if i <= 1<<histSubBits {
		return int64(i-1) << histShift0
	}
	j := i - 1 - 1<<histSubBits // index among buckets from 2^(minBits-1) on
	b := j >> histSubBits       // power: [2^(minBits-1+b), ...)
	s := j & histMask
	p := histMinBits - 1 + b
	return 1<<p | int64(s)<<(p-histSubBits)
}

func (h *hist) record(d int64) {
	h.counts[histIndex(d)].Add(1)
	h.count.Add(1)
	h.sum.Add(d)
	for m := h.min.Load(); d < m && !h.min.CompareAndSwap(m, d); m = h.min.Load() {
	}
	for m := h.max.Load(); d > m && !h.max.CompareAndSwap(m, d); m = h.max.Load() {
	}
}

// quantile mirrors TimeHistogram.quantile: the sample of rank max(1, ceil(q*count)), placed
// evenly within its bucket narrowed to [min, max].
func (h *hist) quantile(q float64) int64 {
	total := h.count.Load()
	if total == 0 {
		return 0
	}
	mn, mx := h.min.Load(), h.max.Load()
	rank := uint64(math.Ceil(q * float64(total)))
	rank = max(rank, 1)
	if rank >= total {
		return mx
	}
	if rank == 1 {
		return mn
	}
	var before uint64
	i := 0
	c := h.counts[0].Load()
	for before+c < rank {
		before += c
		i++
		c = h.counts[i].Load()
	}
	var lo, hi int64
	switch {
	case i == 0:
		lo, hi = min(mn, 0), 0
	case i == histOverflow:
		lo, hi = histEdge(histOverflow), max(mx+1, histEdge(histOverflow)+1)
	default:
		lo, hi = histEdge(i), histEdge(i+1)
	}
	lo, hi = max(lo, mn), min(hi, mx+1)
	est := lo + (hi-lo)*int64(2*(rank-before)-1)/int64(2*c)
	return min(max(est, mn), mx)
}

func (h *hist) report() map[string]any {
	n := h.count.Load()
	out := map[string]any{"count": n, "sub_bucket_bits": histSubBits, "sum_ns": h.sum.Load()}
	if n == 0 {
		out["min_ns"], out["max_ns"] = 0, 0
		out["counts"] = [][2]uint64{}
		return out
	}
	var sparse [][2]uint64
	for i := range h.counts {
		if c := h.counts[i].Load(); c != 0 {
			sparse = append(sparse, [2]uint64{uint64(i), c})
		}
	}
	out["counts"] = sparse
	out["min_ns"], out["max_ns"] = h.min.Load(), h.max.Load()
	out["mean_ns"] = h.sum.Load() / int64(n)
	for _, q := range []struct {
		name string
		q    float64
	}{{"p50_ns", 0.5}, {"p90_ns", 0.9}, {"p99_ns", 0.99}, {"p999_ns", 0.999}} {
		out[q.name] = h.quantile(q.q)
	}
	return out
}
