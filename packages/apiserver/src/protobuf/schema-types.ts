/**
 * The shape of the generated tables in `schema.ts`. One row per field of a Kubernetes protobuf
 * message, in the order of the Go struct's fields, which is the order Go's encoding/json writes
 * them (so a decoded object reads like kube-apiserver's JSON of it).
 *
 * `[number, jsonName, type, flags?]`
 * - number: the protobuf field number.
 * - jsonName: the Go struct's json tag name; '' for an embedded struct that JSON inlines
 *   (`json:",inline"`, e.g. Probe's ProbeHandler, Volume's VolumeSource).
 * - type: a proto scalar (`string`, `bytes`, `bool`, `int32`, `int64`), a full message name
 *   (`k8s.io.api.core.v1.PodSpec`), or `map<K,V>` with K and V of those forms.
 * - flags, one letter each:
 *   - `r` repeated (a Go slice);
 *   - `p` a Go pointer: written to JSON whenever it is on the wire, even when zero;
 *   - `k` keep: the json tag has no omitempty, so the zero value is written (`""`, `0`,
 *     `false`, `null` for an absent slice, map or pointer);
 *   - `i` inline: the embedded message's fields are merged into this object.
 *   A non-pointer message field is always written (Go never omits a struct), with no flag.
 */
export type FieldRow = readonly [number: number, jsonName: string, type: string, flags?: string];
