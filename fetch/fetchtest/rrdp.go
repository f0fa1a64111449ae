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
	var delta strings.Builder
	for _, uri := range slices.Sorted(maps.Keys(files)) {
		old, had := r.files[uri]
		switch {
		case !had:
			fmt.Fprintf(&delta, "<publish uri=%q>%s</publish>\n", uri, base64.StdEncoding.EncodeToString(files[uri]))
		case string(old) != string(files[uri]):
			fmt.Fprintf(&delta, "<publish uri=%q hash=%q>%s</publish>\n", uri, hash(old),
				base64.StdEncoding.EncodeToString(files[uri]))
		}
	}
	for _, uri := range slices.Sorted(maps.Keys(r.files)) {
		if _, keep := files[uri]; !keep {
			fmt.Fprintf(&delta, "<withdraw uri=%q hash=%q/>\n", uri, hash(r.files[uri]))
		}
	}
	var snap strings.Builder
	for _, uri := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(&snap, "<publish uri=%q>%s</publish>\n", uri, base64.StdEncoding.EncodeToString(files[uri]))
	}
	if r.Serial > 1 && delta.Len() > 0 {
		d := []byte(r.doc("delta", delta.String()))
		r.deltas = append(r.deltas, repoDelta{r.Serial, r.DeltaPath(r.Serial), d})
		r.srv.Set(r.DeltaPath(r.Serial), d)
	}
	s := []byte(r.doc("snapshot", snap.String()))
	r.srv.Set(r.SnapshotPath(r.Serial), s)
	r.files = maps.Clone(files)

	var n strings.Builder
	fmt.Fprintf(&n, `<notification xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="%s" serial="%d">`+"\n",
		r.Session, r.Serial)
	fmt.Fprintf(&n, "<snapshot uri=\"%s%s\" hash=\"%s\"/>\n", r.srv.URL, r.SnapshotPath(r.Serial), hash(s))
	for _, d := range slices.Backward(r.deltas) {
		fmt.Fprintf(&n, "<delta serial=\"%d\" uri=\"%s%s\" hash=\"%s\"/>\n", d.serial, r.srv.URL, d.path, hash(d.doc))
	}
	n.WriteString("</notification>\n")
	r.srv.Set(r.prefix+"/notify.xml", []byte(n.String()))
}

func (r *Repo) doc(kind, body string) string {
	return fmt.Sprintf(`<%s xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="%s" serial="%d">`+"\n%s</%s>\n",
		kind, r.Session, r.Serial, body, kind)
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
