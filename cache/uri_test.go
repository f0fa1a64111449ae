package cache

import (
	"errors"
	"strings"
	"testing"
)

func TestParseURIGood(t *testing.T) {
	tests := []struct {
		in, str, path string
	}{
		{"rsync://rpki.ripe.net/repository/", "rsync://rpki.ripe.net/repository/", "rpki.ripe.net/repository"},
		{"rsync://RPKI.Example.NET/Repo/A-b_c.roa", "rsync://rpki.example.net/Repo/A-b_c.roa", "rpki.example.net/Repo/A-b_c.roa"},
		{"RSYNC://rpki.example.net/repo/x.cer", "rsync://rpki.example.net/repo/x.cer", "rpki.example.net/repo/x.cer"},
		{"rsync://127.0.0.1:8873/repo/", "rsync://127.0.0.1:8873/repo/", "127.0.0.1:8873/repo"},
		{"https://[::1]:8443/notify.xml", "https://[::1]:8443/notify.xml", "[::1]:8443/notify.xml"},
		{"https://[2001:DB8:0::1]/n.xml", "https://[2001:db8::1]/n.xml", "[2001:db8::1]/n.xml"},
		{"https://rrdp.example.net/notification.xml", "https://rrdp.example.net/notification.xml", "rrdp.example.net/notification.xml"},
		{"rsync://rpki-pilot.arin.net:10873/certrepo/e8/29afd2-319c/1/4789Xt9H2ltHuAXdrQ6GWXWH2Ao.cer",
			"rsync://rpki-pilot.arin.net:10873/certrepo/e8/29afd2-319c/1/4789Xt9H2ltHuAXdrQ6GWXWH2Ao.cer",
			"rpki-pilot.arin.net:10873/certrepo/e8/29afd2-319c/1/4789Xt9H2ltHuAXdrQ6GWXWH2Ao.cer"},
		{"rsync://h/a/b~c+d=e:f@g,h..i", "rsync://h/a/b~c+d=e:f@g,h..i", "h/a/b~c+d=e:f@g,h..i"},
		{"rsync://localhost/x", "rsync://localhost/x", "localhost/x"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := ParseURI(tt.in)
			if err != nil {
				t.Fatalf("ParseURI: %v", err)
			}
			if u.String() != tt.str || u.Path() != tt.path {
				t.Errorf("got %q, path %q; want %q, path %q", u, u.Path(), tt.str, tt.path)
			}
			again, err := ParseURI(u.String())
			if err != nil || again != u {
				t.Errorf("canonical form does not parse back to itself: %v, %v", again, err)
			}
		})
	}
}

func TestParseURIBad(t *testing.T) {
	tests := map[string]string{
		"http":              "http://rpki.example.net/repo/",
		"ftp":               "ftp://rpki.example.net/repo/",
		"no scheme":         "rpki.example.net/repo/",
		"no path":           "rsync://rpki.example.net",
		"root only":         "rsync://rpki.example.net/",
		"dotdot":            "rsync://h/repo/../etc/passwd",
		"dotdot end":        "rsync://h/repo/..",
		"dot":               "rsync://h/repo/./a.roa",
		"dot dir":           "rsync://h/repo/.",
		"hidden":            "rsync://h/repo/.lock",
		"encoded dotdot":    "rsync://h/repo/%2e%2e/x",
		"encoded slash":     "rsync://h/repo/a%2fb",
		"percent":           "rsync://h/repo/100%",
		"empty segment":     "rsync://h/repo//a.roa",
		"double slash end":  "rsync://h/repo//",
		"backslash":         "rsync://h/repo/..\\x",
		"nul":               "rsync://h/repo/a\x00.roa",
		"newline":           "rsync://h/repo/a\n.roa",
		"del":               "rsync://h/repo/a\x7f.roa",
		"space":             "rsync://h/repo/a b.roa",
		"non-ascii":         "rsync://h/repo/é.roa",
		"query":             "https://h/notify.xml?x=1",
		"fragment":          "https://h/notify.xml#x",
		"userinfo":          "rsync://user@h/repo/",
		"empty host":        "rsync:///repo/",
		"empty port":        "rsync://h:/repo/",
		"zero port":         "rsync://h:0/repo/",
		"big port":          "rsync://h:65536/repo/",
		"leading zero port": "rsync://h:0873/repo/",
		"signed port":       "rsync://h:+873/repo/",
		"bad ipv4":          "rsync://999.1.1.1/repo/",
		"short ipv4":        "rsync://1.2.3/repo/",
		"ipv6 unbracketed":  "rsync://::1/repo/",
		"ipv6 zone":         "rsync://[fe80::1%25eth0]/repo/",
		"ipv4 in brackets":  "rsync://[127.0.0.1]/repo/",
		"ipv6 junk":         "rsync://[::1]x/repo/",
		"ipv6 open":         "rsync://[::1/repo/",
		"underscore host":   "rsync://a_b.example/repo/",
		"hyphen label":      "rsync://-a.example/repo/",
		"trailing dot host": "rsync://rpki.example.net./repo/",
		"long label":        "rsync://" + strings.Repeat("a", 64) + ".net/repo/",
		"long segment":      "rsync://h/" + strings.Repeat("a", 256),
		"long uri":          "rsync://h/" + strings.Repeat("a/", 1100),
		"absolute path":     "rsync:///etc/passwd",
		"shell":             "rsync://h/repo/$(reboot)",
		"quote":             "rsync://h/repo/a'b",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			u, err := ParseURI(in)
			if !errors.Is(err, ErrBadURI) {
				t.Errorf("ParseURI(%q) = %q, %v; want ErrBadURI", in, u, err)
			}
		})
	}
}

