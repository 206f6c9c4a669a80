// go-jwt-auth: the counterpart of our AssemblyScript `jwt-auth` filter for the bench's second workload,
// written with proxy-wasm-go-sdk and Go's standard library. Per request it does what jwt-auth does for a valid
// token: take the bearer token, check the header's alg is HS256, verify the HMAC-SHA256 signature in constant
// time, parse the claims, check exp/nbf (with skew), iss and aud, remove client-sent claim headers and forward
// the configured claims as request headers. Failures get a 401/403 local reply.
//
// Configuration (JSON, read at plugin start), the subset of jwt-auth's that the bench uses:
//
//	{"secret": "...", "issuer": "...", "audiences": ["..."], "clockSkewSeconds": 60,
//	 "forwardClaims": [{"claim": "sub", "header": "x-user-id"}]}
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

func main() {}

func init() {
	proxywasm.SetPluginContext(func(contextID uint32) types.PluginContext { return &jwtPlugin{} })
}

// forwardedClaim copies claim Claim of a valid token into request header Header.
type forwardedClaim struct {
	Claim  string `json:"claim"`
	Header string `json:"header"`
}

// jwtConfig is the plugin configuration.
type jwtConfig struct {
	Secret           string           `json:"secret"`
	Issuer           string           `json:"issuer"`
	Audiences        []string         `json:"audiences"`
	ClockSkewSeconds float64          `json:"clockSkewSeconds"`
	ForwardClaims    []forwardedClaim `json:"forwardClaims"`
}

// jwtPlugin holds the parsed configuration shared by every stream.
type jwtPlugin struct {
	types.DefaultPluginContext
	config jwtConfig
	secret []byte
}

// OnPluginStart parses the configuration; a missing or short secret rejects it.
func (p *jwtPlugin) OnPluginStart(size int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil {
		proxywasm.LogCriticalf("go-jwt-auth: cannot read the plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	config := jwtConfig{ClockSkewSeconds: 60}
	if err := json.Unmarshal(data, &config); err != nil || len(config.Secret) < 32 {
		proxywasm.LogCriticalf("go-jwt-auth: invalid plugin configuration (need a secret of 32+ characters): %v", err)
		return types.OnPluginStartStatusFailed
	}
	p.config = config
	p.secret = []byte(config.Secret)
	return types.OnPluginStartStatusOK
}

// NewHttpContext creates the per-stream verifier.
func (p *jwtPlugin) NewHttpContext(contextID uint32) types.HttpContext {
	return &jwtRequest{plugin: p}
}

// jwtRequest verifies the token of one request.
type jwtRequest struct {
	types.DefaultHttpContext
	plugin *jwtPlugin
}

// OnHttpRequestHeaders verifies the bearer token and forwards claims, or replies 401/403.
func (r *jwtRequest) OnHttpRequestHeaders(numHeaders int, endOfStream bool) types.Action {
	authorization, err := proxywasm.GetHttpRequestHeader("authorization")
	token, found := strings.CutPrefix(authorization, "Bearer ")
	if err != nil || !found || token == "" {
		return deny(401, "missing bearer token")
	}
	claims, status, reason := r.plugin.verify(token, float64(time.Now().Unix()))
	if status != 0 {
		return deny(status, reason)
	}
	for _, forward := range r.plugin.config.ForwardClaims {
		_ = proxywasm.RemoveHttpRequestHeader(forward.Header)
		if text, ok := claimText(claims[forward.Claim]); ok {
			if err := proxywasm.AddHttpRequestHeader(forward.Header, text); err != nil {
				proxywasm.LogErrorf("go-jwt-auth: cannot add %s: %v", forward.Header, err)
			}
		}
	}
	return types.ActionContinue
}

// verify checks token at nowSeconds; on success it returns the claims and status 0, else the reply status
// and reason.
func (p *jwtPlugin) verify(token string, nowSeconds float64) (map[string]any, uint32, string) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, 401, "malformed token"
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if decodeJSON(parts[0], &header) != nil || header.Alg != "HS256" {
		return nil, 401, "malformed token"
	}
	signature, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(signature) != sha256.Size {
		return nil, 401, "malformed token"
	}
	mac := hmac.New(sha256.New, p.secret)
	mac.Write([]byte(token[:len(parts[0])+1+len(parts[1])]))
	if !hmac.Equal(signature, mac.Sum(nil)) {
		return nil, 401, "invalid signature"
	}
	var claims map[string]any
	if decodeJSON(parts[1], &claims) != nil {
		return nil, 401, "malformed token"
	}
	skew := p.config.ClockSkewSeconds
	expiry, hasExpiry := claims["exp"].(float64)
	if !hasExpiry || nowSeconds >= expiry+skew {
		return nil, 401, "token expired"
	}
	if notBefore, ok := claims["nbf"].(float64); ok && nowSeconds+skew < notBefore {
		return nil, 401, "token not yet valid"
	}
	if p.config.Issuer != "" && claims["iss"] != p.config.Issuer {
		return nil, 403, "token issuer not accepted"
	}
	if len(p.config.Audiences) > 0 && !audienceMatches(claims["aud"], p.config.Audiences) {
		return nil, 403, "token audience not accepted"
	}
	return claims, 0, ""
}

// decodeJSON base64url-decodes segment and unmarshals it into target.
func decodeJSON(segment string, target any) error {
	data, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, target)
}

// audienceMatches reports whether claim "aud" (a string or an array of strings) names one of audiences.
func audienceMatches(aud any, audiences []string) bool {
	switch value := aud.(type) {
	case string:
		return slices.Contains(audiences, value)
	case []any:
		for _, item := range value {
			if text, ok := item.(string); ok && slices.Contains(audiences, text) {
				return true
			}
		}
	}
	return false
}

// claimText renders a claim as header text: strings as they are, numbers and booleans as JSON.
func claimText(value any) (string, bool) {
	switch v := value.(type) {
	case string:
		return v, true
	case bool:
		return fmt.Sprint(v), true
	case float64:
		return fmt.Sprint(v), true
	}
	return "", false
}

// deny sends a local reply with status and a JSON error body, and stops the request.
func deny(status uint32, reason string) types.Action {
	headers := [][2]string{{"content-type", "application/json"}}
	if status == 401 {
		headers = append(headers, [2]string{"www-authenticate", `Bearer realm="api", error="invalid_token"`})
	}
	body := fmt.Sprintf(`{"error":"unauthorized","message":%q}`, reason)
	if err := proxywasm.SendHttpResponse(status, headers, []byte(body), -1); err != nil {
		proxywasm.LogErrorf("go-jwt-auth: cannot send the local reply: %v", err)
	}
	return types.ActionPause
}
