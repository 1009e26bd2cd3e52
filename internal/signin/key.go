package signin

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/pem"

	"github.com/go-jose/go-jose/v4"

	"github.com/ferrymigrate/ferry"
)

var sqlNoRows = sql.ErrNoRows

// newSigner reads a PEM private key for private_key_jwt.
func newSigner(pemBytes []byte, keyID string) (jose.Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, ferry.Errorf(ferry.EINVALID, "the OIDC private key is not PEM")
	}
	var key crypto.Signer
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		key, _ = k.(crypto.Signer)
	} else if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		key = k
	} else if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		key = k
	}
	var alg jose.SignatureAlgorithm
	switch key.(type) {
	case *rsa.PrivateKey:
		alg = jose.RS256
	case *ecdsa.PrivateKey:
		alg = jose.ES256
	default:
		return nil, ferry.Errorf(ferry.EINVALID, "the OIDC private key must be RSA or EC (P-256)")
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if keyID != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), keyID)
	}
	return jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
}
