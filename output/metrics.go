package output

import (
	"bufio"
	"io"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/tally-rpki/tally/validate"
)

// WriteMetrics writes the metrics file for node_exporter's textfile
// collector: the families of rpki-client 9.8 (FORMATS.md §7) renamed from
// rpki_client_* to tally_* (§11), in the same order and with the same
// labels, then tally's own families, then "# EOF".
//
// The Prometheus text encoder (expfmt) formats the file, which makes it
// differ from rpki-client's in ways the library does not let us change:
//   - Values are printed in Go's shortest float form: 6, 312.412345678,
//     265.1 (not 265.100000000), and in exponent form from 10^6 up
//     (1.79613720025e+09 for a timestamp, 1.2e+06 for a count). Prometheus
//     and node_exporter read both forms alike.
//   - rpki_client_info belongs to a family named rpki_client; a library
//     family's samples carry the family's name, so tally's family is
//     tally_info (HELP and TYPE lines name it so).
//   - Label values are escaped (\\, \", \n); URIs normally contain none.
func WriteMetrics(w io.Writer, r *validate.Result) error {
	bw := bufio.NewWriterSize(w, bufSize)
	for _, mf := range metricFamilies(r) {
		if err := writeFamily(bw, mf); err != nil {
			return err
		}
	}
	if _, err := expfmt.FinalizeOpenMetrics(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// writeFamily writes one family in the Prometheus text format.
func writeFamily(w io.Writer, mf *dto.MetricFamily) error {
	var err error
	if len(mf.Metric) == 0 {
		// The text encoder refuses a family without samples, but §7 wants
		// its HELP and TYPE lines; for a gauge whose help has no quotes the
		// OpenMetrics encoder writes those two lines byte for byte alike.
		_, err = expfmt.MetricFamilyToOpenMetrics(w, mf)
	} else {
		_, err = expfmt.MetricFamilyToText(w, mf)
	}
	return err
}

// metricFamilies builds every family in output order.
func metricFamilies(r *validate.Result) []*dto.MetricFamily {
	md := &r.Metadata
	info := gauge("tally_info", "tally information")
	node, domain, _ := strings.Cut(md.BuildMachine, ".")
	info.set(1, "nodename", node, "domainname", domain, "release", md.Version)

	completion := gauge("tally_job_completion_time", "end of this run as epoch timestamp")
	completion.set(unixSeconds(md.BuildTime))

	objects := gauge("tally_objects", "total number of objects")
	setObjects(objects, r.Stats, totalPayloads(r), len(r.NonFunctional))

	duration := gauge("tally_duration", "duration in seconds")
	duration.set(md.Elapsed.Seconds(), "type", "elapsed")
	duration.set(md.User.Seconds(), "type", "user")
	duration.set(md.System.Seconds(), "type", "system")

	taObjects := gauge("tally_ta_objects", "total number of objects per TAL")
	for i := range r.TAs {
		ta := &r.TAs[i]
		setObjects(taObjects, ta.Stats, ta.Payloads, ta.Stats[validate.KindCert].NonFunctional,
			"name", ta.Name)
	}

	lastSuccess := gauge("tally_last_success_timestamp_seconds",
		"end of the last successful run as epoch timestamp")
	last := md.LastSuccess
	if last.IsZero() {
		last = md.BuildTime
	}
	lastSuccess.set(unixSeconds(last))

	taVRPs := gauge("tally_ta_vrps", "VRPs per TAL")
	for i := range r.TAs {
		ta := &r.TAs[i]
		taVRPs.set(float64(ta.Payloads.VRPs), "type", "total", "name", ta.Name)
		taVRPs.set(float64(ta.Payloads.UniqueVRPs), "type", "unique", "name", ta.Name)
	}

	start := gauge("tally_run_start_timestamp_seconds", "start of this run as epoch timestamp")
	if !md.Start.IsZero() {
		start.set(unixSeconds(md.Start))
	}
	exit := gauge("tally_run_exit_status",
		"exit status of this run: 0 outputs written, 1 fatal error, 3 VRP drop guard")
	exit.set(float64(md.ExitStatus))

	families := []family{info, completion, repositoryCounts(r.Repos), objects, duration, taObjects}
	families = append(families, repositoryFamilies(r.Repos)...)
	families = append(families, lastSuccess, taVRPs, start, exit)
	out := make([]*dto.MetricFamily, len(families))
	for i, f := range families {
		out[i] = f.mf
	}
	return out
}

// family wraps a gauge family while it is filled.
type family struct{ mf *dto.MetricFamily }

func gauge(name, help string) family {
	return family{&dto.MetricFamily{Name: &name, Help: &help, Type: dto.MetricType_GAUGE.Enum()}}
}

// set adds a sample; labels are name, value pairs, and a label with an
// empty value is left out.
func (f family) set(v float64, labels ...string) {
	m := &dto.Metric{Gauge: &dto.Gauge{Value: &v}}
	for i := 0; i+1 < len(labels); i += 2 {
		if labels[i+1] == "" {
			continue
		}
		m.Label = append(m.Label, &dto.LabelPair{Name: &labels[i], Value: &labels[i+1]})
	}
	f.mf.Metric = append(f.mf.Metric, m)
}

// unixSeconds is t as fractional Unix seconds. Adding the fraction to the
// whole seconds keeps a fraction like .25 exact, which dividing
// UnixNano by 1e9 does not.
func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// totalPayloads gives the run's payload counts in the shape of a TA's.
func totalPayloads(r *validate.Result) validate.Payloads {
	return validate.Payloads{
		VRPs:          r.VRPTotal,
		UniqueVRPs:    len(r.VRPs),
		VAPs:          r.ASPATotal,
		UniqueVAPs:    r.UniqueVAPs(),
		VAPProviders:  r.VAPProviders(),
		VAPOverflowed: r.ASPAOverflowed,
	}
}

// setObjects adds the 23 object samples of §7, each with the type and state
// labels first and extra labels (name, carepo, notify) after them.
func setObjects(f family, st validate.Stats, p validate.Payloads, nonFunctional int, extra ...string) {
	add := func(v int, typ, state string) {
		f.set(float64(v), append([]string{"type", typ, "state", state}, extra...)...)
	}
	cert, mft := st[validate.KindCert], st[validate.KindManifest]
	roa, aspa := st[validate.KindROA], st[validate.KindASPA]
	add(cert.Valid, "cert", "valid")
	add(cert.Rejected(), "cert", "failed parse")
	add(nonFunctional, "cert", "non-functional")
	add(mft.Valid, "manifest", "valid")
	add(mft.Rejected(), "manifest", "failed parse")
	add(mft.SeqGap, "manifest", "sequence gap")
	add(roa.Valid, "roa", "valid")
	add(roa.FailedParse, "roa", "failed parse")
	add(roa.Invalid, "roa", "invalid")
	add(aspa.Valid, "aspa", "valid")
	add(aspa.FailedParse, "aspa", "failed parse")
	add(aspa.Invalid, "aspa", "invalid")
	add(st[validate.KindRouterCert].Valid, "router_key", "valid")
	add(st[validate.KindCRL].Valid, "crl", "valid")
	add(st[validate.KindTAK].Valid, "tak", "valid")
	add(p.VRPs, "vrp", "total")
	add(p.UniqueVRPs, "vrp", "unique")
	add(p.VAPs, "vap", "total")
	add(p.UniqueVAPs, "vap", "unique")
	add(p.VAPProviders, "vap providers", "total")
	add(p.VAPOverflowed, "vap overflowed", "") // no state label
	add(0, "vsp", "total")                     // Signed Prefix Lists: not in tally
	add(0, "vsp", "unique")
}

// repositoryCounts counts repositories by the transport used last and
// whether they synced; "https" is rpki-client's "http", and repositories
// taken from the cache without a fetch are not counted.
func repositoryCounts(repos []validate.RepoStats) family {
	types := []struct{ label, protocol string }{{"rsync", "rsync"}, {"http", "https"}, {"rrdp", "rrdp"}}
	f := gauge("tally_repository", "total number of repositories")
	for _, t := range types {
		synced, failed := 0, 0
		for i := range repos {
			switch {
			case repos[i].Protocol != t.protocol:
			case repos[i].Synced():
				synced++
			default:
				failed++
			}
		}
		f.set(float64(synced), "type", t.label, "state", "synced")
		f.set(float64(failed), "type", t.label, "state", "failed")
	}
	return f
}

// repositoryFamilies builds the per-repository families, in order:
// objects, duration, state, protocols.
func repositoryFamilies(repos []validate.RepoStats) []family {
	objects := gauge("tally_repository_objects", "total number of objects per repository")
	duration := gauge("tally_repository_duration", "duration used to sync this repository in seconds")
	state := gauge("tally_repository_state", "repository state")
	protos := gauge("tally_repository_protos", "used protocol to sync repository")
	for i := range repos {
		rp := &repos[i]
		for j := range rp.TAs {
			ta := &rp.TAs[j]
			setObjects(objects, ta.Stats, ta.Payloads, ta.Stats[validate.KindCert].NonFunctional,
				"name", ta.TA, "carepo", rp.CARepository, "notify", rp.Notify)
		}
	}
	for i := range repos {
		rp := &repos[i]
		where := []string{"carepo", rp.CARepository, "notify", rp.Notify}
		files := func(v int, typ, st string) {
			objects.set(float64(v), append([]string{"type", typ, "state", st}, where...)...)
		}
		files(rp.NewFiles, "files", "new")
		files(rp.DeletedFiles, "files", "deleted")
		files(rp.ExtraFiles, "files", "extra")
		files(rp.DeletedExtraFiles, "files", "deleted_extra")
		files(rp.DeletedDirs, "dirs", "deleted")

		duration.set(rp.Duration.Seconds(), where...)
		current := "failed" // timeouts included
		if rp.Synced() {
			current = "synced"
		}
		stateset(state, "tally_repository_state", []string{"failed", "synced"}, current, where)
		if rp.Synced() {
			stateset(protos, "tally_repository_protos", []string{"rrdp", "rsync", "https"},
				rp.Protocol, where)
		}
	}
	return []family{objects, duration, state, protos}
}

// stateset adds one sample per state, 1 for the current one and 0 for the
// others, labelled with the family's own name as rpki-client does.
func stateset(f family, label string, states []string, current string, where []string) {
	for _, s := range states {
		v := 0.0
		if s == current {
			v = 1
		}
		f.set(v, append([]string{label, s}, where...)...)
	}
}
