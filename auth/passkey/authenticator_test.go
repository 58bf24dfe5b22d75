package passkey_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// This file is a software authenticator and browser, written from the
// WebAuthn specification (Level 3, §6.1 authenticator data, §6.5 "none"
// attestation, §5.8.1 client data, COSE ES256 keys in RFC 9053), so that
// the tests depend on go-webauthn only through the package under test.

// Authenticator data flags (WebAuthn §6.1).
const (
	flagUP = 0x01 // user present
	flagUV = 0x04 // user verified
	flagBE = 0x08 // backup eligible
	flagBS = 0x10 // backed up
	flagAT = 0x40 // attested credential data included
)

// authenticator makes and uses credentials the way a browser and a
// platform authenticator do, with knobs to misbehave.
type authenticator struct {
	// origin is what the "browser" puts in clientDataJSON.
	origin string
	// noUV leaves the UV flag clear: the authenticator checked no PIN or
	// biometric.
	noUV bool
	// backup makes new credentials backup eligible and backed up (a synced
	// passkey).
	backup bool
	// noCounter makes new credentials keep no signature counter (always
	// 0), as synced passkeys do.
	noCounter bool
}

// softKey is a credential the authenticator holds.
type softKey struct {
	id         []byte
	rpID       string
	userHandle []byte
	key        *ecdsa.PrivateKey
	counter    uint32
	noCounter  bool
	be, bs     bool
}

// clone is what copying the key out of the authenticator gives: the same
// key, with the counter where it stood.
func (k *softKey) clone() *softKey {
	c := *k
	return &c
}

// b64 is base64url without padding, WebAuthn's JSON encoding of bytes.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func unb64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		t.Fatalf("base64url %q: %v", s, err)
	}
	return b
}

// creationOptions is what the tests read of the options of a create().
type creationOptions struct {
	PublicKey struct {
		RP struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"rp"`
		User struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			DisplayName string `json:"displayName"`
		} `json:"user"`
		Challenge        string `json:"challenge"`
		PubKeyCredParams []struct {
			Type string `json:"type"`
			Alg  int    `json:"alg"`
		} `json:"pubKeyCredParams"`
		ExcludeCredentials []struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"excludeCredentials"`
		AuthenticatorSelection struct {
			RequireResidentKey *bool  `json:"requireResidentKey"`
			ResidentKey        string `json:"residentKey"`
			UserVerification   string `json:"userVerification"`
		} `json:"authenticatorSelection"`
		Attestation string `json:"attestation"`
		Timeout     int    `json:"timeout"`
	} `json:"publicKey"`
}

// requestOptions is what the tests read of the options of a get().
type requestOptions struct {
	PublicKey struct {
		Challenge        string `json:"challenge"`
		RPID             string `json:"rpId"`
		AllowCredentials []struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"allowCredentials"`
		UserVerification string `json:"userVerification"`
		Timeout          int    `json:"timeout"`
	} `json:"publicKey"`
}

func parseCreation(t testing.TB, options []byte) creationOptions {
	t.Helper()
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatalf("creation options: %v", err)
	}
	return o
}

func parseRequest(t testing.TB, options []byte) requestOptions {
	t.Helper()
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatalf("request options: %v", err)
	}
	return o
}

// clientData is the clientDataJSON of a ceremony of typ ("webauthn.create"
// or "webauthn.get").
func (a *authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":        typ,
		"challenge":   challenge,
		"origin":      a.origin,
		"crossOrigin": false,
	})
	return b
}

// flags are the authenticator data flags of a ceremony with k.
func (a *authenticator) flags(k *softKey) byte {
	f := byte(flagUP)
	if !a.noUV {
		f |= flagUV
	}
	if k.be {
		f |= flagBE
	}
	if k.bs {
		f |= flagBS
	}
	return f
}

// authData is authenticator data: rpIdHash, flags, counter, and the
// attested credential data when attested is set.
func authData(rpID string, flags byte, counter uint32, attested []byte) []byte {
	rpIDHash := sha256.Sum256([]byte(rpID))
	var b bytes.Buffer
	b.Write(rpIDHash[:])
	if attested != nil {
		flags |= flagAT
	}
	b.WriteByte(flags)
	_ = binary.Write(&b, binary.BigEndian, counter)
	b.Write(attested)
	return b.Bytes()
}

// coseKey is the COSE_Key of an ES256 public key (RFC 9053 §7.1.1).
func coseKey(t testing.TB, pub *ecdsa.PublicKey) []byte {
	t.Helper()
	point, err := pub.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	b, err := cbor.Marshal(map[int]any{
		1:  2,  // kty: EC2
		3:  -7, // alg: ES256
		-1: 1,  // crv: P-256
		-2: point[1:33],
		-3: point[33:65],
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// create answers a create() with options: a new credential, "none"
// attestation, and the JSON of the PublicKeyCredential (its toJSON()).
func (a *authenticator) create(t testing.TB, options []byte) ([]byte, *softKey) {
	t.Helper()
	o := parseCreation(t, options).PublicKey
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := &softKey{
		id:         make([]byte, 32),
		rpID:       o.RP.ID,
		userHandle: unb64(t, o.User.ID),
		key:        key,
		noCounter:  a.noCounter,
		be:         a.backup,
		bs:         a.backup,
	}
	_, _ = rand.Read(k.id)
	if !k.noCounter {
		k.counter = 1
	}
	var attested bytes.Buffer
	attested.Write(make([]byte, 16)) // AAGUID: none given
	_ = binary.Write(&attested, binary.BigEndian, uint16(len(k.id)))
	attested.Write(k.id)
	attested.Write(coseKey(t, &key.PublicKey))
	data := authData(k.rpID, a.flags(k), k.counter, attested.Bytes())
	object, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": data})
	if err != nil {
		t.Fatal(err)
	}
	response, _ := json.Marshal(map[string]any{
		"id":    b64(k.id),
		"rawId": b64(k.id),
		"type":  "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64(a.clientData("webauthn.create", o.Challenge)),
			"attestationObject": b64(object),
			"transports":        []string{"internal", "hybrid"},
		},
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "platform",
	})
	return response, k
}

// get answers a get() with options by signing with k, whether or not
// options allow it (an attacker's browser does as it likes), and advances
// k's counter.
func (a *authenticator) get(t testing.TB, options []byte, k *softKey) []byte {
	t.Helper()
	o := parseRequest(t, options).PublicKey
	if !k.noCounter {
		k.counter++
	}
	return a.assert(t, o.Challenge, k, k.counter, k.userHandle)
}

// assert is an assertion over challenge by k with this counter and user
// handle (nil leaves it out, as for a credential that is not
// discoverable).
func (a *authenticator) assert(t testing.TB, challenge string, k *softKey, counter uint32, userHandle []byte) []byte {
	t.Helper()
	clientData := a.clientData("webauthn.get", challenge)
	data := authData(k.rpID, a.flags(k), counter, nil)
	clientDataHash := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(bytes.Clone(data), clientDataHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	response := map[string]any{
		"clientDataJSON":    b64(clientData),
		"authenticatorData": b64(data),
		"signature":         b64(sig),
	}
	if userHandle != nil {
		response["userHandle"] = b64(userHandle)
	}
	b, _ := json.Marshal(map[string]any{
		"id":                      b64(k.id),
		"rawId":                   b64(k.id),
		"type":                    "public-key",
		"response":                response,
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "platform",
	})
	return b
}
