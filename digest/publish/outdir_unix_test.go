//go:build unix

package publish

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFileModeIgnoresUmask: a web server running as another user must be
// able to read what a daemon with UMask=0077 publishes.
func TestFileModeIgnoresUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	if _, err := newPublisher(t, dir).Publish(context.Background(), sampleInput(1, 25)); err != nil {
		t.Fatal(err)
	}
	for p := range snapshot(t, dir) {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if p != manifestName && fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", p, fi.Mode().Perm())
		}
	}
}

// killHelperEnv makes TestKillHelper publish one version into a directory;
// TestKilledPublish runs it as a child process and kills it midway.
const killHelperEnv = "TIDINGS_KILL_HELPER"

func killVersion(v string) Input {
	n := 12
	if v == "B" {
		n = 13 // one more edition: files that only one version has
	}
	in := sampleInput(n, 8)
	in.Title = "Site " + v // every page differs between the versions
	return in
}

func TestKillHelper(t *testing.T) {
	spec := os.Getenv(killHelperEnv) // "<version>:<dir>"
	if spec == "" {
		t.Skip("helper process for TestKilledPublish")
	}
	fmt.Println("publishing") // the parent times its kill from here
	if _, err := newPublisher(t, spec[2:]).Publish(context.Background(), killVersion(spec[:1])); err != nil {
		t.Fatal(err)
	}
}

// TestKilledPublish kills publishing processes at several points and checks
// that every file is then whole and in one version or the other (the
// directory may hold both until the next publish), never torn, and that the
// next publish completes the new version.
func TestKilledPublish(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ref := map[string]map[string][]byte{}
	for _, v := range []string{"A", "B"} {
		d := t.TempDir()
		if _, err := newPublisher(t, d).Publish(context.Background(), killVersion(v)); err != nil {
			t.Fatal(err)
		}
		ref[v] = readTree(t, d)
	}
	dir := t.TempDir()
	if _, err := newPublisher(t, dir).Publish(context.Background(), killVersion("A")); err != nil {
		t.Fatal(err)
	}
	// child publishes version v into dir; with kill > 0 it is killed that
	// long after it starts publishing. It reports how long it ran.
	child := func(v string, kill time.Duration) (time.Duration, bool) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$")
		cmd.Env = append(os.Environ(), killHelperEnv+"="+v+":"+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		for sc.Scan() && sc.Text() != "publishing" {
		}
		start := time.Now()
		killed := false
		if kill > 0 {
			time.Sleep(kill)
			killed = cmd.Process.Kill() == nil
		}
		io.Copy(io.Discard, out)
		err = cmd.Wait()
		if !killed && err != nil {
			t.Fatalf("helper publish: %v", err)
		}
		return time.Since(start), killed
	}
	full, _ := child("B", 0)
	killed := 0
	for i := 1; i <= 8; i++ {
		v := []string{"A", "B"}[i%2]
		delay := full * time.Duration(i) / 8
		_, k := child(v, delay)
		if k {
			killed++
		}
		var fromA, fromB int
		for p, got := range readTree(t, dir) {
			if strings.HasPrefix(path.Base(p), ".") {
				continue // temporary files and the manifest
			}
			a, inA := ref["A"][p]
			b, inB := ref["B"][p]
			switch {
			case inA && bytes.Equal(got, a):
				fromA++
			case inB && bytes.Equal(got, b):
				fromB++
			default:
				t.Fatalf("after a kill at %v: %s is neither version A nor B (%d bytes)", delay, p, len(got))
			}
		}
		t.Logf("killed=%v after %v while publishing %s: %d files of A, %d of B", k, delay, v, fromA, fromB)
	}
	t.Logf("a full publish took %v; %d of 8 children were sent SIGKILL before they exited", full, killed)
	if _, err := newPublisher(t, dir).Publish(context.Background(), killVersion("B")); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dir)
	delete(got, manifestName)
	if len(got) != len(ref["B"])-1 {
		t.Errorf("after repair: %d files, want %d", len(got), len(ref["B"])-1)
	}
	for p, b := range got {
		if !bytes.Equal(b, ref["B"][p]) {
			t.Errorf("after repair: %s differs from version B", p)
		}
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for p := range snapshot(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		out[p] = b
	}
	return out
}
