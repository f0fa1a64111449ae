package validate

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/netip"
	"strings"
	"time"

	"github.com/tally-rpki/tally/validate/object"
)

// Field is one named value of an inspection report.
type Field struct {
	Key   string
	Value any // string, int, bool, []string, []Report-like nested Fields, …
}

// Report describes one decoded object: its name, type, verdict and fields,
// in a fixed order. It marshals to a JSON object with the members in that
// order and prints as text with WriteText.
type Report []Field

// Valid reports the verdict recorded in the report.
func (r Report) Valid() bool {
	for _, f := range r {
		if f.Key == "valid" {
			v, _ := f.Value.(bool)
			return v
		}
	}
	return false
}

// MarshalJSON writes the fields as one JSON object, in order.
func (r Report) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// WriteText prints the report as "key: value" lines, lists one item per
// line and nested reports indented.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	r.text(&b, "")
	_, err := io.WriteString(w, b.String())
	return err
}

func (r Report) text(b *strings.Builder, indent string) {
	for _, f := range r {
		switch v := f.Value.(type) {
		case Report:
			fmt.Fprintf(b, "%s%s:\n", indent, f.Key)
			v.text(b, indent+"    ")
		case []Report:
			fmt.Fprintf(b, "%s%s: %d\n", indent, f.Key, len(v))
			for _, item := range v {
				item.text(b, indent+"    ")
			}
		case []string:
			fmt.Fprintf(b, "%s%s: %d\n", indent, f.Key, len(v))
			for _, s := range v {
				fmt.Fprintf(b, "%s    %s\n", indent, s)
			}
		case []uint32:
			fmt.Fprintf(b, "%s%s: %s\n", indent, f.Key, joinUints(v))
		default:
			fmt.Fprintf(b, "%s%s: %v\n", indent, f.Key, v)
		}
	}
}

func joinUints(v []uint32) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

// Inspect decodes one object on its own (object.Decode: profile checks and,
// for signed objects, the CMS signature against the embedded EE
// certificate) and describes it. The verdict needs no issuer: chain checks
// are the walk's.
func Inspect(name string, data []byte) Report {
	typ, v, err := object.Decode(name, data)
	r := Report{{"file", name}, {"type", string(typ)}, {"valid", err == nil}}
	if typ == object.TypeUnknown {
		r[1].Value = "unknown"
	}
	if err != nil {
		return append(r, Field{"error", err.Error()})
	}
	switch o := v.(type) {
	case *object.TAL:
		r = append(r, Field{"uris", o.URIs}, Field{"spki", base64.StdEncoding.EncodeToString(o.SPKI)})
	case *object.Cert:
		r = append(r, certFields(o)...)
	case *object.CRL:
		r = append(r, crlFields(o)...)
	case *object.Manifest:
		files := make([]Report, len(o.Files))
		for i, f := range o.Files {
			files[i] = Report{{"name", f.Name}, {"hash", hex.EncodeToString(f.Hash[:])}}
		}
		r = append(r, Field{"manifest_number", bigHex(o.Number)},
			Field{"this_update", stamp(o.ThisUpdate)}, Field{"next_update", stamp(o.NextUpdate)},
			Field{"files", files})
		r = append(r, signedFields(o.Signed)...)
	case *object.ROA:
		prefixes := make([]Report, len(o.Prefixes))
		for i, p := range o.Prefixes {
			prefixes[i] = Report{{"prefix", p.Prefix.String()}, {"max_length", p.MaxLength}}
		}
		r = append(r, Field{"asid", o.ASID}, Field{"prefixes", prefixes})
		r = append(r, signedFields(o.Signed)...)
	case *object.ASPA:
		r = append(r, Field{"customer_asid", o.Customer}, Field{"providers", o.Providers})
		r = append(r, signedFields(o.Signed)...)
	case *object.GBR:
		r = append(r, Field{"fn", o.FN}, Field{"org", o.ORG}, Field{"adr", nonNil(o.Addresses)},
			Field{"tel", nonNil(o.Phones)}, Field{"email", nonNil(o.Emails)})
		r = append(r, signedFields(o.Signed)...)
	case *object.TAK:
		r = append(r, Field{"current", takKey(o.Current)})
		if o.Predecessor != nil {
			r = append(r, Field{"predecessor", takKey(o.Predecessor)})
		}
		if o.Successor != nil {
			r = append(r, Field{"successor", takKey(o.Successor)})
		}
		r = append(r, signedFields(o.Signed)...)
	}
	return r
}

