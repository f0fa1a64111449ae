package output

import (
	"bufio"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/tally-rpki/tally/validate"
)

// bufSize is the write buffer of every format: large enough that a run's
// files go out in few system calls.
const bufSize = 64 << 10

// lineWriter collects one line at a time in buf and writes it through a
// bufio.Writer, whose first error sticks and comes back from flush.
type lineWriter struct {
	w   *bufio.Writer
	buf []byte
}

func newLineWriter(w io.Writer) *lineWriter {
	return &lineWriter{w: bufio.NewWriterSize(w, bufSize), buf: make([]byte, 0, 512)}
}

// emit writes buf and empties it.
func (lw *lineWriter) emit() {
	lw.w.Write(lw.buf) // the error sticks in lw.w and is returned by flush
	lw.buf = lw.buf[:0]
}

// str writes s as it is.
func (lw *lineWriter) str(s string) {
	lw.buf = append(lw.buf, s...)
	lw.emit()
}

func (lw *lineWriter) flush() error { return lw.w.Flush() }

// appendPrefix appends p's masked network address and length.
func appendPrefix(b []byte, p netip.Prefix) []byte {
	b = appendAddr(b, p.Masked().Addr())
	b = append(b, '/')
	return strconv.AppendInt(b, int64(p.Bits()), 10)
}

// appendAddr appends a as C's inet_ntop prints it (FORMATS.md §1.1).
func appendAddr(b []byte, a netip.Addr) []byte {
	if a.Is4() {
		return a.AppendTo(b)
	}
	return appendIPv6(b, a.As16())
}

// appendIPv6 prints a 16-byte address as inet_ntop does: lower-case hex
// groups without leading zeros, the longest run of two or more zero groups
// (the first of equal ones) as "::", and a dotted IPv4 tail when the first
// six groups are zero and the seventh is not, or for ::ffff:0:0/96. Go's
// netip differs only in the first of these tail cases.
func appendIPv6(b []byte, ip [16]byte) []byte {
	var words [8]uint16
	for i := range words {
		words[i] = uint16(ip[2*i])<<8 | uint16(ip[2*i+1])
	}
	base, length := longestZeroRun(words)
	for i := 0; i < 8; i++ {
		if i == base {
			b = append(b, ':')
			if base+length == 8 {
				b = append(b, ':')
			}
			i += length - 1
			continue
		}
		if i > 0 {
			b = append(b, ':')
		}
		if i == 6 && base == 0 && (length == 6 || length == 5 && words[5] == 0xffff) {
			return netip.AddrFrom4([4]byte(ip[12:])).AppendTo(b)
		}
		b = strconv.AppendUint(b, uint64(words[i]), 16)
	}
	return b
}

// longestZeroRun finds the first longest run of at least two zero words;
// base is -1 when there is none.
func longestZeroRun(words [8]uint16) (base, length int) {
	base = -1
	for i := 0; i < 8; {
		if words[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && words[j] == 0 {
			j++
		}
		if j-i >= 2 && j-i > length {
			base, length = i, j-i
		}
		i = j
	}
	if base < 0 {
		length = 0
	}
	return base, length
}

// cDate formats t in UTC as C's strftime "%a %b %e %H:%M:%S UTC %Y" does in
// the C locale; %e pads the day with a space.
func cDate(t time.Time) string {
	return t.UTC().Format("Mon Jan _2 15:04:05 UTC 2006")
}

// seconds is d in whole seconds, as rpki-client prints processing times.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// headerStyle selects the comment header of FORMATS.md §4.
type headerStyle int

const (
	header98 headerStyle = iota // rpki-client 9.8 without CCR lines (§11)
	header82                    // Debian's rpki-client 8.2
)

// appendHeader appends the "# " comment header of openbgpd and bird files.
func appendHeader(b []byte, r *validate.Result, style headerStyle) []byte {
	md := &r.Metadata
	st := &r.Stats
	line := func(s string, nums ...int64) {
		// s holds one '%' per number; nothing else is substituted.
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] == '%' {
				b = strconv.AppendInt(b, nums[n], 10)
				n++
				continue
			}
			b = append(b, s[i])
		}
		b = append(b, '\n')
	}
	b = append(b, "# Generated on host "...)
	b = append(b, md.BuildMachine...)
	b = append(b, " at "...)
	b = append(b, cDate(md.BuildTime)...)
	b = append(b, '\n')
	line("# Processing time % seconds (%s user, %s system)",
		seconds(md.Elapsed), seconds(md.User), seconds(md.System))
	roa := st[validate.KindROA]
	line("# Route Origin Authorizations: % (% failed parse, % invalid)",
		int64(roa.Valid), int64(roa.FailedParse), int64(roa.Invalid))
	line("# BGPsec Router Certificates: %", int64(st[validate.KindRouterCert].Valid))
	cert := st[validate.KindCert]
	if style == header82 {
		line("# Certificates: % (% invalid)", int64(cert.Valid), int64(cert.Rejected()))
	} else {
		line("# Certificates: % (% invalid, % non-functional)",
			int64(cert.Valid), int64(cert.Rejected()), int64(len(r.NonFunctional)))
	}
	b = append(b, "# Trust Anchor Locators: "...)
	b = strconv.AppendInt(b, int64(r.TALCount), 10)
	b = append(b, " ("...)
	b = strconv.AppendInt(b, int64(r.InvalidTALs), 10)
	b = append(b, " invalid) ["...)
	for _, tal := range md.TALFiles {
		b = append(b, ' ')
		b = append(b, tal...)
	}
	b = append(b, " ]\n"...)
	mft := st[validate.KindManifest]
	if style == header82 {
		line("# Manifests: % (% failed parse, % stale)",
			int64(mft.Valid), int64(mft.Rejected()), int64(mft.Stale))
	} else {
		line("# Manifests: % (% failed parse)", int64(mft.Valid), int64(mft.Rejected()))
	}
	line("# Certificate revocation lists: %", int64(st[validate.KindCRL].Valid))
	if style == header82 {
		line("# Ghostbuster records: %", int64(st[validate.KindGBR].Valid))
	}
	line("# Repositories: %", int64(len(r.Repos)))
	line("# VRP Entries: % (% unique)", int64(r.VRPTotal), int64(len(r.VRPs)))
	return b
}
