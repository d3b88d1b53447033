package store_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"presso/store/storetest"
)

// TestSubtestsAlone runs every leaf subtest of the conformance suite on its
// own, in a process of its own, and checks it gets the verdict it gets in
// the whole suite: a leaf that leans on state an earlier one left behind
// fails alone, or passes only alone.
func TestSubtestsAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the conformance suite once more, and then each of its leaves alone")
	}
	for _, top := range []string{"TestSQLite", "TestPostgres"} {
		t.Run(top, func(t *testing.T) {
			if top == "TestPostgres" {
				storetest.PostgresServer(t) // skips, or fails, as TestPostgres does
			}
			start := time.Now()
			whole, out := runTests(t, "^"+top+"$")
			leaves := leavesOf(whole)
			if len(leaves) == 0 {
				t.Fatalf("the whole %s reported no subtests:\n%s", top, out)
			}
			alone := make([]string, len(leaves))
			outs := make([][]byte, len(leaves))
			var wg sync.WaitGroup
			slots := make(chan struct{}, 2) // the CI machine has 2 cores
			for i, leaf := range leaves {
				wg.Add(1)
				go func() {
					defer wg.Done()
					slots <- struct{}{}
					defer func() { <-slots }()
					var got map[string]string
					got, outs[i] = runTests(t, runPattern(leaf))
					alone[i] = got[leaf]
				}()
			}
			wg.Wait()
			for i, leaf := range leaves {
				if alone[i] != whole[leaf] {
					t.Errorf("%s alone = %q, in the whole suite %q; its output alone:\n%s", leaf, alone[i], whole[leaf], outs[i])
				}
			}
			t.Logf("%d leaves of %s each alone: same verdicts, %v", len(leaves), top, time.Since(start).Round(time.Millisecond))
		})
	}
}

// runTests runs this test binary again on the tests pattern selects and
// returns each reported test's verdict (PASS, FAIL or SKIP) by full name,
// with the output. A failing test is a verdict, not an error here.
func runTests(t *testing.T, pattern string) (map[string]string, []byte) {
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run="+pattern, "-test.v", "-test.count=1", "-test.timeout=5m")
	out, err := cmd.CombinedOutput()
	// The line -test.v ends each test and subtest with.
	verdict := regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): (\S+) \(`)
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := verdict.FindStringSubmatch(sc.Text()); m != nil {
			got[m[2]] = m[1]
		}
	}
	if err != nil && !bytes.Contains(out, []byte("--- FAIL")) {
		t.Errorf("%s -test.run=%s = %v, want it to run:\n%s", os.Args[0], pattern, err, out)
	}
	return got, out
}

// leavesOf lists, in order, the tests that have no subtests.
func leavesOf(verdicts map[string]string) []string {
	var leaves []string
	for name := range verdicts {
		if strings.Contains(name, "/") && !hasSubtests(verdicts, name) {
			leaves = append(leaves, name)
		}
	}
	slices.Sort(leaves)
	return leaves
}

func hasSubtests(verdicts map[string]string, name string) bool {
	for other := range verdicts {
		if strings.HasPrefix(other, name+"/") {
			return true
		}
	}
	return false
}

// runPattern is the -test.run pattern that selects exactly the test named,
// each element anchored so TestSQLite/Codes matches neither
// TestSQLiteConcurrentOpen nor SigninCodes.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}
