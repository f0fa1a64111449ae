// Package rrdp parses the three XML documents of the RPKI Repository Delta
// Protocol (RFC 8182): the update notification file, snapshots and deltas.
//
// It reads from an io.Reader and reports to a Handler; it does no HTTP, opens
// no files, keeps no state between calls and reads no clock. The fetcher owns
// the transport, the byte caps on it and the repository state.
//
// # Streaming
//
// Snapshots run to hundreds of megabytes, so nothing is held whole in memory.
// The package has its own tokenizer for the small XML subset RRDP uses
// (encoding/xml is several times slower and allocates per token). Each
// publish element's base64 content is decoded while it is read and handed to
// Handler.Publish as an io.Reader; at most one read buffer (64 KiB) and one
// start tag are held at a time.
//
// # Accepted XML
//
// Well-formed XML 1.0 in UTF-8 or US-ASCII, with an optional byte order mark
// and XML declaration; comments and processing instructions between
// elements; the five predefined entities and character references in
// attribute values and in base64 text. Rejected with ErrProtocol:
//   - a DOCTYPE (it enables external entities and entity expansion, the XXE
//     and billion-laughs attacks) and any other markup declaration, CDATA
//     sections, and references to any other entity;
//   - names with a namespace prefix: the RRDP namespace must be the default
//     namespace, declared on the root element; a child may repeat the
//     declaration with the same value;
//   - elements and attributes the RFC 8182 §3.5.4 schema does not define
//     (rpki-client rejects them too, and nothing legitimate needs them);
//   - text other than whitespace anywhere except inside publish elements;
//   - anything but whitespace, comments and processing instructions after
//     the root element.
//
// # Errors
//
// A non-nil error from ParseSnapshot or ParseDelta means the whole document
// must be discarded, even though the Handler may already have seen some of
// its elements: the caller stages what the Handler receives and commits it
// only when the parse returns nil. Errors fall into three kinds, told apart
// with errors.Is:
//   - ErrProtocol: the document broke RFC 8182, XML or one of this package's
//     limits (ErrTruncated, a special case, when the input ended early);
//   - ErrHandler: the Handler failed (a local fault such as a full disk);
//   - anything else came from the io.Reader (a transport fault).
//
// # Hashes
//
// The SHA-256 of a snapshot or delta file, listed in the notification, is
// over the raw bytes. Wrap the response body in NewHashingReader: the parser
// reads its input to the end, so a mismatch comes back from ParseSnapshot or
// ParseDelta as an ErrProtocol error, and a document can never be accepted
// without its hash being checked.
package rrdp
