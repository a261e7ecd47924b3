// Command gorand prints the streams of Go's math/rand that the runtime's pacer tests draw
// their noise from (src/runtime/mgcpacer_test.go: random(amp, seed) calls
// rand.New(rand.NewSource(seed)).Float64() once per GC cycle), as JSON: for each seed, the
// first -n values of Float64(). tests/test_pacer_scenarios.py replays them, so its random
// scenarios are Go's own; tests/test_pacer_go_streams.py checks the stored copy against
// this program.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strconv"
)

func main() {
	n := flag.Int("n", 64, "values per seed")
	flag.Parse()
	out := map[string][]float64{}
	for _, arg := range flag.Args() {
		seed, err := strconv.ParseInt(arg, 0, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gorand: bad seed:", arg)
			os.Exit(2)
		}
		r := rand.New(rand.NewSource(seed))
		xs := make([]float64, *n)
		for i := range xs {
			xs[i] = r.Float64()
		}
		out[fmt.Sprintf("%#x", seed)] = xs
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "gorand:", err)
		os.Exit(1)
	}
}
