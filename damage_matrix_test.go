package tempest

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tempestdb/tempest/vfs"
)

// The damage matrix: every damage class (damage_cases_test.go) applied to
// a cleanly closed DB and to a process-crash image of a running one, for
// each scenario (damage_scenario_test.go: data in the WALs, in L0, in
// deeper levels, under range tombstones). For each case the DB is opened
// and, if Open succeeds, read whole: a Get of every key the model ever
// touched and full scans both ways.
//
// A case passes if
//   - the DB holds exactly the acknowledged state (every commit: a process
//     crash keeps all that reached the OS), or
//   - Open, or a read, fails with ErrCorruption naming the damaged file,
//     and the damage is real (a refusal of an unknown file, a missing
//     LOCK or an obsolete file put back is a false alarm), or
//   - the damage is a cut of the live WAL after a crash that no format
//     can tell from a torn tail (damageCut), and the DB holds exactly the
//     commits before it: undetectable by design, counted apart;
// and, in every case, no file that may hold data is deleted: unknown
// files survive untouched, a successful Open removes no SST but an
// obsolete one put back, and a refused Open leaves the directory exactly
// as it found it.
//
// Every case runs, and every failure is listed, so one run shows the
// whole picture.

type damageOutcome int

const (
	damageExact damageOutcome = iota
	damageRefused
	damageUndetectable
	damageFailed
	damageRefusedNoLock // a read-only open refused a directory without LOCK
)

var damageOutcomeNames = [...]string{"recovered exactly", "refused:", "undetectable by design:", "failed", "refused without LOCK:"}

// damageResult is the outcome of one case.
type damageResult struct {
	img      string
	c        damageCase
	outcome  damageOutcome
	how      string   // refused: the error; undetectable: the kind of cut
	problems []string // failed: what went wrong
}

// TestDamageMatrix runs the damage matrix. It fails if any case fails.
func TestDamageMatrix(t *testing.T) {
	seed := testSeed(t)
	var results []damageResult
	images := 0
	for si, sc := range damageScenarios {
		b := newDamageBuilder(t, sc.name, seed+uint64(si), sc.opts)
		crash, clean := sc.build(b)
		for _, img := range []*damageImage{clean, crash} {
			images++
			for _, c := range damageCasesFor(t, img) {
				for _, readOnly := range []bool{false, true} {
					results = append(results, runDamageCaseTimed(t, img, c, readOnly))
				}
			}
		}
	}
	damageReport(t, seed, images, results)
}

// runDamageCaseTimed runs a case, giving up on it (as a failure) if it
// does not finish within a minute, so that one hang does not hide the
// other cases.
func runDamageCaseTimed(t *testing.T, img *damageImage, c damageCase, readOnly bool) damageResult {
	done := make(chan damageResult, 1)
	go func() { done <- runDamageCase(t, img, c, readOnly) }()
	select {
	case r := <-done:
		return r
	case <-time.After(time.Minute):
		return damageResult{img: damageImageName(img, readOnly), c: c, outcome: damageFailed,
			problems: []string{"Open or the reads did not finish within a minute"}}
	}
}

// damageImageName names img in the results; a read-only open's cases are
// counted apart.
func damageImageName(img *damageImage, readOnly bool) string {
	if readOnly {
		return img.name + " read-only"
	}
	return img.name
}