func TestIsUnder(t *testing.T) {
	tests := []struct {
		u, dir string
		want   bool
	}{
		{"rsync://h/repo/ca/a.roa", "rsync://h/repo/ca/", true},
		{"rsync://h/repo/ca/sub/a.roa", "rsync://h/repo/ca/", true},
		{"rsync://h/repo/ca/a.roa", "rsync://h/repo/ca", true},
		{"rsync://h/repo/ca/", "rsync://h/repo/ca/", false},
		{"rsync://h/repo/cab/a.roa", "rsync://h/repo/ca/", false},
		{"rsync://h/repo/a.roa", "rsync://h/repo/ca/", false},
		{"rsync://H/repo/ca/a.roa", "rsync://h/repo/ca/", true},
		{"rsync://h:873/repo/ca/a.roa", "rsync://h/repo/ca/", false},
		{"rsync://g/repo/ca/a.roa", "rsync://h/repo/ca/", false},
		{"https://h/repo/ca/a.roa", "rsync://h/repo/ca/", false},
	}
	for _, tt := range tests {
		u, err1 := ParseURI(tt.u)
		dir, err2 := ParseURI(tt.dir)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if got := u.IsUnder(dir); got != tt.want {
			t.Errorf("%s IsUnder %s = %v, want %v", tt.u, tt.dir, got, tt.want)
		}
	}
	if (URI{}).IsUnder(URI{}) {
		t.Error("zero URI is under zero URI")
	}
}

func FuzzParseURI(f *testing.F) {
	for _, s := range []string{
		"rsync://rpki.ripe.net/repository/",
		"rsync://rpki.example.net/repo/ca/a.roa",
		"rsync://127.0.0.1:8873/repo/",
		"https://[::1]:8443/notify.xml",
		"https://rrdp.example.net/notification.xml",
		"rsync://h/repo/%2e%2e/x",
		"rsync://h/repo/../x",
		"rsync://[fe80::1%25eth0]/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			if !errors.Is(err, ErrBadURI) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		p := u.Path()
		if p == "" || strings.HasPrefix(p, "/") {
			t.Fatalf("Path %q is not relative", p)
		}
		for seg := range strings.SplitSeq(p, "/") {
			if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "\\%\x00") {
				t.Fatalf("Path %q has segment %q", p, seg)
			}
		}
		if err := checkRel(p); err != nil {
			t.Fatalf("cache refuses Path %q: %v", p, err)
		}
		again, err := ParseURI(u.String())
		if err != nil || again != u {
			t.Fatalf("String %q does not parse back: %v", u, err)
		}
	})
}

// checkRelReference is checkRel written plainly, segment by segment: the
// single pass checkRel makes must accept and refuse exactly the same.
func checkRelReference(p string) bool {
	if p == "" || len(p) > maxRelPath {
		return false
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || len(seg) > maxNameSize || seg[0] == '.' {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
				strings.IndexByte("-_.~+=:@,[]", c) >= 0
			if !ok {
				return false
			}
		}
	}
	return true
}

func TestCheckRel(t *testing.T) {
	long := strings.Repeat("a", maxNameSize)
	for p, want := range map[string]bool{
		"a": true, "a/b.roa": true, "h:873/[::1]/x.cer": true, long: true, long + "/" + long: true,
		"": false, "/a": false, "a/": false, "a//b": false, ".a": false, "a/.b": false, "a/../b": false,
		"a b": false, "a\x00": false, "a%2e": false, "a\\b": false, long + "a": false, "a/" + long + "a": false,
		strings.Repeat("a/", maxRelPath/2) + "a": false, "é": false,
	} {
		if got := checkRel(p) == nil; got != want || checkRelReference(p) != want {
			t.Errorf("checkRel(%.40q) ok = %v, reference %v, want %v", p, got, checkRelReference(p), want)
		}
	}
}

func FuzzCheckRel(f *testing.F) {
	for _, s := range []string{"a/b.roa", "a//b", ".x", "a/.b", "[::1]/x", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := checkRel(p) == nil, checkRelReference(p); got != want {
			t.Fatalf("checkRel(%q) ok = %v, reference %v", p, got, want)
		}
	})
}
