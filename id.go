package presso

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns prefix + "_" + 26 random base32 characters (128 bits), so
// ids are unguessable as well as unique: knowing an order id must not be
// enough to find another.
func NewID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// RandomString returns n characters drawn uniformly from alphabet using
// crypto/rand; it is used for QR codes, sign-in codes and passwords.
func RandomString(n int, alphabet string) string {
	var sb strings.Builder
	max := 256 - 256%len(alphabet) // reject bytes that would bias the draw
	buf := make([]byte, 1)
	for sb.Len() < n {
		rand.Read(buf)
		if int(buf[0]) < max {
			sb.WriteByte(alphabet[int(buf[0])%len(alphabet)])
		}
	}
	return sb.String()
}