// runDamageCase applies c to a copy of img, opens it (read-only or not)
// and judges the result. A read-only open is judged as a read-write one,
// and must also leave every byte of the directory as it was.
func runDamageCase(t *testing.T, img *damageImage, c damageCase, readOnly bool) (res damageResult) {
	res = damageResult{img: damageImageName(img, readOnly), c: c}
	fs := img.fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100})
	if err := c.apply(fs); err != nil {
		t.Errorf("%s: %s: applying the damage: %v", img.name, c.desc, err)
		res.outcome, res.problems = damageFailed, []string{"the test could not apply the damage"}
		return res
	}
	before, err := damageTreeOf(fs, damageRoot)
	if err != nil {
		t.Errorf("%s: %s: reading the directory: %v", img.name, c.desc, err)
	}
	defer func() {
		if r := recover(); r != nil {
			res.outcome, res.problems = damageFailed, []string{fmt.Sprintf("panic: %v", r)}
		}
	}()
	o := img.opts(fs)
	o.Scheduler = InlineScheduler{}
	o.ReadOnly = readOnly
	d, err := Open(damageRoot, o)
	if err != nil {
		res.how = err.Error()
		res.problems = judgeRefusedOpen(err, c)
		refused := damageRefused
		if readOnly && c.desc == "delete LOCK" && errors.Is(err, os.ErrNotExist) && strings.Contains(err.Error(), "no LOCK file") {
			// A read-only open does not create LOCK, and without it cannot
			// keep a writer out of a directory that may be written: it
			// refuses by decision (docs/decisions.md), saying why.
			res.problems, refused = nil, damageRefusedNoLock
		}
		after, terr := damageTreeOf(fs, damageRoot)
		if terr != nil {
			t.Errorf("%s: %s: reading the directory: %v", img.name, c.desc, terr)
		}
		if diff := before.diff(after); len(diff) > 0 {
			res.problems = append(res.problems, "the failed Open changed the directory: "+strings.Join(diff, ", "))
		}
		res.outcome = refused
		if len(res.problems) > 0 {
			res.outcome = damageFailed
		}
		return res
	}
	view := damageObserve(d, img.o.keys())
	closeErr := d.Close()
	after, err := damageTreeOf(fs, damageRoot)
	if err != nil {
		t.Errorf("%s: %s: reading the directory: %v", img.name, c.desc, err)
	}
	res.outcome, res.how, res.problems = judgeRecovered(img, c, view)
	if closeErr != nil && !errors.Is(closeErr, ErrCorruption) {
		res.problems = append(res.problems, fmt.Sprintf("Close: %v", closeErr))
	}
	res.problems = append(res.problems, damageDeleted(c, before, after)...)
	if diff := before.diff(after); readOnly && len(diff) > 0 {
		res.problems = append(res.problems, "the read-only open changed the directory: "+strings.Join(diff, ", "))
	}
	if len(res.problems) > 0 {
		res.outcome = damageFailed
	}
	return res
}

// judgeRefusedOpen lists what is wrong with an Open that failed with err.
func judgeRefusedOpen(err error, c damageCase) []string {
	switch {
	case !errors.Is(err, ErrCorruption):
		return []string{fmt.Sprintf("Open failed with an error that is not ErrCorruption: %v", err)}
	case c.harmless:
		return []string{fmt.Sprintf("false alarm: Open refused a directory whose data is intact: %v", err)}
	case !damageNames(err, c.paths):
		return []string{fmt.Sprintf("Open refused, but the error names no damaged file (%s): %v",
			damageRelAll(c.paths), err)}
	}
	return nil
}

// judgeRecovered judges the reads of a DB that opened.
func judgeRecovered(img *damageImage, c damageCase, view damageView) (damageOutcome, string, []string) {
	problems, corrupt := damageJudge(view, img.o.stateAt(img.acked))
	outcome, how := damageExact, ""
	if len(problems) > 0 && c.cut != nil {
		if p, cr := damageJudge(view, img.o.stateAt(c.cut.keep)); len(p) == 0 {
			problems, corrupt = nil, cr
			outcome, how = damageUndetectable, c.cut.kind
		}
	}
	for _, err := range corrupt {
		switch {
		case c.harmless:
			problems = append(problems, fmt.Sprintf("false alarm: a read reported corruption of intact data: %v", err))
		case !damageNames(err, c.paths):
			problems = append(problems, fmt.Sprintf("a read reported corruption, but names no damaged file (%s): %v",
				damageRelAll(c.paths), err))
		}
	}
	if len(corrupt) > 0 {
		outcome, how = damageRefused, fmt.Sprintf("reads: %v", corrupt[0])
	}
	if outcome == damageExact && len(problems) > 0 {
		hint := "no prefix of the commits"
		if l, err := img.o.prefix(damageViewState(view), 0); err == nil {
			hint = fmt.Sprintf("the first %d of %d acknowledged commits", l, img.acked)
		}
		problems = append(damageSummarize(problems), "the DB holds "+hint)
	}
	return outcome, how, problems
}

