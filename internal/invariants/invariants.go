// Package invariants switches on expensive self-checks. Build (and test)
// with -tags invariants to enable them: every installed LSM version is
// checked (levels L1+ sorted and non-overlapping, the seqnum level
// invariant, file bounds) and every manifest file is checked to exist
// with its recorded size. A violation panics: it is a bug in Tempest, not
// an operating error.
package invariants
