package presso

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"time"
)

// idEncoding is base32 in the order of its characters' bytes, so ids sort
// as the bytes they encode do.
var idEncoding = base32.NewEncoding("234567abcdefghijklmnopqrstuvwxyz").WithPadding(base32.NoPadding)

// NewID returns prefix + "_" + 26 base32 characters: the time in
// milliseconds (48 bits), then 80 random bits. The random part keeps ids
// unguessable as well as unique (knowing an order id must not be enough to
// find another); the time in front makes the ids of one moment sort
// together, so a table or index keyed by them takes each new row at its
// end instead of anywhere. Random keys touched a page of their own for
// every order, event and customer, and each commit wrote every one of
// those pages again.
func NewID(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	rand.Read(b[6:])
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