// damageSummarize shortens a list of read problems to counts per kind and
// the first few.
func damageSummarize(problems []string) []string {
	if len(problems) <= 3 {
		return problems
	}
	var counts []string
	for _, kind := range []string{"lost", "wrong value", "resurrected"} {
		n := 0
		for _, p := range problems {
			if strings.Contains(p, "("+kind+")") {
				n++
			}
		}
		if n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, kind))
		}
	}
	return append(problems[:3:3], fmt.Sprintf("... %d reads differ from the acknowledged state in all (%s)",
		len(problems), strings.Join(counts, ", ")))
}

// damageViewState returns the state a forward scan showed.
func damageViewState(v damageView) map[string]string {
	m := map[string]string{}
	for _, r := range v.fwd {
		m[r.key] = r.val
	}
	return m
}

// damageDeleted lists the files a successful Open should have kept but
// did not: the unknown files the case added (which must also be
// unchanged) and every SST present before, but obsolete ones put back.
func damageDeleted(c damageCase, before, after damageTree) []string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(c.added)) {
		switch got, ok := after.files[p]; {
		case !ok:
			out = append(out, "deleted the unknown file "+damageRel(p))
		case got != string(c.added[p]):
			out = append(out, "changed the unknown file "+damageRel(p))
		}
	}
	var ssts []string
	for _, p := range slices.Sorted(maps.Keys(before.files)) {
		_, kept := after.files[p]
		if !kept && path.Dir(p) == path.Join(damageRoot, "sst") && !slices.Contains(c.obsolete, p) && c.added[p] == nil {
			ssts = append(ssts, damageRel(p))
		}
	}
	if len(ssts) > 0 {
		out = append(out, fmt.Sprintf("deleted %d SSTs: %s", len(ssts), strings.Join(ssts, ", ")))
	}
	return out
}

func damageRelAll(paths []string) string {
	var rel []string
	for _, p := range paths {
		rel = append(rel, damageRel(p))
	}
	return strings.Join(rel, " or ")
}

// damageReport logs the figures of the matrix and fails the test once per
// failing case.
func damageReport(t *testing.T, seed uint64, images int, results []damageResult) {
	t.Helper()
	var count [len(damageOutcomeNames)]int
	type classCount struct{ cases, failed int }
	classes := map[string]*classCount{}
	cuts := map[string]int{}
	for _, r := range results {
		count[r.outcome]++
		cc := classes[r.c.class]
		if cc == nil {
			cc = &classCount{}
			classes[r.c.class] = cc
		}
		cc.cases++
		if r.outcome == damageFailed {
			cc.failed++
		}
		if r.outcome == damageUndetectable {
			cuts[r.how]++
		}
	}
	faultFigures(t, "damage matrix (seed %d): %d cases (%d damages to %d images, each opened read-write and read-only): %d recovered exactly, %d refused with ErrCorruption, %d undetectable by design, %d read-only opens refused without LOCK, %d failures",
		seed, len(results), len(results)/2, images, count[damageExact], count[damageRefused], count[damageUndetectable], count[damageRefusedNoLock], count[damageFailed])
	var per []string
	for _, name := range slices.Sorted(maps.Keys(classes)) {
		per = append(per, fmt.Sprintf("%s %d/%d", name, classes[name].failed, classes[name].cases))
	}
	faultFigures(t, "damage matrix failures per class (failed/cases): %s", strings.Join(per, ", "))
	for _, kind := range slices.Sorted(maps.Keys(cuts)) {
		faultFigures(t, "damage matrix undetectable by design: %d x %s", cuts[kind], kind)
	}
	for _, r := range results {
		if r.outcome != damageFailed {
			if testing.Verbose() {
				t.Logf("%s: [%s] %s: %s %s", r.img, r.c.class, r.c.desc, damageOutcomeNames[r.outcome], r.how)
			}
			continue
		}
		t.Errorf("damage case failed: %s: [%s] %s:\n\t%s", r.img, r.c.class, r.c.desc, strings.Join(r.problems, "\n\t"))
	}
}
