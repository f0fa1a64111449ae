// Package object parses RPKI objects from DER: trust anchor locators,
// resource certificates, CRLs, CMS signed objects and their contents
// (manifests, ROAs, ASPAs, Ghostbusters records, TAKs).
//
// It does no I/O, reads no clock, keeps no state and never logs. A parser
// takes bytes and returns a typed value or an error; errors from malformed
// input satisfy errors.Is(err, ErrMalformed) and are *Error values naming the
// rule that was broken. Parsed values alias the input buffer unless their doc
// comment says otherwise. Signature checks against an issuer and every
// judgement that needs a clock live in package validate; this package offers
// the primitives (CheckSignature, FileHash).
package object
