package rrdp

import (
	"fmt"
	"io"
	"slices"
)

// MaxDeltas is the longest run of deltas worth applying. A relying party
// further behind loads the snapshot instead (DESIGN.md §4); fetching hundreds
// of small files costs more than one large one.
const MaxDeltas = 300

const notificationRule = "RFC 8182 §3.5.1.3"

// Notification is a parsed update notification file.
type Notification struct {
	SessionID string // a UUID, in lower case
	Serial    uint64
	Snapshot  Snapshot
	Deltas    []Delta // ascending by Serial, serials unique and ≤ Serial
}

// Snapshot locates the snapshot file.
type Snapshot struct {
	URI  string // an https URL
	Hash [32]byte
}

// Delta locates one delta file.
type Delta struct {
	Serial uint64
	URI    string // an https URL
	Hash   [32]byte
}

// ParseNotification parses an update notification file of at most maxBytes
// bytes; a longer one is an error. Beyond the RFC 8182 §3.5.1.3 format, it
// checks that the snapshot and delta URIs are https URLs, that delta serials
// are unique and no greater than the notification's serial, and that the
// snapshot comes before the deltas (the §3.5.4 schema order). Whether the
// URIs share the notification's origin (RFC 9674) is for the caller, which
// knows the notification's URI: see SameOrigin.
//
// Errors match ErrProtocol, or come from r.
func ParseNotification(r io.Reader, maxBytes int64) (*Notification, error) {
	s := newScanner(&capReader{r: r, left: maxBytes, max: maxBytes})
	root, h, err := readRoot(s, "notification", notificationRule)
	if err != nil {
		return nil, err
	}
	n := &Notification{SessionID: h.sessionID, Serial: h.serial}
	if root.empty {
		return nil, &Error{Rule: notificationRule, Msg: "notification: no snapshot", Offset: root.off}
	}
	if err := parseNotificationBody(s, n); err != nil {
		return nil, err
	}
	if err := epilog(s); err != nil {
		return nil, err
	}
	slices.SortFunc(n.Deltas, func(a, b Delta) int { return cmpSerial(a.Serial, b.Serial) })
	for i := 1; i < len(n.Deltas); i++ {
		if n.Deltas[i].Serial == n.Deltas[i-1].Serial {
			return nil, &Error{Rule: notificationRule,
				Msg: fmt.Sprintf("notification: delta serial %d listed twice", n.Deltas[i].Serial)}
		}
	}
	return n, nil
}

// parseNotificationBody reads the snapshot and delta elements up to
// </notification>.
func parseNotificationBody(s *scanner, n *Notification) error {
	seenSnapshot := false
	for i := 0; ; i++ {
		t, ok, err := nextChild(s, "notification", notificationRule)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		switch {
		case t.name == "snapshot" && !seenSnapshot && i == 0:
			seenSnapshot = true
			n.Snapshot, err = parseSnapshotRef(t)
		case t.name == "snapshot":
			err = &Error{Rule: notificationRule, Msg: "notification: snapshot not the first and only one", Offset: t.off}
		case t.name == "delta" && seenSnapshot:
			var d Delta
			d, err = parseDeltaRef(t, i, n.Serial)
			n.Deltas = append(n.Deltas, d)
		case t.name == "delta":
			err = &Error{Rule: notificationRule, Msg: "notification: delta before the snapshot", Offset: t.off}
		default:
			err = &Error{Rule: notificationRule, Msg: fmt.Sprintf("notification: element %s not allowed", t.name), Offset: t.off}
		}
		if err == nil {
			err = closeEmpty(s, t, "notification/"+t.name, notificationRule)
		}
		if err != nil {
			return err
		}
	}
	if !seenSnapshot {
		return &Error{Rule: notificationRule, Msg: "notification: no snapshot", Offset: s.offset()}
	}
	return nil
}

// parseSnapshotRef reads <snapshot uri hash>.
func parseSnapshotRef(t tag) (Snapshot, error) {
	var ref Snapshot
	a := attrSet{path: "notification/snapshot", attrs: t.attrs}
	err := a.checkNames(false, "uri", "hash")
	if err == nil {
		ref.URI, err = a.httpsURI()
	}
	if err == nil {
		ref.Hash, err = a.hash()
	}
	if err != nil {
		return ref, protoErr(notificationRule, t.off, err)
	}
	return ref, nil
}

// parseDeltaRef reads <delta serial uri hash>; the serial may not exceed the
// notification's.
func parseDeltaRef(t tag, i int, limit uint64) (Delta, error) {
	var d Delta
	a := attrSet{path: fmt.Sprintf("notification/delta[%d]", i), attrs: t.attrs}
	err := a.checkNames(false, "serial", "uri", "hash")
	if err == nil {
		d.Serial, err = a.serial()
	}
	if err == nil && d.Serial > limit {
		err = fmt.Errorf("%s: serial %d above the notification's %d", a.path, d.Serial, limit)
	}
	if err == nil {
		d.URI, err = a.httpsURI()
	}
	if err == nil {
		d.Hash, err = a.hash()
	}
	if err != nil {
		return d, protoErr(notificationRule, t.off, err)
	}
	return d, nil
}

func cmpSerial(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DeltasSince returns the deltas that bring a copy at serial up to n.Serial,
// in the order to apply them. It returns false when they cannot: serial is
// ahead of n.Serial, a delta in between is missing from the notification, or
// more than MaxDeltas would be needed; load the snapshot then. An empty
// result with true means the copy is current. The caller checks the session
// ID first: serials of another session mean nothing.
func (n *Notification) DeltasSince(serial uint64) ([]Delta, bool) {
	if serial > n.Serial {
		return nil, false
	}
	need := n.Serial - serial
	if need == 0 {
		return nil, true
	}
	if need > MaxDeltas {
		return nil, false
	}
	i, found := slices.BinarySearchFunc(n.Deltas, serial+1, func(d Delta, s uint64) int {
		return cmpSerial(d.Serial, s)
	})
	// Serials are unique, sorted and at most n.Serial, so need entries from
	// serial+1 on are exactly serial+1 … n.Serial.
	if !found || len(n.Deltas)-i < int(need) {
		return nil, false
	}
	return slices.Clone(n.Deltas[i : i+int(need)]), true
}

// capReader fails once more than max bytes have been read, so an endless
// notification cannot exhaust memory through the delta list.
type capReader struct {
	r         io.Reader
	left, max int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, &Error{Rule: "limit", Msg: fmt.Sprintf("notification larger than %d bytes", c.max), Offset: c.max}
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1] // one byte more reveals an oversized file
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n - 1, &Error{Rule: "limit", Msg: fmt.Sprintf("notification larger than %d bytes", c.max), Offset: c.max}
	}
	return n, err
}

// CheckOrigin applies SameOrigin to the snapshot and every delta: RFC 9674
// has relying parties reject a notification that points elsewhere. The
// error matches ErrProtocol.
func (n *Notification) CheckOrigin(notifyURI string) error {
	if !SameOrigin(notifyURI, n.Snapshot.URI) {
		return &Error{Rule: "RFC 9674", Msg: fmt.Sprintf("snapshot %s not on the origin of %s", n.Snapshot.URI, notifyURI)}
	}
	for _, d := range n.Deltas {
		if !SameOrigin(notifyURI, d.URI) {
			return &Error{Rule: "RFC 9674", Msg: fmt.Sprintf("delta %d %s not on the origin of %s", d.Serial, d.URI, notifyURI)}
		}
	}
	return nil
}
