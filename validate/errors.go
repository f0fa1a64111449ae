package validate

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched (with errors.Is) by every error for an object that
// parsed but failed a check against its issuer, CRL, manifest or now.
var ErrInvalid = errors.New("invalid object")

// ruleError names the rule an object broke, like object.Error, but for the
// checks that need more than the object itself. It matches ErrInvalid and
// unwraps to its cause, so a failed signature still matches
// object.ErrSignature.
type ruleError struct {
	Rule  string // where the rule is written: "RFC 6487 §7.2"
	Msg   string
	Cause error // may be nil
}

func (e *ruleError) Error() string {
	if e.Cause != nil {
		return e.Rule + ": " + e.Msg + ": " + e.Cause.Error()
	}
	return e.Rule + ": " + e.Msg
}

func (e *ruleError) Is(target error) bool { return target == ErrInvalid }
func (e *ruleError) Unwrap() error        { return e.Cause }

// invalid builds a ruleError; format and args describe what is wrong.
func invalid(rule, format string, args ...any) error {
	return &ruleError{Rule: rule, Msg: fmt.Sprintf(format, args...)}
}

// invalidBy builds a ruleError around cause, such as a failed signature.
func invalidBy(rule, msg string, cause error) error {
	return &ruleError{Rule: rule, Msg: msg, Cause: cause}
}
