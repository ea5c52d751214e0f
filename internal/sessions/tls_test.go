package sessions

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParsePgBouncerTLS(t *testing.T) {
	tests := []struct {
		in      string
		want    TLSInfo
		wantErr string
	}{
		{in: "", want: TLSInfo{}},
		{in: "TLSv1.3/TLS_AES_256_GCM_SHA384", want: TLSInfo{Version: "TLSv1.3", Cipher: "TLS_AES_256_GCM_SHA384"}},
		{in: "TLSv1.3/TLS_AES_256_GCM_SHA384/ECDH=prime256v1",
			want: TLSInfo{Version: "TLSv1.3", Cipher: "TLS_AES_256_GCM_SHA384", Extra: []string{"ECDH=prime256v1"}}},
		{in: "TLSv1.2/ECDHE-RSA-AES256-GCM-SHA384/DH=2048/OCSP=good",
			want: TLSInfo{Version: "TLSv1.2", Cipher: "ECDHE-RSA-AES256-GCM-SHA384", Extra: []string{"DH=2048", "OCSP=good"}}},
		{in: "TLSv1/AES256-SHA", want: TLSInfo{Version: "TLSv1", Cipher: "AES256-SHA"}},
		{in: "SSLv3/RC4-MD5/DH=?", want: TLSInfo{Version: "SSLv3", Cipher: "RC4-MD5", Extra: []string{"DH=?"}}},
		{in: "TLSv1.3", wantErr: `tls column "TLSv1.3": want version/cipher`},
		{in: "TLSv1.3/", wantErr: `tls column "TLSv1.3/": part 2 is empty`},
		{in: "/TLS_AES_256_GCM_SHA384", wantErr: `tls column "/TLS_AES_256_GCM_SHA384": part 1 is empty`},
		{in: "TLSv1.3/TLS_AES_256_GCM_SHA384/", wantErr: `tls column "TLSv1.3/TLS_AES_256_GCM_SHA384/": part 3 is empty`},
		{in: "-/-", wantErr: `tls column "-/-": version "-" is not SSLv* or TLSv*`},
		{in: "n/a", wantErr: `tls column "n/a": version "n" is not SSLv* or TLSv*`},
		{in: "TLSv/x", wantErr: `tls column "TLSv/x": version "TLSv" is not SSLv* or TLSv*`},
		{in: "TLSv1.3 /x", wantErr: `tls column "TLSv1.3 /x": part 1 holds ' '`},
		{in: "TLSv1.3/TLS\x00AES", wantErr: `tls column "TLSv1.3/TLS\x00AES": part 2 holds '\x00'`},
		{in: "TLSv1.3/é", wantErr: `tls column "TLSv1.3/é": part 2 holds 'é'`},
		{in: strings.Repeat("x", 300), wantErr: "tls column of 300 bytes is too long"},
	}
	for _, tc := range tests {
		got, err := ParsePgBouncerTLS(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("ParsePgBouncerTLS(%q) error = %v, want %s", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePgBouncerTLS(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in || got.Encrypted() != (tc.in != "") {
			t.Errorf("%q: String() = %q, Encrypted() = %v", tc.in, got.String(), got.Encrypted())
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		addr, tls string
		want      PgBouncerGroup
		ok        bool
	}{
		{"127.0.0.1", "TLSv1.3/TLS_AES_256_GCM_SHA384", PgBouncerGroup{Side: SideClient, Transport: TransportTLS, Version: "TLSv1.3", Cipher: "TLS_AES_256_GCM_SHA384"}, true},
		{"10.0.0.5", "", PgBouncerGroup{Side: SideClient, Transport: TransportPlaintext}, true},
		{"unix", "", PgBouncerGroup{Side: SideClient, Transport: TransportSocket}, true},
		{"/var/run/postgresql", "", PgBouncerGroup{Side: SideClient, Transport: TransportSocket}, true},
		{"::1", "garbage", PgBouncerGroup{Side: SideClient, Transport: TransportTLS, Version: UnknownTLS, Cipher: UnknownTLS}, false},
	}
	for _, tc := range tests {
		got, ok := classify(SideClient, tc.addr, tc.tls)
		if got != tc.want || ok != tc.ok {
			t.Errorf("classify(%q, %q) = %+v, %v; want %+v, %v", tc.addr, tc.tls, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzParsePgBouncerTLS: any text parses or fails without panicking; a
// parsed value prints back to the same text and holds only printable ASCII
// label values.
func FuzzParsePgBouncerTLS(f *testing.F) {
	for _, seed := range []string{"", "TLSv1.3/TLS_AES_256_GCM_SHA384", "TLSv1.3/TLS_AES_256_GCM_SHA384/ECDH=prime256v1",
		"TLSv1.2/ECDHE-RSA-AES256-GCM-SHA384/DH=2048/OCSP=good", "-/-", "TLSv1.3/", "//", "TLSv1.3/\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		info, err := ParsePgBouncerTLS(s)
		if err != nil {
			if info.Encrypted() {
				t.Fatalf("error with a result: %+v", info)
			}
			return
		}
		if info.String() != s {
			t.Fatalf("String() = %q, want %q", info.String(), s)
		}
		if s != "" && (info.Version == "" || info.Cipher == "" || !utf8.ValidString(info.Version+info.Cipher)) {
			t.Fatalf("incomplete result %+v for %q", info, s)
		}
	})
}
