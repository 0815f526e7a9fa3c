package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// The limits of Logdeck's collector (pipeline/collector/event_validation.h).
const (
	maxBodyBytes   = 1 << 20
	maxIDLength    = 128
	maxCampaignID  = 128
	maxTypeLength  = 64
	maxAttributes  = 64
	maxAttrDepth   = 32 // the attributes object itself is level 1
	latestMillis   = 253402300799999
	timeFormatMsUT = "2006-01-02T15:04:05.000Z"
)

// producer hands a record to Kafka and returns once the broker has acknowledged it.
type producer interface {
	Produce(ctx context.Context, r *kgo.Record) error
}

type handler struct {
	tenants map[string]string // API key -> tenant; read-only once serving
	kafka   producer
	bodies  sync.Pool // *bytes.Buffer for request bodies
}

func newHandler(tenants map[string]string, kafka producer) http.Handler {
	h := &handler{tenants: tenants, kafka: kafka}
	h.bodies.New = func() any { return new(bytes.Buffer) }
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/events", h.ingest)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

// event is the request body; pointers tell a missing field from an empty one.
type event struct {
	ID         *string         `json:"id"`
	CampaignID *string         `json:"campaignId"`
	Type       *string         `json:"type"`
	OccurredAt *string         `json:"occurredAt"`
	Attributes json.RawMessage `json:"attributes"`
}

// record is the Kafka record value, the same fields as Logdeck's.
type record struct {
	ID         string          `json:"id"`
	Tenant     string          `json:"tenant"`
	CampaignID string          `json:"campaignId"`
	Type       string          `json:"type"`
	OccurredAt string          `json:"occurredAt"`
	ReceivedAt string          `json:"receivedAt"`
	Attributes json.RawMessage `json:"attributes"`
}

type rejection struct {
	status int
	msg    string
	field  string
}

func (h *handler) ingest(w http.ResponseWriter, r *http.Request) {
	tenant, ok := h.tenant(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeError(w, rejection{http.StatusUnauthorized,
			"missing or unknown API key: send Authorization: Bearer <key>", "Authorization"})
		return
	}
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/json" {
		writeError(w, rejection{http.StatusUnsupportedMediaType,
			"Content-Type must be application/json", "Content-Type"})
		return
	}
	buf := h.bodies.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			h.bodies.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBodyBytes)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, rejection{http.StatusRequestEntityTooLarge,
				"the body is larger than the limit of 1 MiB", ""})
		} else {
			writeError(w, rejection{http.StatusBadRequest, "the body could not be read", ""})
		}
		return
	}
	received := time.Now()
	rec, rej := validate(buf.Bytes(), tenant, received)
	if rej != nil {
		writeError(w, *rej)
		return
	}
	value, err := json.Marshal(rec)
	if err != nil {
		writeError(w, rejection{http.StatusInternalServerError, err.Error(), ""})
		return
	}
	kr := &kgo.Record{
		Key:       []byte(tenant),
		Value:     value,
		Timestamp: received,
		Headers: []kgo.RecordHeader{
			{Key: "event-id", Value: []byte(rec.ID)},
			{Key: "tenant-id", Value: []byte(tenant)},
			{Key: "content-type", Value: []byte("application/json")},
			{Key: "received-at", Value: []byte(rec.ReceivedAt)},
		},
	}
	if err := h.kafka.Produce(r.Context(), kr); err != nil {
		w.Header().Set("Retry-After", "5")
		writeError(w, rejection{http.StatusServiceUnavailable, "Kafka did not take the event: " + err.Error(), ""})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"id":%q,"status":"accepted"}`, rec.ID) // ids are [A-Za-z0-9._:-]
}

// tenant is the tenant of the request's key: Authorization: Bearer or X-Api-Key (both
// only when they carry the same key).
func (h *handler) tenant(r *http.Request) (string, bool) {
	key, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found {
		key = ""
	}
	if apiKey := r.Header.Get("X-Api-Key"); apiKey != "" {
		if key != "" && key != apiKey {
			return "", false
		}
		key = apiKey
	}
	if key == "" {
		return "", false
	}
	t, ok := h.tenants[key]
	return t, ok
}

// validate checks one event as Logdeck's collector does and builds its record value.
func validate(body []byte, tenant string, received time.Time) (*record, *rejection) {
	// The decoder reads (and checks) the whole JSON value before it fills the struct, so a
	// syntax error anywhere is a 400 and a wrong field a 422, as with Logdeck.
	var ev event
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(&ev)
	if err == nil && len(bytes.TrimSpace(body[dec.InputOffset():])) != 0 {
		return nil, &rejection{http.StatusBadRequest, "the body is not valid JSON", ""}
	}
	if err == nil && bytes.TrimSpace(body)[0] != '{' {
		return nil, &rejection{422, "an event must be a JSON object", ""}
	}
	if err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field == "":
			return nil, &rejection{422, "an event must be a JSON object", ""}
		case errors.As(err, &typeErr):
			return nil, &rejection{422, typeErr.Field + " has the wrong type", typeErr.Field}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			if field == "tenant" || field == "tenantId" {
				return nil, &rejection{422, "the tenant comes from the API key, not the body", field}
			}
			return nil, &rejection{422, "unknown field '" + field + "'", field}
		default:
			return nil, &rejection{http.StatusBadRequest, "the body is not valid JSON", ""}
		}
	}
	rec := &record{Tenant: tenant, ReceivedAt: received.UTC().Format(timeFormatMsUT)}
	if ev.ID != nil {
		if !validID(*ev.ID) {
			return nil, &rejection{422, "id must be 1 to 128 characters of letters, digits, '-', '_', '.' or ':'", "id"}
		}
		rec.ID = *ev.ID
	} else {
		rec.ID = uuid7(received.UnixMilli())
	}
	switch {
	case ev.CampaignID == nil:
		return nil, &rejection{422, "campaignId is required", "campaignId"}
	case len(*ev.CampaignID) == 0 || len(*ev.CampaignID) > maxCampaignID:
		return nil, &rejection{422, "campaignId must be a string of 1 to 128 characters", "campaignId"}
	case hasControl(*ev.CampaignID):
		return nil, &rejection{422, "campaignId must not contain control characters", "campaignId"}
	}
	rec.CampaignID = *ev.CampaignID
	if ev.Type == nil {
		return nil, &rejection{422, "type is required", "type"}
	}
	if !validType(*ev.Type) {
		return nil, &rejection{422, "type must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-'", "type"}
	}
	rec.Type = *ev.Type
	if ev.OccurredAt == nil {
		return nil, &rejection{422, "occurredAt is required", "occurredAt"}
	}
	occurred, perr := time.Parse(time.RFC3339Nano, *ev.OccurredAt)
	if perr != nil {
		return nil, &rejection{422, "occurredAt must be an RFC 3339 date-time, e.g. 2026-11-26T15:04:05Z", "occurredAt"}
	}
	if ms := occurred.UnixMilli(); ms < 0 || ms > latestMillis {
		return nil, &rejection{422, "occurredAt must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z", "occurredAt"}
	}
	rec.OccurredAt = occurred.UTC().Format(timeFormatMsUT)
	rec.Attributes = json.RawMessage("{}")
	if ev.Attributes != nil { // present; a JSON null arrives as "null"
		if rej := checkAttributes(ev.Attributes); rej != nil {
			return nil, rej
		}
		rec.Attributes = ev.Attributes
	}
	return rec, nil
}

func checkAttributes(raw json.RawMessage) *rejection {
	if raw[0] != '{' {
		return &rejection{422, "attributes must be a JSON object", "attributes"}
	}
	if depth(raw) > maxAttrDepth {
		return &rejection{422, "attributes may nest at most 32 levels deep", "attributes"}
	}
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &attrs); err != nil {
		return &rejection{422, "attributes must be a JSON object", "attributes"}
	}
	if len(attrs) > maxAttributes {
		return &rejection{422, "attributes may have at most 64 keys", "attributes"}
	}
	for k := range attrs {
		if hasControl(k) {
			return &rejection{422, "attribute keys must not contain control characters", "attributes"}
		}
	}
	return nil
}

// depth is how deep valid JSON nests (a scalar 0, an empty object or array 1).
func depth(raw []byte) int {
	deepest, level, inString, escaped := 0, 0, false, false
	for _, c := range raw {
		switch {
		case inString:
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			level++
			deepest = max(deepest, level)
		case c == '}' || c == ']':
			level--
		}
	}
	return deepest
}

func validID(s string) bool {
	return validChars(s, maxIDLength, func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == ':'
	})
}

func validType(s string) bool {
	return validChars(s, maxTypeLength, func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
	})
}

// validChars: 1 to maxLen bytes, each one allowed by ok.
func validChars(s string, maxLen int, ok func(byte) bool) bool {
	if len(s) == 0 || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// uuid7 is a time-ordered UUIDv7, as Logdeck assigns to events sent without an id.
func uuid7(unixMillis int64) string {
	var b [16]byte
	for i := range 6 {
		b[i] = byte(uint64(unixMillis) >> (40 - 8*i))
	}
	r1, r2 := rand.Uint64(), rand.Uint64()
	for i := range 2 {
		b[6+i] = byte(r1 >> (8 * i))
	}
	for i := range 8 {
		b[8+i] = byte(r2 >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[x>>4], hex[x&0x0f])
	}
	return string(out)
}

func writeError(w http.ResponseWriter, rej rejection) {
	body, _ := json.Marshal(map[string]string{"error": rej.msg, "field": rej.field})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rej.status)
	_, _ = w.Write(body)
}
