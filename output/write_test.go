package output

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tally-rpki/tally/validate"
)

// oldFiles fills dir with an "old" file per format and returns the contents.
func oldFiles(t *testing.T, dir string, formats []Format) map[string]string {
	t.Helper()
	old := make(map[string]string)
	for _, f := range formats {
		old[f.File] = "old " + f.File + "\n"
		if err := os.WriteFile(filepath.Join(dir, f.File), []byte(old[f.File]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return old
}

// dirContents reads every file in dir.
func dirContents(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]string)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got[e.Name()] = string(b)
	}
	return got
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	formats := Formats(Options{})
	oldFiles(t, dir, formats)
	// What a killed run leaves: temporary files, removed by a complete
	// write; a file of another program is not touched.
	for _, n := range []string{".csv.tmp1234", ".json.tmp99", "other.tmp1"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := goldenResult(t)
	if err := Write(context.Background(), dir, formats, r); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"other.tmp1": "partial"}
	for _, f := range formats {
		want[f.File] = string(render(t, f, r))
	}
	if diff := cmp.Diff(want, dirContents(t, dir)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
	for _, f := range formats {
		fi, err := os.Stat(filepath.Join(dir, f.File))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", f.File, fi.Mode())
		}
		if !fi.ModTime().Equal(r.Metadata.BuildTime) {
			t.Errorf("%s: mtime %v, want %v", f.File, fi.ModTime(), r.Metadata.BuildTime)
		}
	}
}

// failingFormat writes part of a file, then fails.
var failingFormat = Format{Name: "broken", File: "broken", Write: func(w io.Writer, r *validate.Result) error {
	if _, err := io.WriteString(w, "partial"); err != nil {
		return err
	}
	return errors.New("injected failure")
}}

func TestWriteFailureKeepsOldFiles(t *testing.T) {
	all := Formats(Options{})
	tests := []struct {
		name    string
		formats []Format
		ctx     func() context.Context
	}{
		{
			name:    "third format fails",
			formats: []Format{all[0], all[1], failingFormat, all[6]},
			ctx:     context.Background,
		},
		{
			name:    "cancelled",
			formats: all,
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
		},
		{
			name:    "two formats, one file",
			formats: []Format{all[0], {Name: "json2", File: "json", Write: WriteCSV}},
			ctx:     context.Background,
		},
		{
			name:    "file outside the directory",
			formats: []Format{all[0], {Name: "escape", File: "../json", Write: WriteCSV}},
			ctx:     context.Background,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			old := oldFiles(t, dir, slices.DeleteFunc(slices.Clone(tt.formats),
				func(f Format) bool { return f.File == "../json" }))
			err := Write(tt.ctx(), dir, tt.formats, goldenResult(t))
			if err == nil {
				t.Fatal("Write succeeded")
			}
			if diff := cmp.Diff(old, dirContents(t, dir)); diff != "" {
				t.Errorf("directory changed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteReadOnlyDir(t *testing.T) {
	dir := t.TempDir()
	formats := Formats(Options{})
	old := oldFiles(t, dir, formats)
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	// Root ignores permissions: run Write as nobody, whose way to dir must
	// be open for it to reach the old files.
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	asUnprivileged(t, func() { err = Write(context.Background(), dir, formats, goldenResult(t)) })
	if err == nil {
		t.Fatal("Write into a read-only directory succeeded")
	}
	if !errors.Is(err, os.ErrPermission) {
		t.Errorf("Write: %v, want a permission error", err)
	}
	if diff := cmp.Diff(old, dirContents(t, dir)); diff != "" {
		t.Errorf("directory changed (-want +got):\n%s", diff)
	}
}

// asUnprivileged runs f with the effective user and group of nobody when
// the test runs as root, so that file permissions apply. The real and
// saved IDs stay 0, which lets it switch back.
func asUnprivileged(t *testing.T, f func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		f()
		return
	}
	const nobody = 65534
	if err := syscall.Setresgid(-1, nobody, -1); err != nil {
		t.Fatalf("setresgid: %v", err)
	}
	if err := syscall.Setresuid(-1, nobody, -1); err != nil {
		syscall.Setresgid(-1, 0, -1)
		t.Fatalf("setresuid: %v", err)
	}
	defer func() {
		if err := syscall.Setresuid(-1, 0, -1); err != nil {
			panic(err) // the rest of the tests would run unprivileged
		}
		if err := syscall.Setresgid(-1, 0, -1); err != nil {
			panic(err)
		}
	}()
	f()
}

// TestWriteCancelledBeforeRename cancels while the last file is written:
// all files are complete, but none may replace an old one.
func TestWriteCancelledBeforeRename(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	all := Formats(Options{})
	last := Format{Name: "last", File: "last", Write: func(w io.Writer, r *validate.Result) error {
		cancel()
		return WriteCSV(w, r)
	}}
	formats := append(all[:2:2], last)
	dir := t.TempDir()
	old := oldFiles(t, dir, formats)
	if err := Write(ctx, dir, formats, goldenResult(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write: %v, want context.Canceled", err)
	}
	if diff := cmp.Diff(old, dirContents(t, dir)); diff != "" {
		t.Errorf("directory changed (-want +got):\n%s", diff)
	}
}
