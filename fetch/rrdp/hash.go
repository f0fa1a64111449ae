package rrdp

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
)

// HashingReader passes a snapshot or delta file through and checks its
// SHA-256 against the hash the notification lists for it (RFC 8182
// §3.5.1.3). Where r would return io.EOF, a HashingReader whose digest does
// not match returns an *Error instead, so wrapping the response body in one
// makes ParseSnapshot and ParseDelta fail on a wrong hash:
//
//	err := rrdp.ParseDelta(rrdp.NewHashingReader(body, d.Hash), n.SessionID, d.Serial, h)
type HashingReader struct {
	r    io.Reader
	h    hash.Hash
	want [32]byte
	n    int64
}

// NewHashingReader returns a reader of r that checks r's digest at its end.
func NewHashingReader(r io.Reader, want [32]byte) *HashingReader {
	return &HashingReader{r: r, h: sha256.New(), want: want}
}

// Read reads from the underlying reader, hashing what it returns.
func (hr *HashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n]) // a hash.Hash never returns an error
	hr.n += int64(n)
	if err == io.EOF {
		var got [32]byte
		hr.h.Sum(got[:0])
		if got != hr.want {
			return n, &Error{Rule: "RFC 8182 §3.5.1.3", Offset: hr.n,
				Msg: "file hash " + hex.EncodeToString(got[:]) + ", notification lists " + hex.EncodeToString(hr.want[:])}
		}
	}
	return n, err
}
