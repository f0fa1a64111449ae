package objecttest

// FlipByte returns a copy of b with byte i inverted (XOR 0xff); a negative
// i counts from the end, so FlipByte(der, -1) breaks the last byte of a
// certificate's or CRL's signature.
func FlipByte(b []byte, i int) []byte {
	out := append([]byte(nil), b...)
	if i < 0 {
		i += len(out)
	}
	out[i] ^= 0xff
	return out
}

// Append returns a copy of b followed by extra, for trailing-data tests.
func Append(b []byte, extra ...byte) []byte {
	out := make([]byte, 0, len(b)+len(extra))
	return append(append(out, b...), extra...)
}
