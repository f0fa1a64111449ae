package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// rrdpNS is the RRDP XML namespace (RFC 8182 §3.5).
const rrdpNS = "http://www.ripe.net/rpki/rrdp"

// writeRRDP writes the snapshot and notification of every repository with
// RRDP, from the files its rsync directory holds, on cfg.Workers
// goroutines, and records each snapshot's hash in repos.
//
// Deltas are left to a later state of the world: a delta must be computed
// from exactly the files of this state, which stay in rsync/, and continue
// the session and serial recorded in world.json.
func writeRRDP(cfg *Config, repos []repo) error {
	sem := make(chan struct{}, cfg.Workers)
	errs := make([]error, len(repos))
	var wg sync.WaitGroup
	for i := range repos {
		r := &repos[i]
		if err := os.MkdirAll(uriPath(cfg.Out, r.RsyncBase), 0o755); err != nil {
			return err
		}
		if r.Notify == "" {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = writeRepoRRDP(cfg.Out, r)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// writeRepoRRDP writes the snapshot and then the notification of r.
func writeRepoRRDP(out string, r *repo) error {
	sum, err := writeSnapshot(out, r)
	if err != nil {
		return fmt.Errorf("snapshot of %s: %w", r.Name, err)
	}
	r.Hash = sum
	notif := fmt.Sprintf("<notification xmlns=%q version=\"1\" session_id=%q serial=\"%d\">\n"+
		"  <snapshot uri=%q hash=%q/>\n</notification>\n", rrdpNS, r.Session, r.Serial, r.Snapshot, r.Hash)
	return writeFile(uriPath(out, r.Notify), []byte(notif))
}

// writeSnapshot streams every file under r's rsync directory, in lexical
// order, into its snapshot and returns the snapshot's SHA-256 in hex.
func writeSnapshot(out string, r *repo) (string, error) {
	path := uriPath(out, r.Snapshot)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<16)
	fmt.Fprintf(bw, "<snapshot xmlns=%q version=\"1\" session_id=%q serial=\"%d\">\n", rrdpNS, r.Session, r.Serial)
	root := uriPath(out, r.RsyncBase)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		return publish(bw, r.RsyncBase+filepath.ToSlash(rel), p)
	})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(bw, "</snapshot>\n")
	if err := bw.Flush(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return hexSum(h), nil
}

// publish writes one publish element with the base64 contents of file.
func publish(w *bufio.Writer, uri, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  <publish uri=%q>", uri)
	enc := base64.NewEncoder(base64.StdEncoding, w)
	enc.Write(data)
	enc.Close()
	_, err = w.WriteString("</publish>\n")
	return err
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