func certFields(c *object.Cert) Report {
	r := Report{
		{"kind", c.Kind.String()},
		{"self_signed", c.SelfSigned},
		{"serial", hex.EncodeToString(c.Serial)},
		{"ski", hex.EncodeToString(c.SKI)},
		{"aki", hex.EncodeToString(c.AKI)},
		{"not_before", stamp(c.NotBefore)},
		{"not_after", stamp(c.NotAfter)},
	}
	for _, u := range []struct{ key, uri string }{
		{"crl", c.CRLDP}, {"aia", c.AIA}, {"ca_repository", c.CARepository},
		{"manifest", c.Manifest}, {"notify", c.Notify}, {"signed_object", c.SignedObject},
	} {
		if u.uri != "" {
			r = append(r, Field{u.key, u.uri})
		}
	}
	r = append(r, resourceFields(c.Resources)...)
	if c.Kind == object.KindRouter {
		r = append(r, Field{"router_key", base64.StdEncoding.EncodeToString(c.RawSPKI)})
	}
	if len(c.UnknownExtensions) > 0 {
		r = append(r, Field{"unknown_extensions", c.UnknownExtensions})
	}
	return r
}

func resourceFields(res object.Resources) Report {
	var r Report
	for _, fam := range []struct {
		key string
		set *object.IPSet
	}{{"ipv4", res.IPv4}, {"ipv6", res.IPv6}} {
		if fam.set == nil {
			continue
		}
		if fam.set.Inherit {
			r = append(r, Field{fam.key, "inherit"})
			continue
		}
		ranges := make([]string, len(fam.set.Ranges))
		for i, rg := range fam.set.Ranges {
			ranges[i] = addrRange(rg)
		}
		r = append(r, Field{fam.key, ranges})
	}
	if res.AS != nil {
		if res.AS.Inherit {
			return append(r, Field{"asn", "inherit"})
		}
		ranges := make([]string, len(res.AS.Ranges))
		for i, rg := range res.AS.Ranges {
			ranges[i] = fmt.Sprintf("AS%d", rg.Min)
			if rg.Max != rg.Min {
				ranges[i] += fmt.Sprintf("-AS%d", rg.Max)
			}
		}
		r = append(r, Field{"asn", ranges})
	}
	return r
}

// addrRange prints a range as a prefix when it is exactly one.
func addrRange(rg object.AddrRange) string {
	for bits := 0; bits <= rg.Min.BitLen(); bits++ {
		p, err := rg.Min.Prefix(bits)
		if err != nil || p.Addr() != rg.Min {
			continue
		}
		if lastAddr(p.Addr(), bits) == rg.Max {
			return p.String()
		}
	}
	return rg.Min.String() + "-" + rg.Max.String()
}

func crlFields(c *object.CRL) Report {
	revoked := make([]string, len(c.Revoked))
	for i, rc := range c.Revoked {
		revoked[i] = hex.EncodeToString(rc.Serial) + " " + stamp(rc.RevocationDate)
	}
	return Report{
		{"aki", hex.EncodeToString(c.AKI)},
		{"crl_number", bigHex(c.Number)},
		{"this_update", stamp(c.ThisUpdate)},
		{"next_update", stamp(c.NextUpdate)},
		{"revoked", revoked},
	}
}

func signedFields(so *object.SignedObject) Report {
	r := Report{}
	if !so.SigningTime.IsZero() {
		r = append(r, Field{"signing_time", stamp(so.SigningTime)})
	}
	if so.BER {
		r = append(r, Field{"ber", true})
	}
	return append(r, Field{"ee", certFields(so.EE)})
}

func takKey(k *object.TAKey) Report {
	return Report{
		{"comments", nonNil(k.Comments)},
		{"uris", nonNil(k.URIs)},
		{"spki", base64.StdEncoding.EncodeToString(k.SPKI)},
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func bigHex(n *big.Int) string {
	if n == nil {
		return ""
	}
	return strings.ToUpper(n.Text(16))
}

// nonNil makes an absent list print as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// lastAddr is the highest address of the prefix addr/bits.
func lastAddr(addr netip.Addr, bits int) netip.Addr {
	b := addr.AsSlice()
	for i := range b {
		switch {
		case bits >= 8*(i+1):
		case bits <= 8*i:
			b[i] = 0xff
		default:
			b[i] |= 0xff >> (bits - 8*i)
		}
	}
	last, _ := netip.AddrFromSlice(b)
	return last
}
