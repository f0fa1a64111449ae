package object

import (
	"errors"
	"fmt"
)

// ErrMalformed is matched (with errors.Is) by every error a parser returns
// for bad input.
var ErrMalformed = errors.New("malformed object")

// Error names the rule an object broke and the field that broke it.
type Error struct {
	Rule string // where the rule is written: "RFC 9286 §4.2"
	Msg  string // the field and what is wrong with it
}

func (e *Error) Error() string        { return e.Rule + ": " + e.Msg }
func (e *Error) Is(target error) bool { return target == ErrMalformed }

// malformed builds an *Error; format and args describe the field.
func malformed(rule, format string, args ...any) error {
	return &Error{Rule: rule, Msg: fmt.Sprintf(format, args...)}
}

// within prefixes the message of an *Error with the name of the enclosing
// structure, keeping its rule; other errors are returned as they are.
func within(where string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return &Error{Rule: e.Rule, Msg: where + ": " + e.Msg}
	}
	return err
}
