// Package rsync runs the system rsync program to copy an RPKI repository
// into a local directory. It knows nothing of RPKI objects or of the
// cache layout: it gets a URI and a destination directory, and it runs
// rsync with a fixed, strict argument vector — no shell, no remote shell,
// no symbolic links, only RPKI file types, bounded sizes and timeouts —
// in its own process group, so a deadline kills everything it started.
package rsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Limits passed to every rsync run.
const (
	// ConnectTimeout bounds the TCP connection to the rsync daemon
	// (--contimeout): a host that does not answer is given up quickly.
	ConnectTimeout = 15 * time.Second
	// IOTimeout bounds how long rsync waits for data once connected
	// (--timeout): a peer that stalls mid-transfer cannot hold a slot.
	IOTimeout = 30 * time.Second
	// MaxObjectSize is the largest file rsync transfers (--max-size).
	// The largest real RPKI objects (big CRLs and manifests) are a few
	// MB; anything larger is a disk-filling attack, not an object.
	MaxObjectSize = 8_000_000
	// waitDelay is how long Wait waits for rsync's output pipe after the
	// process has exited or been killed, so a descendant that kept the
	// pipe open cannot hang Run.
	waitDelay = 5 * time.Second
	// maxStderr caps the rsync error output kept for the error message.
	maxStderr = 1024
	// maxStats caps the --stats report kept from stdout; it is about
	// 700 bytes.
	maxStats = 4096
)

// includes are the file types rsync copies; everything else is excluded.
// "*/" lets rsync descend into every directory.
var includes = [...]string{"*/", "*.cer", "*.crl", "*.mft", "*.roa", "*.asa", "*.gbr", "*.tak"}

// Config holds the settings of a run that come from the command line.
type Config struct {
	// Program is the rsync executable; "" means "rsync" found in PATH.
	Program string
	// Address is the local address to connect from (--address); ""
	// lets the kernel choose.
	Address string
}

// Stats describes one run. Files and Bytes are rsync's own counts
// (--stats): the regular files it transferred, new or changed, and their
// total size.
type Stats struct {
	Duration time.Duration // elapsed time of the rsync process
	Files    int
	Bytes    int64
}

