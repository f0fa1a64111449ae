package rrdp

import (
	"errors"
	"fmt"
)

// ErrProtocol matches every error caused by the document itself: a breach of
// RFC 8182, of XML well-formedness or of one of this package's limits. The
// repository is at fault; fall back to rsync.
var ErrProtocol = errors.New("rrdp protocol violation")

// ErrTruncated matches an error for a document whose input ended before its
// root element closed. Such an error also matches ErrProtocol. Elements the
// Handler saw before the end must be discarded with the rest.
var ErrTruncated = errors.New("rrdp document truncated")

// ErrHandler matches an error that the Handler returned, wrapped with the
// element it was handling. It is a local fault, unless the Handler's own
// error also matches ErrProtocol (a Handler that finds a replaced file's hash
// wrong returns an *Error for that).
var ErrHandler = errors.New("rrdp handler failed")

// Error names the rule a document broke and where. It matches ErrProtocol,
// and ErrTruncated when the input ended early.
type Error struct {
	Rule   string // where the rule is written: "RFC 8182 §3.5.2.3", "XML 1.0 §2.8", "limit"
	Msg    string // the element or attribute and what is wrong with it
	Offset int64  // byte offset in the document where the fault was found

	truncated bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (at byte %d)", e.Rule, e.Msg, e.Offset)
}

// Is reports whether target is ErrProtocol, or ErrTruncated for a truncated
// document.
func (e *Error) Is(target error) bool {
	return target == ErrProtocol || (e.truncated && target == ErrTruncated)
}

// handlerError wraps an error from the Handler with the element it handled.
type handlerError struct {
	op, uri string
	err     error
}

func (e *handlerError) Error() string { return e.op + " " + e.uri + ": " + e.err.Error() }

// Unwrap lets errors.Is find both ErrHandler and whatever the Handler wrapped.
func (e *handlerError) Unwrap() []error { return []error{ErrHandler, e.err} }

// readError wraps an error from the io.Reader; it is neither ErrProtocol nor
// ErrHandler unless the reader's error is (see HashingReader).
type readError struct {
	off int64
	err error
}

func (e *readError) Error() string { return fmt.Sprintf("reading at byte %d: %v", e.off, e.err) }
func (e *readError) Unwrap() error { return e.err }
