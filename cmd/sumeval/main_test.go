package main

import (
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out strings.Builder
	if err := run([]string{"-data", "testdata/tiny.json"}, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"Items with article text: 1 of 2; with a reference deep dive: 1.",
		"| extractive |", "| LEAD-1 / LEAD-3 |", "| TextRank-1 / TextRank-k |",
		"| extractive | 1 | 1 | 1 | 1.00 | 1.00 |", // TCO found and matched
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestRunErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-data", "testdata/missing.json"},
		{"-data", "main.go"},
		{"-nope"},
	} {
		if err := run(args, &strings.Builder{}); err == nil {
			t.Errorf("run(%q): got nil error", args)
		}
	}
}
