// Command race has a data race on purpose: TestRaceReports builds it with
// -race to prove that RaceLogEnv and RaceReports catch one.
package main

import "sync"

func main() {
	n := 0
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n++
		}()
	}
	wg.Wait()
	println(n)
}
