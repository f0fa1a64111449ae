package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// The key cache is a file of RSA-2048 private keys, each a DER PKCS #1
// RSAPrivateKey, one after the other. Keys are only ever appended, so the
// i-th key stays the i-th key: a world built from the same seed and a
// cache holding enough keys is the same world. A run that needs more keys
// than the file holds generates the rest on all workers and appends them
// as they come, so an interrupted run keeps what it made. A half-written
// key at the end (a killed run) is cut off.

// keyCache is a KeySource over the keys of a cache file. A key is parsed
// each time it is asked for (about 0.1 ms); the builders ask once per key.
type keyCache struct {
	ders [][]byte // one DER key each; aliases the file contents
}

// Key returns key i of the cache.
func (kc *keyCache) Key(i int) (*rsa.PrivateKey, error) {
	if i < 0 || i >= len(kc.ders) {
		return nil, fmt.Errorf("key cache: no key %d (it holds %d)", i, len(kc.ders))
	}
	k, err := x509.ParsePKCS1PrivateKey(kc.ders[i])
	if err != nil {
		return nil, fmt.Errorf("key cache: key %d: %w", i, err)
	}
	return k, nil
}

// openKeyCache reads the cache at path, creating it when absent, and
// appends fresh keys until it holds need of them, generating them on
// workers goroutines. It holds an exclusive lock on the file meanwhile, so
// two worldgen runs do not interleave their keys. It returns how many keys
// it generated.
func openKeyCache(path string, need, workers int) (*keyCache, int, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, 0, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return nil, 0, fmt.Errorf("lock %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	ders, good := splitKeys(data)
	if good < len(data) {
		if err := f.Truncate(int64(good)); err != nil {
			return nil, 0, err
		}
	}
	missing := need - len(ders)
	if missing > 0 {
		if _, err := f.Seek(int64(good), 0); err != nil {
			return nil, 0, err
		}
		fresh, err := generateKeys(f, missing, workers)
		if err != nil {
			return nil, 0, fmt.Errorf("key cache %s: %w", path, err)
		}
		ders = append(ders, fresh...)
	} else {
		missing = 0
	}
	return &keyCache{ders: ders}, missing, nil
}

// splitKeys cuts data into DER elements and returns them with the length
// of the whole ones; what follows is a torn write.
func splitKeys(data []byte) ([][]byte, int) {
	var ders [][]byte
	s := cryptobyte.String(data)
	good := 0
	for !s.Empty() {
		var el cryptobyte.String
		if !s.ReadASN1Element(&el, cbasn1.SEQUENCE) {
			break
		}
		ders = append(ders, el)
		good += len(el)
	}
	return ders, good
}

// generateKeys makes n RSA-2048 keys on workers goroutines and writes
// each to f as it arrives, returning their DER in the order written.
func generateKeys(f *os.File, n, workers int) ([][]byte, error) {
	type result struct {
		der []byte
		err error
	}
	jobs := make(chan struct{})
	results := make(chan result)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range jobs {
				k, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					results <- result{err: err}
					continue
				}
				results <- result{der: x509.MarshalPKCS1PrivateKey(k)}
			}
		})
	}
	go func() {
		for range n {
			jobs <- struct{}{}
		}
		close(jobs)
	}()
	go func() { wg.Wait(); close(results) }()
	var ders [][]byte
	var firstErr error
	for r := range results {
		if firstErr != nil {
			continue // drain, so that every worker can finish
		}
		if r.err == nil {
			_, r.err = f.Write(r.der)
		}
		if r.err != nil {
			firstErr = r.err
			continue
		}
		ders = append(ders, r.der)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return ders, f.Sync()
}
