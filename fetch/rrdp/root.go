package rrdp

import (
	"fmt"
)

// header holds the attributes every RRDP root element carries.
type header struct {
	sessionID string // lower case
	serial    uint64
}

// protoErr turns an attribute error into an *Error under rule at off.
func protoErr(rule string, off int64, err error) error {
	return &Error{Rule: rule, Msg: err.Error(), Offset: off}
}

// readRoot reads the prolog and the root start tag, which must be name
// ("notification", "snapshot" or "delta") with the RRDP namespace, version
// 1, a session_id and a serial.
func readRoot(s *scanner, name, rule string) (tag, header, error) {
	var h header
	if err := s.prolog(); err != nil {
		return tag{}, h, err
	}
	t, err := s.next()
	if err != nil {
		return t, h, err
	}
	switch {
	case t.kind == tokEOF:
		return t, h, &Error{Rule: xmlRule, Msg: "no root element", Offset: t.off, truncated: true}
	case t.kind != tokStart || t.name != name:
		return t, h, &Error{Rule: rule, Msg: fmt.Sprintf("root element %s, want %s", t.name, name), Offset: t.off}
	}
	a := attrSet{path: name, attrs: t.attrs}
	if err := a.checkNames(true, "version", "session_id", "serial"); err != nil {
		return t, h, protoErr(rule, t.off, err)
	}
	if err := a.version(); err != nil {
		return t, h, protoErr(rule, t.off, err)
	}
	if h.sessionID, err = a.sessionID(); err != nil {
		return t, h, protoErr(rule, t.off, err)
	}
	if h.serial, err = a.serial(); err != nil {
		return t, h, protoErr(rule, t.off, err)
	}
	return t, h, nil
}

// nextChild returns the next child start tag of the root element, or ok
// false at the root's end tag. The input ending first is a truncation.
func nextChild(s *scanner, root, rule string) (t tag, ok bool, err error) {
	t, err = s.next()
	if err != nil {
		return t, false, err
	}
	switch t.kind {
	case tokEOF:
		return t, false, &Error{Rule: xmlRule, Msg: "document ends before </" + root + ">", Offset: t.off, truncated: true}
	case tokEnd:
		if t.name != root {
			return t, false, &Error{Rule: xmlRule, Msg: fmt.Sprintf("end tag %s, want %s", t.name, root), Offset: t.off}
		}
		return t, false, nil
	}
	return t, true, nil
}

// closeEmpty reads the end tag of an element that must have no content
// but whitespace and comments.
func closeEmpty(s *scanner, t tag, path, rule string) error {
	if t.empty {
		return nil
	}
	end, err := s.next()
	if err != nil {
		return err
	}
	switch {
	case end.kind == tokEOF:
		return &Error{Rule: xmlRule, Msg: "document ends inside " + path, Offset: end.off, truncated: true}
	case end.kind == tokStart:
		return &Error{Rule: rule, Msg: fmt.Sprintf("%s: element %s not allowed inside", path, end.name), Offset: end.off}
	case end.name != t.name:
		return &Error{Rule: xmlRule, Msg: fmt.Sprintf("%s: end tag %s", path, end.name), Offset: end.off}
	}
	return nil
}

// epilog checks that only whitespace, comments and processing instructions
// follow the root element, up to a clean end of input.
func epilog(s *scanner) error {
	t, err := s.next()
	if err != nil {
		return err
	}
	if t.kind != tokEOF {
		return &Error{Rule: xmlRule + " §2.1", Msg: "content after the root element", Offset: t.off}
	}
	return nil
}