// Error reports an rsync run that exited with a non-zero status.
type Error struct {
	URI    string
	Code   int    // rsync's exit status
	Stderr string // the start of rsync's error output, trimmed
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("rsync %s: exit status %d (%s)", e.URI, e.Code, exitMeaning(e.Code))
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

// exitMeaning describes rsync's exit statuses (rsync(1), EXIT VALUES).
func exitMeaning(code int) string {
	switch code {
	case 1:
		return "syntax or usage error"
	case 2:
		return "protocol incompatibility"
	case 3:
		return "errors selecting input/output files"
	case 5:
		return "error starting client-server protocol"
	case 10:
		return "error in socket I/O"
	case 11:
		return "error in file I/O"
	case 12:
		return "error in rsync protocol data stream"
	case 20:
		return "received SIGUSR1 or SIGINT"
	case 23:
		return "partial transfer due to error"
	case 24:
		return "partial transfer due to vanished source files"
	case 30:
		return "timeout in data send/receive"
	case 35:
		return "timeout waiting for daemon connection"
	}
	return "unknown error"
}

// Args returns the argument vector Run gives rsync (without the program
// name). It is fixed but for the optional --address: recursive, keep
// modification times (so unchanged files are skipped), delete files the
// repository no longer has, and never -l/-L/-e or any other option that
// copies symbolic links or runs a remote shell. --stats makes rsync count
// what it transferred, which Run reports.
func Args(cfg Config, uri, dest string) []string {
	args := []string{
		"-rt", "--delete", "--no-motd", "--stats",
		"--contimeout=" + seconds(ConnectTimeout),
		"--timeout=" + seconds(IOTimeout),
		"--max-size=" + strconv.Itoa(MaxObjectSize),
	}
	if cfg.Address != "" {
		args = append(args, "--address="+cfg.Address)
	}
	for _, p := range includes {
		args = append(args, "--include="+p)
	}
	args = append(args, "--exclude=*", "--", uri, strings.TrimSuffix(dest, "/")+"/")
	return args
}

func seconds(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

// Run copies the rsync URI uri into the existing directory dest. The
// caller must have validated uri (cache.ParseURI); Run itself only refuses
// anything that does not begin with "rsync://". A URI ending in a slash
// copies the directory's contents into dest; otherwise the one file lands
// in dest.
//
// rsync runs in its own process group. When ctx ends, the whole group is
// killed and Run returns an error wrapping context.Cause(ctx) after the
// process has been reaped. A non-zero exit gives an *Error.
func Run(ctx context.Context, cfg Config, uri, dest string) (Stats, error) {
	if !strings.HasPrefix(uri, "rsync://") {
		return Stats{}, fmt.Errorf("rsync %q: not an rsync:// URI", uri)
	}
	cmd := command(ctx, cfg, uri, dest)
	stdout, stderr := limitedBuffer{max: maxStats}, limitedBuffer{}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	st := Stats{Duration: time.Since(start)}
	if err != nil && ctx.Err() != nil {
		return st, fmt.Errorf("rsync %s: killed: %w", uri, context.Cause(ctx))
	}
	if err != nil {
		return st, runError(uri, err, &stderr)
	}
	st.Files, st.Bytes = parseStats(stdout.buf.String())
	return st, nil
}

// parseStats reads the counts of --stats: regular files transferred and
// their total size. Lines it does not find count as 0.
func parseStats(out string) (files int, bytes int64) {
	for line := range strings.SplitSeq(out, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		v, _, _ = strings.Cut(strings.TrimSpace(v), " ")
		n, err := strconv.ParseInt(strings.ReplaceAll(v, ",", ""), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "Number of regular files transferred":
			files = int(n)
		case "Total transferred file size":
			bytes = n
		}
	}
	return files, bytes
}

// command builds the rsync command: no shell, its own process group, the
// whole group killed on cancellation, bounded waiting for its pipes.
func command(ctx context.Context, cfg Config, uri, dest string) *exec.Cmd {
	prog := cfg.Program
	if prog == "" {
		prog = "rsync"
	}
	cmd := exec.CommandContext(ctx, prog, Args(cfg, uri, dest)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The negative pid names the group: rsync and every child it forked.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = waitDelay
	// A clean environment: no RSYNC_CONNECT_PROG, RSYNC_RSH or HOME (popt
	// aliases) from outside can change what the argument vector says.
	cmd.Env = []string{"LC_ALL=C"}
	return cmd
}

// runError turns a failed start or a non-zero exit into an error naming uri.
func runError(uri string, err error, stderr *limitedBuffer) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 {
		return &Error{URI: uri, Code: ee.ExitCode(), Stderr: stderr.String()}
	}
	return fmt.Errorf("rsync %s: %w", uri, err)
}

// limitedBuffer keeps the first max bytes written to it (maxStderr when
// max is 0) and drops the rest, so a chatty or hostile peer cannot grow
// memory.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	limit := l.max
	if limit == 0 {
		limit = maxStderr
	}
	if room := limit - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// String returns the kept output on one line.
func (l *limitedBuffer) String() string {
	return strings.Join(strings.Fields(l.buf.String()), " ")
}

// Base returns the module base of an rsync URI, "rsync://host/module/",
// the unit the fetcher syncs once per run however many publication points
// lie below it. It returns "" for a string that is not an rsync URI with
// a module. The URI should be canonical (cache.URI.String) so equal
// repositories give equal bases.
func Base(uri string) string {
	rest, ok := strings.CutPrefix(uri, "rsync://")
	if !ok {
		return ""
	}
	host, path, ok := strings.Cut(rest, "/")
	if !ok || host == "" {
		return ""
	}
	module, _, _ := strings.Cut(path, "/")
	if module == "" {
		return ""
	}
	return "rsync://" + host + "/" + module + "/"
}
