package fetchtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Repo is an RRDP repository (RFC 8182) served by a Server below a path
// prefix. Each Publish makes a new serial: a snapshot of the files given
// and a delta from the previous serial, listed in the notification
// (with every earlier delta).
type Repo struct {
	srv     *Server
	prefix  string // "/r1"
	Session string
	Serial  int
	files   map[string][]byte // URI → content at Serial
	deltas  []repoDelta
}

type repoDelta struct {
	serial int
	path   string
	doc    []byte
}

// NewRepo returns an empty repository with the given session ID, served
// below prefix; nothing is served until the first Publish.
func (s *Server) NewRepo(prefix, session string) *Repo {
	return &Repo{srv: s, prefix: prefix, Session: session, files: map[string][]byte{}}
}

// NotifyURI is the repository's notification URI.
func (r *Repo) NotifyURI() string { return r.srv.URL + r.prefix + "/notify.xml" }

// SnapshotPath and DeltaPath are the paths of a serial's documents.
func (r *Repo) SnapshotPath(serial int) string {
	return fmt.Sprintf("%s/%d/snapshot.xml", r.prefix, serial)
}

func (r *Repo) DeltaPath(serial int) string { return fmt.Sprintf("%s/%d/delta.xml", r.prefix, serial) }

// Publish makes files (rsync URI to content) the repository's content at
// the next serial.
func (r *Repo) Publish(files map[string][]byte) {
	r.Serial++
	var delta, snap []Elem
	for _, uri := range slices.Sorted(maps.Keys(files)) {
		old, had := r.files[uri]
		switch {
		case !had:
			delta = append(delta, Elem{URI: uri, Content: files[uri]})
		case string(old) != string(files[uri]):
			delta = append(delta, Elem{URI: uri, Content: files[uri], Replaces: old})
		}
		snap = append(snap, Elem{URI: uri, Content: files[uri]})
	}
	for _, uri := range slices.Sorted(maps.Keys(r.files)) {
		if _, keep := files[uri]; !keep {
			delta = append(delta, Elem{URI: uri, Replaces: r.files[uri]})
		}
	}
	if r.Serial > 1 && len(delta) > 0 {
		d := UpdateDoc("delta", r.Session, r.Serial, delta)
		r.deltas = append(r.deltas, repoDelta{r.Serial, r.DeltaPath(r.Serial), d})
		r.srv.Set(r.DeltaPath(r.Serial), d)
	}
	s := UpdateDoc("snapshot", r.Session, r.Serial, snap)
	r.srv.Set(r.SnapshotPath(r.Serial), s)
	r.files = maps.Clone(files)

	var refs []DeltaRef
	for _, d := range slices.Backward(r.deltas) {
		refs = append(refs, DeltaRef{Serial: d.serial, URI: r.srv.URL + d.path, Hashed: d.doc})
	}
	r.srv.Set(r.prefix+"/notify.xml", NotificationDoc(r.Session, r.Serial, r.srv.URL+r.SnapshotPath(r.Serial), s, refs))
}

// Elem is one element of an RRDP snapshot or delta: a publish of Content,
// or a withdraw when Content is nil. Replaces is the content replaced or
// withdrawn, whose hash the element carries; nil for a new object.
type Elem struct {
	URI      string
	Content  []byte
	Replaces []byte
}

// UpdateDoc is an RRDP snapshot or delta document (kind "snapshot" or
// "delta") of a session and serial, holding elems in order.
func UpdateDoc(kind, session string, serial int, elems []Elem) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<%s xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="%s" serial="%d">`+"\n",
		kind, session, serial)
	for _, e := range elems {
		h := ""
		if e.Replaces != nil {
			h = ` hash="` + hash(e.Replaces) + `"`
		}
		if e.Content == nil {
			fmt.Fprintf(&b, "<withdraw uri=%q%s/>\n", e.URI, h)
			continue
		}
		fmt.Fprintf(&b, "<publish uri=%q%s>%s</publish>\n", e.URI, h, base64.StdEncoding.EncodeToString(e.Content))
	}
	fmt.Fprintf(&b, "</%s>\n", kind)
	return []byte(b.String())
}

// DeltaRef is a delta as a notification lists it: Hashed is the bytes
// whose hash is listed (the delta itself, or something else to lie).
type DeltaRef struct {
	Serial int
	URI    string
	Hashed []byte
}

// NotificationDoc is an RRDP notification listing the snapshot at snapURI
// with the hash of snapHashed, and deltas in the order given.
func NotificationDoc(session string, serial int, snapURI string, snapHashed []byte, deltas []DeltaRef) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<notification xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="%s" serial="%d">`+"\n",
		session, serial)
	fmt.Fprintf(&b, "<snapshot uri=%q hash=%q/>\n", snapURI, hash(snapHashed))
	for _, d := range deltas {
		fmt.Fprintf(&b, "<delta serial=\"%d\" uri=%q hash=%q/>\n", d.Serial, d.URI, hash(d.Hashed))
	}
	b.WriteString("</notification>\n")
	return []byte(b.String())
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
