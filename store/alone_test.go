package store_test

import (
	"bufio"
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// aloneEnv marks the runs checkAlone starts, so they do not start more.
const aloneEnv = "PRESSO_STORETEST_ALONE"

// verdicts records the verdict of every leaf subtest of the conformance
// suite. It finds them through open, which storetest calls once
// (ExportImport twice) in each leaf and in nothing else; checkAlone fails
// a test that opens a database and then runs subtests on it.
type verdicts struct {
	mu sync.Mutex
	m  map[string]string
}

// record notes t's verdict (PASS, FAIL or SKIP) when it ends. Called
// first thing in open, its cleanup runs last, after the database's.
func (v *verdicts) record(t *testing.T) {
	t.Cleanup(func() {
		got := "PASS"
		switch {
		case t.Skipped():
			got = "SKIP"
		case t.Failed():
			got = "FAIL"
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		if v.m == nil {
			v.m = map[string]string{}
		}
		v.m[t.Name()] = got
	})
}

// checkAlone runs every leaf the suite just ran on its own, in a process
// of its own, and fails t unless each gets the verdict it got in the
// suite: a leaf that leans on state an earlier one left behind fails
// alone, or passes only alone.
func checkAlone(t *testing.T, suite *verdicts) {
	if testing.Short() || os.Getenv(aloneEnv) != "" {
		return
	}
	start := time.Now()
	leaves := slices.Sorted(maps.Keys(suite.m))
	if len(leaves) == 0 {
		t.Fatalf("the conformance suite ran no subtests")
	}
	bin := aloneBinary(t)
	alone := make([]string, len(leaves))
	below := make([][]string, len(leaves))
	outs := make([][]byte, len(leaves))
	var wg sync.WaitGroup
	slots := make(chan struct{}, 2) // CI has 2 cores
	for i, leaf := range leaves {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			var got map[string]string
			got, outs[i] = runTests(t, bin, runPattern(leaf))
			alone[i] = got[leaf]
			for name := range got {
				if strings.HasPrefix(name, leaf+"/") {
					below[i] = append(below[i], name)
				}
			}
		})
	}
	wg.Wait()
	for i, leaf := range leaves {
		if alone[i] != suite.m[leaf] {
			t.Errorf("%s alone = %q, in the suite %q; its output alone:\n%s", leaf, alone[i], suite.m[leaf], outs[i])
		}
		// Subtests sharing one database could lean on each other unseen.
		if len(below[i]) > 0 {
			slices.Sort(below[i])
			t.Errorf("%s runs subtests on the one database it opens: %s; each must open its own", leaf, strings.Join(below[i], ", "))
		}
	}
	t.Logf("ran %d subtests alone, each in a process of its own, in %v", len(leaves), time.Since(start).Round(time.Millisecond))
}

// aloneBinary returns the test binary for checkAlone's runs: this one,
// unless it was built with -race. The check is about state, not races, and
// a race build here starts about a second slower and runs SQLite many
// times slower, which over 130 runs is more than building once without.
func aloneBinary(t *testing.T) string {
	info, ok := debug.ReadBuildInfo()
	if !ok || !slices.Contains(info.Settings, debug.BuildSetting{Key: "-race", Value: "true"}) {
		return os.Args[0]
	}
	bin := filepath.Join(t.TempDir(), "store.test")
	if out, err := exec.CommandContext(t.Context(), "go", "test", "-c", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Logf("go test -c without -race = %v, so the runs alone use the race build:\n%s", err, out)
		return os.Args[0]
	}
	return bin
}

// runTests runs the test binary bin on the tests pattern selects and
// returns each reported test's verdict (PASS, FAIL or SKIP) by full name,
// with the output. A failing test is a verdict, not an error here.
func runTests(t *testing.T, bin, pattern string) (map[string]string, []byte) {
	cmd := exec.CommandContext(t.Context(), bin, "-test.run="+pattern, "-test.v", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), aloneEnv+"=1")
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
		t.Errorf("%s -test.run=%s = %v, want it to run:\n%s", bin, pattern, err, out)
	}
	return got, out
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
