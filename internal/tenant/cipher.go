package tenant

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
)

// fakeCipher stands in for the platform's encryption of personal data
// (sunbird-export-format §1 user): three rounds of salt+value, each
// encrypted and base64-encoded the way sun.misc.BASE64Encoder does it,
// with a line feed after every 57 input bytes (76 characters). The
// encryption is made up: the padded input XORed with an HMAC-SHA-256
// keystream of the dataset's key. Like the real one it is deterministic,
// so equal plaintexts give equal ciphertexts in every tenant, and its
// outputs share the prefix the salt gives them; it is not meant to
// protect anything.
type fakeCipher struct {
	key    []byte
	salt   []byte
	stream []byte // read-only once built: the generator's goroutines share it
}

// cipherBlock is the block the input is padded to, as AES/PKCS5 pads.
const cipherBlock = 16

// cipherRounds is how many times the platform encrypts a value.
const cipherRounds = 3

// keystreamBytes covers the third round of any value the generator
// encrypts (an e-mail address of up to about 150 bytes); a longer input
// gets a longer stream of its own.
const keystreamBytes = 1024

func newFakeCipher(seed int64) *fakeCipher {
	var key [8]byte
	binary.BigEndian.PutUint64(key[:], mix(uint64(seed)^mix(tagCipher)))
	c := &fakeCipher{key: key[:]}
	// The salt is printable, as the platform's is (a configured string).
	s := mix(uint64(seed) ^ mix(tagCipher+1))
	for range 12 {
		c.salt = append(c.salt, saltChars[s%uint64(len(saltChars))])
		s = mix(s)
	}
	c.stream = c.keystream(keystreamBytes)
	return c
}

const saltChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// keystream returns the first n bytes of the keystream.
func (c *fakeCipher) keystream(n int) []byte {
	out := make([]byte, 0, n+sha256.Size)
	var ctr [8]byte
	for block := 0; len(out) < n; block++ {
		m := hmac.New(sha256.New, c.key)
		binary.BigEndian.PutUint64(ctr[:], uint64(block))
		m.Write(ctr[:])
		out = m.Sum(out)
	}
	return out[:n]
}

// encrypt returns the ciphertext of plain. buf is scratch space the
// caller may reuse between calls.
func (c *fakeCipher) encrypt(plain string, buf *cipherBuf) string {
	cur := append(buf.text[:0], plain...)
	for range cipherRounds {
		in := append(buf.in[:0], c.salt...)
		in = append(in, cur...)
		pad := cipherBlock - len(in)%cipherBlock
		for range pad {
			in = append(in, byte(pad))
		}
		ks := c.stream
		if len(in) > len(ks) {
			ks = c.keystream(len(in))
		}
		for i := range in {
			in[i] ^= ks[i]
		}
		buf.in = in
		cur = appendMIME76(cur[:0], in)
	}
	buf.text = cur
	return string(cur)
}

// cipherBuf is the scratch space of encrypt.
type cipherBuf struct{ in, text []byte }

// appendMIME76 appends the base64 of src as sun.misc.BASE64Encoder writes
// it: lines of 57 input bytes (76 characters), each full line followed by
// a line feed, the last one included when it is full.
func appendMIME76(dst, src []byte) []byte {
	const line = 57
	for len(src) > 0 {
		n := min(line, len(src))
		dst = base64.StdEncoding.AppendEncode(dst, src[:n])
		if n == line {
			dst = append(dst, '\n')
		}
		src = src[n:]
	}
	return dst
}

// maskEmail masks an address as the platform does: the first two
// characters of the local part, a star for each other one, and the whole
// domain.
func maskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	keep := min(2, len(local))
	return local[:keep] + strings.Repeat("*", len(local)-keep) + "@" + domain
}

// maskPhone masks a phone number: stars, then its last four digits.
func maskPhone(phone string) string {
	if len(phone) <= 4 {
		return phone
	}
	return strings.Repeat("*", len(phone)-4) + phone[len(phone)-4:]
}
